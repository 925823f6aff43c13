"""The filters, formats and loading that ``rank`` and ``list`` share (and ``stats`` loads)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from curate.cli.common import OptionGroup, choice, format_option, targets, warn

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.corpus import ArticleRecord, Site
    from curate.engine import RunResult
    from curate.ranking import Criteria


def article_formats() -> tuple[str, ...]:
    from curate.reporting.articles import WRITERS

    return ("table", *WRITERS)


ArticleFormat = Annotated[
    str,
    format_option(
        article_formats(),
        "table for people; json, jsonl, csv, tsv for programs; paths: one file a line, for xargs.",
    ),
]
Fields = Annotated[
    list[str] | None,
    typer.Option(
        "--fields",
        help="Columns to show, comma-separated or repeated (e.g. "
        "rank,score,title,path). Names are the JSON keys.",
        show_default=False,
    ),
]
RawCells = Annotated[
    bool,
    typer.Option(
        "--raw-cells",
        help="csv/tsv: write cells verbatim. By default a text cell starting with "
        "= + - @ TAB or CR gets a leading ' so that a spreadsheet never runs it as a formula.",
    ),
]
Reverse = Annotated[
    bool, typer.Option("--reverse", help="Lowest first (unknown values stay last).")
]
Limit = Annotated[
    int, typer.Option("--limit", "-n", min=0, help="Show the first N articles; 0 for all.")
]


@dataclass(frozen=True)
class Filters(OptionGroup):
    """Which articles ``rank`` and ``list`` show."""

    topic: Annotated[
        list[str] | None,
        typer.Option(
            "--topic",
            "-t",
            help="Only articles with this topic: its name, short name or id, any case "
            "('ethics', 'ai-ethics', 'AI Ethics'). Repeat for several.",
            show_default=False,
        ),
    ] = None
    match: Annotated[
        str,
        choice(
            "--match",
            names=("any", "all"),
            help="With several --topic: articles with any of them, or all.",
        ),
    ] = "any"
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider",
            "-p",
            help="Only articles from this provider: its domain "
            "(subdomains too) or its name, any case. Repeatable.",
            show_default=False,
        ),
    ] = None
    min_quality: Annotated[
        int | None,
        typer.Option(
            "--min-quality", help="Only articles with at least this quality.", show_default=False
        ),
    ] = None
    min_heat: Annotated[
        int | None,
        typer.Option(
            "--min-heat",
            help="Only articles with at least this heat (unknown heat fails).",
            show_default=False,
        ),
    ] = None
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only articles published at or after this: an ISO date or "
            "date-time (2024-02-01), or an age before --now (30m, 12h, 7d, 2w).",
            show_default=False,
        ),
    ] = None
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="WHEN",
            help="Only articles published at or before this (a date includes "
            "its whole day), or older than an age (7d).",
            show_default=False,
        ),
    ] = None
    published: Annotated[
        bool | None,
        typer.Option(
            "--published/--unpublished",
            help="Only articles Jekyll publishes (published: true, or no 'published' "
            "key), or only those with published: false. Default: both.",
            show_default=False,
        ),
    ] = None
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="Only articles of this type (e.g. article). Repeatable.",
            show_default=False,
        ),
    ] = None
    has_image: Annotated[
        bool | None,
        typer.Option(
            "--has-image/--no-image",
            help="Only articles with images, or only those without. Default: both.",
            show_default=False,
        ),
    ] = None

    def window(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """``--since`` and ``--until`` as moments; a bad value is a UsageError naming it."""
        return (
            _moment("--since", self.since, now, end_of_day=False),
            _moment("--until", self.until, now, end_of_day=True),
        )

    def criteria(self, records: Sequence[ArticleRecord], site: Site, now: datetime) -> Criteria:
        """These filters as core Criteria; an unknown topic is an UnknownTopicError."""
        from curate.ranking import Criteria, resolve_topics

        since, until = self.window(now)
        return Criteria(
            topics=resolve_topics(self.topic or (), site.topics, records),
            match="all" if self.match == "all" else "any",
            providers=tuple(self.provider or ()),
            min_quality=self.min_quality,
            min_heat=self.min_heat,
            since=since,
            until=until,
            published=self.published,
            types=tuple(self.type_ or ()),
            has_image=self.has_image,
        )


def _moment(option: str, text: str | None, now: datetime, *, end_of_day: bool) -> datetime | None:
    from curate.errors import UsageError
    from curate.timeparse import parse_moment

    if text is None:
        return None
    try:
        return parse_moment(text, now, end_of_day=end_of_day)
    except UsageError as error:
        raise UsageError(f"{option}: {error}") from None


def split_fields(values: list[str] | None, *, ranked: bool) -> tuple[str, ...] | None:
    from curate.errors import UsageError
    from curate.reporting.articles import check_fields

    if not values:
        return None
    names = [name for value in values for name in value.split(",") if name.strip()]
    try:
        return check_fields(names, ranked=ranked)
    except ValueError as error:  # check_fields documents ValueError for a bad name
        raise UsageError(str(error)) from None


def run_on(paths: Sequence[Path] | None, settings: Settings, *, lint: bool) -> RunResult:
    """Check ``paths`` (default: the site root or the current folder) with the cache."""
    from curate.engine import run

    chosen = targets(paths, settings)
    result = run(chosen, settings, lint=lint, need_records=True)
    for message in result.warnings:
        warn(message)
    if not result.files:
        warn(f"no article files found in {', '.join(map(str, chosen))}")
    return result


def load_records(
    paths: Sequence[Path] | None, settings: Settings
) -> tuple[list[ArticleRecord], Site]:
    """The articles that load and validate, with paths as curate prints them.

    The others are counted in one line on stderr.
    """
    from curate.cli.common import path_shower
    from curate.ranking import sorted_out

    result = run_on(paths, settings, lint=False)
    records, invalid, unreadable = sorted_out(result.reports)
    if invalid or unreadable:
        sys.stderr.write(f"curate: {skipped_line(invalid, unreadable)}\n")
    show = path_shower()
    return [r._replace(path=show(r.path)) for r in records], result.site


def skipped_line(invalid: int, unreadable: int) -> str:
    """``skipped 4 files: 3 articles fail validation, 1 file cannot be read as an article; ...``"""
    parts = []
    if invalid:
        parts.append(f"{invalid} {'article fails' if invalid == 1 else 'articles fail'} validation")
    if unreadable:
        parts.append(
            "1 file cannot be read as an article"
            if unreadable == 1
            else f"{unreadable} files cannot be read as articles"
        )
    total = invalid + unreadable
    return (
        f"skipped {total} file{'s' if total != 1 else ''} ({', '.join(parts)}); "
        "run `curate validate` to see why"
    )


def matched(shown: int, matching: int, total: int) -> str:
    """``6 of 124 articles match``, ``showing 20 of 95 matching articles (124 in all)``..."""
    plural = "s" if total != 1 else ""
    if not total:
        return "No articles."
    if not matching:
        return f"No articles match (0 of {total})."
    if shown < matching:
        if matching == total:
            return f"showing {shown} of {total} article{plural}"
        return f"showing {shown} of {matching} matching articles ({total} in all)"
    return f"{matching} of {total} article{plural} match"


def now_override(value: str | None) -> dict[str, Any]:
    """``--now`` parsed into the settings' ``now``, else the current time, read once."""
    from curate.cli.common import parse_now
    from curate.timeparse import current_time

    return {"now": parse_now(value) or current_time()}
