"""``curate stats``: the corpus at a glance."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from curate.cli import options
from curate.cli.errors import handle_errors
from curate.cli.rank import Now


class StatsFormat(str, enum.Enum):
    table = "table"
    json = "json"


def stats(
    paths: options.Paths = None,
    top: Annotated[
        int, typer.Option("--top", min=0, help="How many topics and providers to show; 0 for all.")
    ] = 10,
    output: Annotated[
        StatsFormat,
        typer.Option(
            "--format", "-f", help="table for people, json for programs.", case_sensitive=False
        ),
    ] = StatsFormat.table,
    now: Now = None,
    root: options.Root = None,
    config: options.Config = None,
    no_cache: options.NoCache = False,
    cache_dir: options.CacheDir = None,
    jobs: options.Jobs = None,
) -> None:
    """Summarise the corpus: counts, dates, topics, providers, quality, heat, lint errors.

    Every article that can be read is counted, valid or not; the Lint line says how
    many have lint errors (run 'curate lint' to see them). --now pins the clock of
    the date rules.
    """
    from curate.cli.rank import parse_clock, run_on, settings_for
    from curate.ranking import articles_with_findings, corpus_stats
    from curate.reporting.articles import write_stats_json, write_stats_table

    with handle_errors():
        clock = parse_clock(now) if now else None
        settings = settings_for(root, config, no_cache, cache_dir, jobs, clock)
        result = run_on(paths, settings, lint=True)
        records = [report.record for report in result.reports if report.record is not None]
        errors, warnings = articles_with_findings(result.diagnostics, result.files)
        summary = corpus_stats(
            records,
            unreadable=len(result.reports) - len(records),
            lint_errors=errors,
            lint_warnings=warnings,
        )
        if output is StatsFormat.json:
            write_stats_json(summary, sys.stdout, top=top)
        else:
            source = ", ".join(str(path) for path in paths or [settings.root or Path.cwd()])
            write_stats_table(summary, sys.stdout, top=top, source=source)
    raise typer.Exit(0)


def register(app: typer.Typer) -> None:
    app.command()(stats)
