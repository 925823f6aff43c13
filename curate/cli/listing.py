"""``curate list``: the articles that match the filters, newest first, without scoring."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from curate.cli.common import Now, Paths, SiteOptions, choice, command
from curate.cli.filters import ArticleFormat, Fields, Filters, Limit, RawCells, Reverse

SORT_KEYS = ("date", "quality", "heat")


@command
def list_articles(
    paths: Paths = None,
    *,
    filters: Filters,
    by: Annotated[
        str,
        choice("--by", names=SORT_KEYS, help="What to order by, newest (highest) first."),
    ] = "date",
    reverse: Reverse = False,
    limit: Limit = 0,
    now: Now = None,
    output: ArticleFormat = "table",
    fields: Fields = None,
    raw_cells: RawCells = False,
    site: SiteOptions,
) -> int:
    """List the articles that match the filters, newest first; no scoring.

    The same filters and formats as 'curate rank', for scripts:
    curate list --topic ethics --format paths | xargs grep -l 'regulation'

    --now only matters to relative --since/--until (7d). Articles that fail to load
    or validate are skipped with one line on stderr.
    """
    from curate.cli.filters import load_records, matched, now_override, split_fields
    from curate.ranking import filter_articles, sort_articles
    from curate.reporting.articles import write_articles

    chosen_fields = split_fields(fields, ranked=False)
    settings = site.settings(**now_override(now))
    clock = settings.clock()
    filters.window(clock)  # a bad --since is a usage error before the run, not after it
    records, site_ = load_records(paths, settings)
    criteria = filters.criteria(records, site_, clock)
    matching = sort_articles(
        filter_articles(records, criteria),
        by,  # type: ignore[arg-type]
        reverse=reverse,
    )
    shown = matching[:limit] if limit else matching
    notes = [matched(len(shown), len(matching), len(records))]
    write_articles(
        shown, output, sys.stdout, fields=chosen_fields, notes=notes, raw_cells=raw_cells
    )
    return 0


def register(app: typer.Typer) -> None:
    app.command("list", short_help="The articles that match the filters, newest first.")(
        list_articles
    )
