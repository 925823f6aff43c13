"""``curate rank``: filter articles, score them, best first."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import timezone
from typing import TYPE_CHECKING, Annotated

import typer

from curate.cli.common import Now, Paths, SiteOptions, choice, command
from curate.cli.filters import ArticleFormat, Fields, Filters, Limit, RawCells, Reverse

if TYPE_CHECKING:
    from curate.ranking import RankedArticle

SORT_KEYS = ("score", "quality", "heat", "date")


@command
def rank(
    paths: Paths = None,
    *,
    filters: Filters,
    by: Annotated[
        str,
        choice("--by", names=SORT_KEYS, help="What to order by, highest (newest) first."),
    ] = "score",
    reverse: Reverse = False,
    limit: Limit = 20,
    half_life: Annotated[
        str,
        typer.Option(
            "--half-life",
            metavar="DURATION",
            help="Age at which freshness halves: 90s, 30m, 12h, 2d, 1w.",
        ),
    ] = "48h",
    weights: Annotated[
        str, typer.Option("--weights", help="Weights of quality and heat in the base score.")
    ] = "quality=0.6,heat=0.4",
    now: Now = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add the parts of the score as columns (or keys).")
    ] = False,
    output: ArticleFormat = "table",
    fields: Fields = None,
    raw_cells: RawCells = False,
    site: SiteOptions,
) -> int:
    """Rank articles for featuring: filter them, score them 0-100, best first.

    score = 100 * base * freshness

    base mixes quality and heat with --weights (default 0.6 and 0.4):
    quality counts linearly up to 100 (the bar for publishing is 70), heat on a log
    scale up to 200, log(1 + heat) / log(201). A heat of -1 or a missing value is
    unknown, not bad: the weights are then shared by the parts that are known, and
    an article with neither quality nor heat gets a neutral base of 0.5.

    freshness = 0.5 ^ (age / half-life): an article loses half its score
    every --half-life (default 48h). Time multiplies every score by the same factor,
    so two articles never swap places as the clock moves. --now pins the clock;
    --explain shows each part. Ties go to the newest article, then the path.

    Articles that fail to load or validate are skipped (one line on stderr says how
    many; 'curate validate' says why).
    """
    from curate.cli.filters import load_records, matched, now_override, split_fields
    from curate.errors import UsageError
    from curate.ranking import RankOptions, filter_articles, parse_weights
    from curate.ranking import rank as rank_articles
    from curate.reporting.articles import write_articles
    from curate.timeparse import parse_duration

    chosen_fields = split_fields(fields, ranked=True)
    settings = site.settings(**now_override(now))
    clock = settings.clock()
    filters.window(clock)  # a bad --since is a usage error before the run, not after it
    try:
        half = parse_duration(half_life)
    except UsageError as error:
        raise UsageError(f"--half-life: {error}") from None
    try:
        mix = parse_weights(weights)
    except UsageError as error:
        raise UsageError(f"--weights: {error}") from None
    records, site_ = load_records(paths, settings)
    matching = filter_articles(records, filters.criteria(records, site_, clock))
    ranking = rank_articles(
        matching,
        RankOptions(clock, half, mix, by, reverse, limit),  # type: ignore[arg-type]
    )
    notes = [matched(len(ranking), len(matching), len(records))]
    if ranking:
        notes += low_scores_hint(ranking)
        notes.append(
            f"score: half-life {half_life}, {mix}, "
            f"now {clock.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
        )
    write_articles(
        ranking,
        output,
        sys.stdout,
        fields=chosen_fields,
        explain=explain,
        notes=notes,
        ranked=True,
        raw_cells=raw_cells,
    )
    return 0


def low_scores_hint(ranking: Sequence[RankedArticle]) -> list[str]:
    """A hint when every score shown would print as <0.1: the site is older than the clock."""
    from curate.corpus import parse_timestamp

    if any(item.score >= LOW_SCORE for item in ranking):
        return []
    dates = [parse_timestamp(item.record.published_at) for item in ranking]
    newest = max((when for when in dates if when is not None), default=None)
    example = newest.date().isoformat() if newest is not None else "2024-03-01"
    return [f"all scores < 0.1: try --now {example} (newest article) or a longer --half-life"]


#: Below this a score is shown as <0.1.
LOW_SCORE = 0.05


def register(app: typer.Typer) -> None:
    app.command(short_help="Score the articles for featuring, best first.")(rank)
