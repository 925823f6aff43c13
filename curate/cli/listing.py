"""``curate list``: the articles that match the filters, newest first, without scoring."""

from __future__ import annotations

import enum
import sys
from typing import Annotated

import typer

from curate.cli import options
from curate.cli.errors import handle_errors
from curate.cli.rank import (
    ArticleFormat,
    Fields,
    FormatOption,
    HasImage,
    Match,
    MatchOption,
    MinHeat,
    MinQuality,
    Now,
    Providers,
    Published,
    RawCells,
    Reverse,
    Since,
    Topics,
    Types,
    Until,
)


class ListBy(str, enum.Enum):
    date = "date"
    quality = "quality"
    heat = "heat"


def list_articles(
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
        ListBy,
        typer.Option(
            "--by", help="What to order by, newest (highest) first.", case_sensitive=False
        ),
    ] = ListBy.date,
    reverse: Reverse = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="Show the first N articles; 0 for all.")
    ] = 0,
    now: Now = None,
    output: FormatOption = ArticleFormat.table,
    fields: Fields = None,
    raw_cells: RawCells = False,
    root: options.Root = None,
    config: options.Config = None,
    no_cache: options.NoCache = False,
    cache_dir: options.CacheDir = None,
    jobs: options.Jobs = None,
) -> None:
    """List the articles that match the filters, newest first; no scoring.

    The same filters and formats as 'curate rank', for scripts:
    curate list --topic ethics --format paths | xargs grep -l 'regulation'

    --now only matters to relative --since/--until (7d). Articles that fail to load
    or validate are skipped with one line on stderr.
    """
    from curate.cli.rank import (
        build_criteria,
        load_records,
        matched,
        parse_clock,
        parse_window,
        settings_for,
        split_fields,
    )
    from curate.ranking import filter_articles, sort_articles
    from curate.reporting.articles import write_articles

    with handle_errors():
        chosen_fields = split_fields(fields, ranked=False)
        clock = parse_clock(now)
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
        matching = sort_articles(filter_articles(records, criteria), by.value, reverse=reverse)
        shown = matching[:limit] if limit else matching
        notes = [matched(len(shown), len(matching), len(records))]
        write_articles(
            shown, output.value, sys.stdout, fields=chosen_fields, notes=notes, raw_cells=raw_cells
        )
    raise typer.Exit(0)


def register(app: typer.Typer) -> None:
    app.command("list")(list_articles)
