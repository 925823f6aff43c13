"""``curate rank``: score and order articles; also the filter options ``list`` shares."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curate.cli import options
from curate.cli.errors import handle_errors

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.corpus import ArticleRecord, Site
    from curate.engine import RunResult
    from curate.ranking import Criteria


class ArticleFormat(str, enum.Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    paths = "paths"


class RankBy(str, enum.Enum):
    score = "score"
    quality = "quality"
    heat = "heat"
    date = "date"


class Match(str, enum.Enum):
    any = "any"
    all = "all"


Topics = Annotated[
    list[str] | None,
    typer.Option(
        "--topic",
        "-t",
        help="Only articles with this topic: its name, short name or id, any case "
        "('ethics', 'ai-ethics', 'AI Ethics'). Repeat for several.",
        show_default=False,
    ),
]
MatchOption = Annotated[
    Match,
    typer.Option(
        "--match",
        help="With several --topic: articles with any of them, or all.",
        case_sensitive=False,
    ),
]
Providers = Annotated[
    list[str] | None,
    typer.Option(
        "--provider",
        "-p",
        help="Only articles from this provider: its domain "
        "(subdomains too) or its name, any case. Repeatable.",
        show_default=False,
    ),
]
MinQuality = Annotated[
    int | None,
    typer.Option(
        "--min-quality", help="Only articles with at least this quality.", show_default=False
    ),
]
MinHeat = Annotated[
    int | None,
    typer.Option(
        "--min-heat",
        help="Only articles with at least this heat (unknown heat fails).",
        show_default=False,
    ),
]
Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only articles published at or after this: an ISO date or "
        "date-time (2024-02-01), or an age before --now (30m, 12h, 7d, 2w).",
        show_default=False,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="Only articles published at or before this (a date includes "
        "its whole day), or older than an age (7d).",
        show_default=False,
    ),
]
Published = Annotated[
    bool | None,
    typer.Option(
        "--published/--unpublished",
        help="Only articles Jekyll publishes (published: true, or no 'published' "
        "key), or only those with published: false. Default: both.",
        show_default=False,
    ),
]
Types = Annotated[
    list[str] | None,
    typer.Option(
        "--type", help="Only articles of this type (e.g. article). Repeatable.", show_default=False
    ),
]
HasImage = Annotated[
    bool | None,
    typer.Option(
        "--has-image/--no-image", help="Only articles with images, or without.", show_default=False
    ),
]
Reverse = Annotated[
    bool, typer.Option("--reverse", help="Lowest first (unknown values stay last).")
]
Now = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="Pin the clock (ISO 8601), for reproducible results. Default: the current time.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    ArticleFormat,
    typer.Option(
        "--format",
        "-f",
        help="table for people; json, jsonl, csv, tsv for programs; "
        "paths: one file a line, for xargs.",
        case_sensitive=False,
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
        "= + - @ gets a leading ' so that a spreadsheet never runs it as a formula.",
    ),
]


def parse_clock(value: str | None) -> datetime:
    """``--now``, or the current time."""
    from curate.corpus import parse_timestamp

    if value is None:
        return datetime.now(timezone.utc)
    moment = parse_timestamp(value)
    if moment is None:
        raise ValueError(
            f"--now: {value!r} is not an ISO 8601 date or date-time "
            "(e.g. 2024-03-01 or 2024-03-01T12:00:00Z)"
        )
    return moment


def split_fields(values: list[str] | None, *, ranked: bool) -> tuple[str, ...] | None:
    from curate.reporting.articles import check_fields

    if not values:
        return None
    names = [name for value in values for name in value.split(",") if name.strip()]
    return check_fields(names, ranked=ranked)


def run_on(paths: Sequence[Path] | None, settings: Settings, *, lint: bool) -> RunResult:
    """Check ``paths`` (default: the site root or the current folder) with the cache."""
    from curate.cache import cache_factory
    from curate.engine import run_checks

    targets = list(paths) if paths else [settings.root or Path.cwd()]
    for target in targets:
        # lexists: a symlink loop or a dangling link is there, and a finding when read.
        if not os.path.lexists(target):
            raise ValueError(f"{target}: no such file or directory")
    result = run_checks(targets, settings, lint=lint, cache_factory=cache_factory(settings))
    if not result.files:
        sys.stderr.write(
            f"curate: warning: no article files found in {', '.join(map(str, targets))}\n"
        )
    return result


def load_records(
    paths: Sequence[Path] | None, settings: Settings
) -> tuple[list[ArticleRecord], Site]:
    """The articles that load and validate; the others are counted in one line on stderr."""
    from curate.ranking import usable_records

    result = run_on(paths, settings, lint=False)
    records, skipped = usable_records(result.reports)
    if skipped:
        sys.stderr.write(
            f"curate: skipped {skipped} "
            f"{'article that fails' if skipped == 1 else 'articles that fail'} validation; "
            "run `curate lint` to see why\n"
        )
    return records, result.site


def parse_window(
    since: str | None, until: str | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """``--since`` and ``--until`` as moments; a bad value is a ValueError naming its option."""
    from curate.ranking import parse_moment

    def moment(option: str, text: str | None, *, end_of_day: bool) -> datetime | None:
        if text is None:
            return None
        try:
            return parse_moment(text, now, end_of_day=end_of_day)
        except ValueError as error:
            raise ValueError(f"{option}: {error}") from None

    return moment("--since", since, end_of_day=False), moment("--until", until, end_of_day=True)


def build_criteria(
    records: Sequence[ArticleRecord],
    site: Site,
    window: tuple[datetime | None, datetime | None],
    *,
    topics: list[str] | None,
    match: Match,
    providers: list[str] | None,
    min_quality: int | None,
    min_heat: int | None,
    published: bool | None,
    types: list[str] | None,
    has_image: bool | None,
) -> Criteria:
    """The filter options as core Criteria; an unknown topic is an UnknownTopicError."""
    from curate.ranking import Criteria, resolve_topics

    return Criteria(
        topics=resolve_topics(topics or (), site.topics, records),
        match=match.value,
        providers=tuple(providers or ()),
        min_quality=min_quality,
        min_heat=min_heat,
        since=window[0],
        until=window[1],
        published=published,
        types=tuple(types or ()),
        has_image=has_image,
    )


def settings_for(
    root: Path | None,
    config: Path | None,
    no_cache: bool,
    cache_dir: Path | None,
    jobs: int | None,
    now: datetime | None = None,
) -> Settings:
    from curate.cli.check import resolve

    overrides = {
        "root": root,
        "cache": False if no_cache else None,
        "cache_dir": cache_dir,
        "jobs": jobs,
        "now": now,
    }
    return resolve(overrides, config)


def rank(
    paths: options.Paths = None,
    topic: Topics = None,
    match: MatchOption = Match.any,
    provider: Providers = None,
    min_quality: MinQuality = None,
    min_heat: MinHeat = None,
    since: Since = None,
    until: Until = None,
    published: Published = None,
    type_: Types = None,
    has_image: HasImage = None,
    by: Annotated[
        RankBy,
        typer.Option(
            "--by", help="What to order by, highest (newest) first.", case_sensitive=False
        ),
    ] = RankBy.score,
    reverse: Reverse = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="Show the first N articles; 0 for all.")
    ] = 20,
    half_life: Annotated[
        str, typer.Option("--half-life", help="Age at which freshness halves: 30m, 12h, 2d, 1w.")
    ] = "48h",
    weights: Annotated[
        str, typer.Option("--weights", help="Weights of quality and heat in the base score.")
    ] = "quality=0.6,heat=0.4",
    now: Now = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add the parts of the score as columns (or keys).")
    ] = False,
    output: FormatOption = ArticleFormat.table,
    fields: Fields = None,
    raw_cells: RawCells = False,
    root: options.Root = None,
    config: options.Config = None,
    no_cache: options.NoCache = False,
    cache_dir: options.CacheDir = None,
    jobs: options.Jobs = None,
) -> None:
    """Rank articles for featuring: filter them, score them 0-100, best first.

    [bold]score = 100 * base * freshness[/bold]

    [bold]base[/bold] mixes quality and heat with --weights (default 0.6 and 0.4):
    quality counts linearly up to 100 (the bar for publishing is 70), heat on a log
    scale up to 200, log(1 + heat) / log(201). A heat of -1 or a missing value is
    unknown, not bad: the weights are then shared by the parts that are known, and
    an article with neither quality nor heat gets a neutral base of 0.5.

    [bold]freshness = 0.5 ^ (age / half-life)[/bold]: an article loses half its score
    every --half-life (default 48h). Time multiplies every score by the same factor,
    so two articles never swap places as the clock moves. --now pins the clock;
    --explain shows each part. Ties go to the newest article, then the path.

    Articles that fail to load or validate are skipped (one line on stderr says how
    many; 'curate lint' says why).
    """
    from curate.ranking import RankOptions, filter_articles, parse_duration, parse_weights
    from curate.ranking import rank as rank_articles
    from curate.reporting.articles import write_articles

    with handle_errors():
        chosen_fields = split_fields(fields, ranked=True)
        clock = parse_clock(now)
        try:
            half = parse_duration(half_life)
        except ValueError as error:
            raise ValueError(f"--half-life: {error}") from None
        try:
            mix = parse_weights(weights)
        except ValueError as error:
            raise ValueError(f"--weights: {error}") from None
        window = parse_window(since, until, clock)
        settings = settings_for(root, config, no_cache, cache_dir, jobs, clock)
        records, site = load_records(paths, settings)
        criteria = build_criteria(
            records,
            site,
            window,
            topics=topic,
            match=match,
            providers=provider,
            min_quality=min_quality,
            min_heat=min_heat,
            published=published,
            types=type_,
            has_image=has_image,
        )
        matching = filter_articles(records, criteria)
        ranking = rank_articles(
            matching,
            RankOptions(clock, half, mix, by.value, reverse, limit),
        )
        notes = [
            matched(len(ranking), len(matching), len(records)),
            f"score: half-life {half_life}, {mix}, "
            f"now {clock.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC",
        ]
        write_articles(
            ranking,
            output.value,
            sys.stdout,
            fields=chosen_fields,
            explain=explain,
            notes=notes,
            ranked=True,
            raw_cells=raw_cells,
        )
    raise typer.Exit(0)


def matched(shown: int, matching: int, total: int) -> str:
    """``6 of 124 articles match``, ``showing 20 of 95 matching articles (124 in all)``..."""
    plural = "s" if total != 1 else ""
    if shown < matching:
        if matching == total:
            return f"showing {shown} of {total} article{plural}"
        return f"showing {shown} of {matching} matching articles ({total} in all)"
    return f"{matching} of {total} article{plural} match"


def register(app: typer.Typer) -> None:
    app.command()(rank)
