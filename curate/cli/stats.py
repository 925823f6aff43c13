"""``curate stats``: the corpus at a glance."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from curate.cli.common import Now, Paths, SiteOptions, command, format_option

#: The writers of --format, by name.
STATS_FORMATS = ("table", "json")


@command
def stats(
    paths: Paths = None,
    top: Annotated[
        int, typer.Option("--top", min=0, help="How many topics and providers to show; 0 for all.")
    ] = 10,
    output: Annotated[
        str, format_option(STATS_FORMATS, "table for people, json for programs.")
    ] = "table",
    now: Now = None,
    *,
    site: SiteOptions,
) -> int:
    """Summarise the corpus: counts, dates, topics, providers, quality, heat, lint errors.

    Every article that can be read is counted, valid or not; those that fail
    validation (which rank and list skip) are counted apart. The Lint line says how
    many have lint errors (run 'curate lint' to see them). --now pins the clock of
    the date rules.
    """
    from curate.cli.common import parse_now, shown_path, targets
    from curate.cli.filters import run_on
    from curate.ranking import articles_with_findings, corpus_stats, sorted_out
    from curate.reporting.articles import write_stats_json, write_stats_table

    settings = site.settings(now=parse_now(now))
    result = run_on(paths, settings, lint=True)
    records = [report.record for report in result.reports if report.record is not None]
    _, invalid, unreadable = sorted_out(result.reports)
    errors, warnings = articles_with_findings(result.diagnostics, result.files)
    summary = corpus_stats(
        records,
        unreadable=unreadable,
        invalid=invalid,
        lint_errors=errors,
        lint_warnings=warnings,
    )
    if output == "json":
        write_stats_json(summary, sys.stdout, top=top)
    else:
        source = ", ".join(shown_path(str(path)) for path in targets(paths, settings))
        write_stats_table(summary, sys.stdout, top=top, source=source)
    return 0


def register(app: typer.Typer) -> None:
    app.command(short_help="The corpus at a glance: counts, topics, quality, heat.")(stats)
