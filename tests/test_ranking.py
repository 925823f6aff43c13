"""The ranking core: parsing, scoring, ordering, filters, topics and statistics, without the CLI.

The fixture site tests/fixtures/rank has eight valid articles and one without a title.
At --now 2024-03-01 with the defaults (half-life 48h, weights 0.6/0.4) their scores are:

    fresh-ethics 65.3, strong-ml 50.0, unknown-heat 31.8, tie-a 13.1, tie-b 13.1,
    unrated 12.5, old-hot 3.1, low <0.1
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from curate.config import Settings
from curate.corpus import ArticleRecord, Topic, parse_timestamp
from curate.engine import FileReport, run_checks
from curate.model import Diagnostic, Severity
from curate.ranking import (
    DEFAULT_HALF_LIFE,
    HEAT_CAP,
    QUALITY_CAP,
    UNRATED_BASE,
    Criteria,
    RankOptions,
    SortKey,
    UnknownTopicError,
    Weights,
    articles_with_findings,
    corpus_stats,
    filter_articles,
    histogram,
    parse_duration,
    parse_moment,
    parse_weights,
    rank,
    resolve_topics,
    score_article,
    sort_articles,
    usable_records,
)
from tests.conftest import FIXTURES

SITE = FIXTURES / "rank"
NOW = datetime(2024, 3, 1, tzinfo=timezone.utc)
BY_SCORE = [
    "fresh-ethics",
    "strong-ml",
    "unknown-heat",
    "tie-a",
    "tie-b",
    "unrated",
    "old-hot",
    "low",
]


def slug(record: ArticleRecord) -> str:
    return Path(record.path).stem[len("2024-02-29-") :]


def slugs(items: list[ArticleRecord]) -> list[str]:
    return [slug(record) for record in items]


@pytest.fixture(scope="module")
def loaded() -> tuple[list[ArticleRecord], tuple[Topic, ...], int]:
    result = run_checks([SITE], Settings(cache=False), lint=False)
    records, skipped = usable_records(result.reports)
    return records, result.site.topics, skipped


@pytest.fixture
def records(loaded: tuple[list[ArticleRecord], tuple[Topic, ...], int]) -> list[ArticleRecord]:
    return loaded[0]


@pytest.fixture
def taxonomy(loaded: tuple[list[ArticleRecord], tuple[Topic, ...], int]) -> tuple[Topic, ...]:
    return loaded[1]


def make(
    path: str = "a.md",
    *,
    when: str | None = "2024-02-29T00:00:00Z",
    quality: int | None = 70,
    heat: int | None = 70,
) -> ArticleRecord:
    return ArticleRecord(
        path=path,
        title=path,
        published_at=when,
        web_url=None,
        original_url=None,
        amp_url=None,
        quality=quality,
        heat=heat,
        published=True,
        provider_name=None,
        provider_domain=None,
        topics=(),
        type="article",
        has_image=False,
        related=(),
    )


def ranked_slugs(
    records: list[ArticleRecord],
    by: SortKey = "score",
    *,
    reverse: bool = False,
    limit: int = 0,
    half_life: timedelta = DEFAULT_HALF_LIFE,
) -> list[str]:
    options = RankOptions(NOW, half_life, by=by, reverse=reverse, limit=limit)
    return [slug(item.record) for item in rank(records, options)]


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-06-30T12:00:00Z", datetime(2021, 6, 30, 12, tzinfo=timezone.utc)),
        ("2021-06-30T14:00:00+02:00", datetime(2021, 6, 30, 12, tzinfo=timezone.utc)),
        ("2021-06-30T12:00:00", datetime(2021, 6, 30, 12, tzinfo=timezone.utc)),
        ("2021-06-30T12:00:00.123Z", datetime(2021, 6, 30, 12, 0, 0, 123000, timezone.utc)),
        ("2021-06-30", datetime(2021, 6, 30, tzinfo=timezone.utc)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_timestamp(text: str | None, expected: datetime | None) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("48H", timedelta(hours=48)),
        ("2d", timedelta(days=2)),
        ("1.5h", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "48", "3x", "0h", "-1d", "d"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_parse_moment_dates_ages_and_errors() -> None:
    assert parse_moment("7d", NOW) == datetime(2024, 2, 23, tzinfo=timezone.utc)
    assert parse_moment("12h", NOW) == datetime(2024, 2, 29, 12, tzinfo=timezone.utc)
    assert parse_moment("2024-02-01", NOW) == datetime(2024, 2, 1, tzinfo=timezone.utc)
    end = parse_moment("2024-02-01", NOW, end_of_day=True)
    assert end == datetime(2024, 2, 1, 23, 59, 59, 999999, tzinfo=timezone.utc)
    assert parse_moment("2024-02-01T06:00:00Z", NOW, end_of_day=True).hour == 6
    with pytest.raises(ValueError, match="neither an ISO 8601 date"):
        parse_moment("last week", NOW)


def test_parse_weights() -> None:
    assert parse_weights("quality=0.7,heat=0.3") == Weights(0.7, 0.3)
    assert parse_weights("heat=1") == Weights(0.0, 1.0)
    assert str(parse_weights("quality=7, heat=3")) == "quality 0.7 + heat 0.3"
    for bad, message in [
        ("foo=1", "weights are written"),
        ("quality", "weights are written"),
        ("quality=high", "is not a number"),
        ("quality=0,heat=0", "at least one weight"),
        ("quality=-1,heat=1", "must be a number >= 0"),
        ("quality=nan", "must be a number >= 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_weights(bad)


def test_rank_options_are_checked() -> None:
    with pytest.raises(ValueError, match="half-life"):
        RankOptions(NOW, half_life=timedelta(0))
    with pytest.raises(ValueError, match="limit"):
        RankOptions(NOW, limit=-1)


# --- the score ----------------------------------------------------------------------------


def test_score_parts_add_up_to_the_documented_formula() -> None:
    parts = score_article(make(when="2024-02-29T12:00:00Z", quality=80, heat=50), RankOptions(NOW))
    quality = 0.6 * 80 / QUALITY_CAP
    heat = 0.4 * math.log1p(50) / math.log1p(HEAT_CAP)
    assert parts.quality_part == pytest.approx(quality)
    assert parts.heat_part == pytest.approx(heat)
    assert parts.base == pytest.approx(quality + heat)
    assert parts.age_hours == pytest.approx(12)
    assert parts.freshness == pytest.approx(0.5**0.25)
    assert parts.score == pytest.approx(100 * (quality + heat) * 0.5**0.25)
    assert round(parts.score, 1) == 65.3


def test_quality_and_heat_are_capped() -> None:
    options = RankOptions(NOW)
    top = score_article(make(quality=QUALITY_CAP, heat=HEAT_CAP), options)
    beyond = score_article(make(quality=161, heat=215), options)
    assert top.base == beyond.base == pytest.approx(1.0)


def test_unknown_heat_is_not_zero_heat() -> None:
    options = RankOptions(NOW)
    unknown = score_article(make(quality=90, heat=-1), options)
    missing = score_article(make(quality=90, heat=None), options)
    cold = score_article(make(quality=90, heat=0), options)
    assert unknown.heat_part is None and unknown.quality_part == pytest.approx(0.9)
    assert unknown.base == missing.base == pytest.approx(0.9)
    assert cold.base == pytest.approx(0.54)
    assert unknown.score > cold.score


def test_unknown_quality_uses_heat_alone_and_unrated_is_neutral() -> None:
    options = RankOptions(NOW)
    heat_only = score_article(make(quality=None, heat=HEAT_CAP), options)
    unrated = score_article(make(quality=None, heat=-1), options)
    assert heat_only.quality_part is None and heat_only.base == pytest.approx(1.0)
    assert unrated.base == UNRATED_BASE and not unrated.rated


def test_a_zero_weight_ignores_its_part() -> None:
    options = RankOptions(NOW, weights=Weights(quality=1, heat=0))
    assert score_article(make(quality=50, heat=HEAT_CAP), options).base == pytest.approx(0.5)
    assert score_article(make(quality=None, heat=HEAT_CAP), options).base == UNRATED_BASE


def test_freshness_halves_every_half_life() -> None:
    options = RankOptions(NOW, half_life=timedelta(days=1))
    fresh = score_article(make(when="2024-03-01T00:00:00Z"), options)
    day = score_article(make(when="2024-02-29T00:00:00Z"), options)
    week = score_article(make(when="2024-02-23T00:00:00Z"), options)
    assert fresh.freshness == 1.0
    assert day.score == pytest.approx(fresh.score / 2)
    assert week.score == pytest.approx(fresh.score / 2**7)


def test_future_articles_count_as_brand_new() -> None:
    parts = score_article(make(when="2024-03-05T00:00:00Z"), RankOptions(NOW))
    assert parts.age_hours == 0 and parts.freshness == 1.0


def test_unknown_date_scores_zero_and_ranks_last() -> None:
    undated = make("undated.md", when="not a date", quality=100, heat=200)
    parts = score_article(undated, RankOptions(NOW))
    assert (parts.score, parts.age_hours) == (0.0, None)
    ranking = rank(
        [undated, make("old.md", when="2000-01-01T00:00:00Z", quality=1)], RankOptions(NOW)
    )
    assert [item.record.path for item in ranking] == ["old.md", "undated.md"]


@pytest.mark.parametrize("quality", [None, 0, 1, 69, 70, 100, 161, 10_000])
@pytest.mark.parametrize("heat", [None, -1, 0, 1, 200, 215, 10_000])
@pytest.mark.parametrize("when", ["2024-03-01T00:00:00Z", "2024-02-01T00:00:00Z", "2099-01-01"])
def test_score_is_bounded(quality: int | None, heat: int | None, when: str) -> None:
    parts = score_article(make(when=when, quality=quality, heat=heat), RankOptions(NOW))
    assert 0.0 <= parts.base <= 1.0
    assert 0.0 <= parts.score <= 100.0
    assert 0.0 <= parts.freshness <= 1.0


# --- ordering -----------------------------------------------------------------------------


def test_validation_failures_are_left_out(
    loaded: tuple[list[ArticleRecord], tuple[Topic, ...], int],
) -> None:
    records, _, skipped = loaded
    assert skipped == 1
    assert "broken" not in slugs(records) and len(records) == 8


def test_rank_by_score(records: list[ArticleRecord]) -> None:
    ranking = rank(records, RankOptions(NOW))
    assert [slug(item.record) for item in ranking] == BY_SCORE
    assert [item.rank for item in ranking] == list(range(1, 9))
    assert [round(item.score, 1) for item in ranking][:3] == [65.3, 50.0, 31.8]


def test_rank_by_quality_heat_and_date(records: list[ArticleRecord]) -> None:
    assert ranked_slugs(records, "quality") == [
        "old-hot",
        "strong-ml",
        "unknown-heat",
        "fresh-ethics",
        "tie-a",
        "tie-b",
        "low",
        "unrated",
    ]
    assert ranked_slugs(records, "heat") == [
        "old-hot",
        "strong-ml",
        "tie-a",
        "tie-b",
        "fresh-ethics",
        "low",
        "unknown-heat",
        "unrated",
    ]
    assert ranked_slugs(records, "date") == [
        "fresh-ethics",
        "strong-ml",
        "unknown-heat",
        "unrated",
        "tie-a",
        "tie-b",
        "old-hot",
        "low",
    ]


def test_reverse_flips_the_order_but_not_ties_or_unknowns(records: list[ArticleRecord]) -> None:
    assert ranked_slugs(records, reverse=True) == [
        "low",
        "old-hot",
        "unrated",
        "tie-a",
        "tie-b",
        "unknown-heat",
        "strong-ml",
        "fresh-ethics",
    ]
    assert ranked_slugs(records, "quality", reverse=True) == [
        "low",
        "tie-a",
        "tie-b",
        "fresh-ethics",
        "unknown-heat",
        "strong-ml",
        "old-hot",
        "unrated",
    ]


def test_ties_go_to_the_newest_then_the_path() -> None:
    same = {"quality": 50, "heat": 50}
    items = [
        make("b.md", when="2024-02-28T00:00:00Z", **same),
        make("a.md", when="2024-02-27T00:00:00Z", **same),
        make("c.md", when="2024-02-28T00:00:00Z", **same),
    ]
    by_quality = rank(items, RankOptions(NOW, by="quality"))
    assert [item.record.path for item in by_quality] == ["b.md", "c.md", "a.md"]
    assert [r.path for r in sort_articles(items, "heat")] == ["b.md", "c.md", "a.md"]
    assert [r.path for r in sort_articles(list(reversed(items)), "date")] == [
        "b.md",
        "c.md",
        "a.md",
    ]


def test_limit_keeps_the_first(records: list[ArticleRecord]) -> None:
    assert ranked_slugs(records, limit=3) == BY_SCORE[:3]
    assert ranked_slugs(records, limit=0) == BY_SCORE


@pytest.mark.parametrize(
    "later",
    [
        datetime(2024, 3, 2, tzinfo=timezone.utc),
        datetime(2024, 6, 1, tzinfo=timezone.utc),
        datetime(2030, 1, 1, tzinfo=timezone.utc),
        # So far on that every score underflows to 0.0: the order still holds.
        datetime(2124, 1, 1, tzinfo=timezone.utc),
    ],
)
def test_the_order_never_changes_as_time_passes(
    records: list[ArticleRecord], later: datetime
) -> None:
    for half_life in (timedelta(hours=6), timedelta(hours=48), timedelta(days=30)):
        first = rank(records, RankOptions(NOW, half_life=half_life))
        again = rank(records, RankOptions(later, half_life=half_life))
        assert [i.record.path for i in again] == [i.record.path for i in first]
        ratio = (later - NOW) / half_life
        if ratio < 100:
            assert again[0].score == pytest.approx(first[0].score * 0.5**ratio)


def test_the_same_clock_gives_the_same_ranking(records: list[ArticleRecord]) -> None:
    assert rank(records, RankOptions(NOW)) == rank(list(reversed(records)), RankOptions(NOW))


def test_a_longer_half_life_favours_quality(records: list[ArticleRecord]) -> None:
    assert ranked_slugs(records, half_life=timedelta(days=365))[:2] == ["strong-ml", "old-hot"]


def test_sort_articles_refuses_score(records: list[ArticleRecord]) -> None:
    with pytest.raises(ValueError, match="use rank"):
        sort_articles(records, "score")


# --- topics and filters -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["AI Ethics", "ai ethics", "ethics", "ETHICS", "ai-ethics", "ai_ethics"]
)
def test_topic_aliases(
    records: list[ArticleRecord], taxonomy: tuple[Topic, ...], query: str
) -> None:
    [resolved] = resolve_topics([query], taxonomy, records)
    assert resolved.name == "AI Ethics"
    found = filter_articles(records, Criteria(topics=(resolved,)))
    assert sorted(slugs(found)) == ["fresh-ethics", "unknown-heat"]


def test_a_topic_only_articles_use_still_matches(
    records: list[ArticleRecord], taxonomy: tuple[Topic, ...]
) -> None:
    topics = resolve_topics(["robots"], taxonomy, records)
    assert slugs(filter_articles(records, Criteria(topics=topics))) == ["tie-a"]


def test_match_any_and_all(records: list[ArticleRecord], taxonomy: tuple[Topic, ...]) -> None:
    topics = resolve_topics(["ethics", "ML"], taxonomy, records)
    any_ = filter_articles(records, Criteria(topics=topics, match="any"))
    all_ = filter_articles(records, Criteria(topics=topics, match="all"))
    assert sorted(slugs(any_)) == ["fresh-ethics", "strong-ml", "tie-a", "tie-b", "unknown-heat"]
    assert slugs(all_) == ["unknown-heat"]


def test_unknown_topic_lists_close_matches_and_known_topics(
    records: list[ArticleRecord], taxonomy: tuple[Topic, ...]
) -> None:
    with pytest.raises(UnknownTopicError) as caught:
        resolve_topics(["etics"], taxonomy, records)
    error = caught.value
    assert error.query == "etics"
    assert "AI Ethics" in error.suggestions
    assert error.known == ("AI", "Machine Learning (ML)", "AI Ethics (Ethics)", "Robots")
    assert "did you mean" in str(error) and "known topics: AI," in str(error)
    with pytest.raises(UnknownTopicError) as nothing_close:
        resolve_topics(["zzzz"], taxonomy, records)
    assert nothing_close.value.suggestions == ()


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (Criteria(), BY_SCORE),
        (Criteria(providers=("techdaily.com",)), ["strong-ml", "old-hot"]),
        (Criteria(providers=("TechDaily.com",)), ["strong-ml", "old-hot"]),
        (Criteria(providers=("example.com",)), ["fresh-ethics", "unknown-heat"]),
        (Criteria(providers=("https://www.example.com/",)), ["fresh-ethics", "unknown-heat"]),
        (Criteria(providers=("Example News",)), ["fresh-ethics"]),
        (Criteria(providers=("wire.example.net", "other.org")), ["unrated", "low"]),
        (Criteria(min_quality=90), ["strong-ml", "unknown-heat", "old-hot"]),
        (Criteria(min_heat=70), ["strong-ml", "tie-a", "tie-b", "old-hot"]),
        (Criteria(min_heat=0), ["fresh-ethics", "strong-ml", "tie-a", "tie-b", "old-hot", "low"]),
        (
            Criteria(since=datetime(2024, 2, 27, tzinfo=timezone.utc)),
            ["fresh-ethics", "strong-ml", "unknown-heat"],
        ),
        (
            Criteria(until=datetime(2024, 2, 25, tzinfo=timezone.utc)),
            ["tie-a", "tie-b", "old-hot", "low"],
        ),
        (
            Criteria(
                since=datetime(2024, 2, 20, tzinfo=timezone.utc),
                until=datetime(2024, 2, 26, tzinfo=timezone.utc),
            ),
            ["tie-a", "tie-b", "unrated", "old-hot"],
        ),
        (
            Criteria(published=True),
            ["fresh-ethics", "strong-ml", "tie-a", "tie-b", "unrated", "old-hot"],
        ),
        (Criteria(published=False), ["unknown-heat", "low"]),
        (Criteria(types=("VIDEO",)), ["unrated"]),
        (Criteria(has_image=True), ["fresh-ethics", "strong-ml", "unrated", "old-hot"]),
        (Criteria(has_image=False), ["unknown-heat", "tie-a", "tie-b", "low"]),
        (
            Criteria(min_quality=50, published=True, has_image=True),
            ["fresh-ethics", "strong-ml", "old-hot"],
        ),
    ],
)
def test_filters(records: list[ArticleRecord], criteria: Criteria, expected: list[str]) -> None:
    assert ranked_slugs(filter_articles(records, criteria)) == expected


def test_dates_filters_drop_undated_articles() -> None:
    undated = make(when=None)
    assert filter_articles([undated], Criteria()) == [undated]
    assert filter_articles([undated], Criteria(since=NOW - timedelta(days=999))) == []


def test_usable_records_skips_unreadable_invalid_and_erroneous() -> None:
    good = make("good.md")
    error = Diagnostic("bad.md", 1, 1, "FM003", Severity.ERROR, "bad YAML")
    warning = Diagnostic("warn.md", 1, 1, "IM001", Severity.WARNING, "no images")
    reports = [
        FileReport("good.md", (), good),
        FileReport("warn.md", (warning,), make("warn.md")),
        FileReport("unreadable.md", (error,), None),
        FileReport("invalid.md", (), make("invalid.md")._replace(valid=False)),
        FileReport("bad.md", (error,), make("bad.md")),
    ]
    records, skipped = usable_records(reports)
    assert [r.path for r in records] == ["good.md", "warn.md"]
    assert skipped == 3


# --- statistics ---------------------------------------------------------------------------


def test_corpus_stats_of_the_fixture() -> None:
    result = run_checks([SITE], Settings(cache=False), lint=False)
    all_records = [report.record for report in result.reports if report.record is not None]
    stats = corpus_stats(all_records, lint_errors=1, lint_warnings=2)
    assert stats.articles == 9
    assert (stats.published, stats.unpublished, stats.published_unset) == (5, 2, 2)
    assert stats.invalid == 1
    assert stats.earliest == datetime(2023, 12, 1, tzinfo=timezone.utc)
    assert stats.latest == datetime(2024, 2, 29, 18, tzinfo=timezone.utc)
    assert stats.per_year == ((2023, 1), (2024, 8))
    assert stats.topics[:3] == (("AI", 6), ("Machine Learning", 4), ("AI Ethics", 2))
    assert stats.providers[0] == ("techdaily.com", 2)
    assert stats.providers[1] == ("tietimes.net", 2)
    assert (stats.quality_unknown, stats.heat_unknown) == (1, 2)
    assert [b.count for b in stats.quality] == [1, 0, 0, 2, 3, 1, 0, 1]
    assert stats.quality[-1].low == 140 and stats.quality[-1].high == 159
    assert stats.heat[-1].low == 200
    assert (stats.lint_errors, stats.lint_warnings) == (1, 2)


def test_articles_with_findings_counts_the_worst_per_file() -> None:
    def finding(path: str, severity: Severity) -> Diagnostic:
        return Diagnostic(path, 1, 1, "XX001", severity, "message")

    diagnostics = [
        finding("a.md", Severity.WARNING),
        finding("a.md", Severity.ERROR),
        finding("a.md", Severity.ERROR),
        finding("b.md", Severity.WARNING),
        finding("c.md", Severity.INFO),
        finding("_data/topics/x.yaml", Severity.ERROR),
    ]
    assert articles_with_findings(diagnostics, ["a.md", "b.md", "c.md"]) == (1, 1)


def test_histogram_keeps_empty_buckets_and_counts_negatives_as_zero() -> None:
    buckets = histogram([0, 5, 45, 19, -3], width=20)
    assert [(b.low, b.high, b.count) for b in buckets] == [(0, 19, 4), (20, 39, 0), (40, 59, 1)]
    assert histogram([]) == ()


def test_corpus_stats_of_nothing() -> None:
    stats = corpus_stats([])
    assert stats.articles == 0 and stats.earliest is None and stats.quality == ()
