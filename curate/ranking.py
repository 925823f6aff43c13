"""Filter, score, sort and summarise articles: the core of ``rank``, ``list`` and ``stats``.

Everything here is a pure function of :class:`~curate.corpus.ArticleRecord` values
and plain options, so Python users and tests call it without the command line.

The score
---------

::

    score     = 100 * base * freshness                          (0 to 100)
    base      = (wq·q + wh·h) / (wq + wh), over the parts that are known
    q         = min(quality, 100) / 100
    h         = min(log(1 + heat) / log(1 + 200), 1)
    freshness = 0.5 ** (age / half-life), age counted from --now, never negative

``heat`` of -1 (or absent) and an absent ``quality`` are *unknown*, not zero: the
weights are renormalised over the parts that are known. An article with neither
gets the neutral base 0.5 (:data:`UNRATED_BASE`).

Because the decay is exponential, ``log2(score) = log2(100·base) - age/half-life``:
the passing of time subtracts the same amount from every article, so two articles
never swap places as the clock moves (the property Reddit's "hot" formula has and
Hacker News' ``(p-1)/(t+2)^1.8`` does not). Sorting uses that logarithm, which never
underflows, so very old articles keep their order even when their score rounds to 0.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from curate.corpus import parse_timestamp
from curate.errors import UsageError
from curate.model import Diagnostic, Severity

# The parsers of durations and moments live in curate.timeparse; kept importable here.
from curate.timeparse import parse_duration as parse_duration
from curate.timeparse import parse_moment as parse_moment

if TYPE_CHECKING:
    from curate.corpus import ArticleRecord, Topic
    from curate.model import FileReport

SortKey = Literal["score", "quality", "heat", "date"]
MatchMode = Literal["any", "all"]

#: Quality at and above which the quality part is full. Quality 70 is the site's bar for
#: publishing; the sample's rated articles mostly sit between 40 and 104, with a few
#: outliers up to 161 that would otherwise squash everyone else into the lower half.
QUALITY_CAP = 100
#: Heat at and above which the heat part is full: the top of the observed range (215).
HEAT_CAP = 200
#: The base of an article with neither quality nor heat: neutral, below the publishing
#: bar (quality 70 gives 0.7), so unrated articles neither lead nor sink.
UNRATED_BASE = 0.5
DEFAULT_HALF_LIFE = timedelta(hours=48)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_HOUR = timedelta(hours=1)
_SEPARATORS = re.compile(r"[\s_-]+")


# --- parsing the values editors type ----------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """How much quality and heat count in the base; only their ratio matters."""

    quality: float = 0.6
    heat: float = 0.4

    def __post_init__(self) -> None:
        for name, value in (("quality", self.quality), ("heat", self.heat)):
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"the {name} weight must be a number >= 0, got {value}")
        if self.quality + self.heat <= 0:
            raise ValueError("at least one weight must be above 0")

    def __str__(self) -> str:
        total = self.quality + self.heat
        return f"quality {self.quality / total:.2g} + heat {self.heat / total:.2g}"


def parse_weights(text: str) -> Weights:
    """``quality=0.7,heat=0.3``; a weight left out is 0. Else a UsageError."""
    values = {"quality": 0.0, "heat": 0.0}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, number = item.partition("=")
        key = name.strip().lower()
        if not equals or key not in values:
            raise UsageError(f"{item!r}: weights are written quality=0.7,heat=0.3")
        try:
            values[key] = float(number)
        except ValueError:
            raise UsageError(f"{item!r}: {number.strip()!r} is not a number") from None
    try:
        return Weights(**values)
    except ValueError as error:
        raise UsageError(str(error)) from None


# --- topics -------------------------------------------------------------------------------


@lru_cache(maxsize=4096)  # a site has a few hundred topic spellings, on thousands of articles
def normalize_topic(text: str) -> str:
    """Topic spellings that mean the same: case, spaces, hyphens and underscores ignored."""
    return _SEPARATORS.sub(" ", text.casefold()).strip()


@dataclass(frozen=True)
class TopicQuery:
    """One ``--topic`` value and the normalised topic spellings it stands for."""

    query: str
    name: str
    keys: frozenset[str]


class UnknownTopicError(UsageError):
    """A ``--topic`` names no topic of the taxonomy nor of any article."""

    def __init__(self, query: str, suggestions: Sequence[str], known: Sequence[str]) -> None:
        self.query = query
        self.suggestions = tuple(suggestions)
        self.known = tuple(known)
        hint = (
            "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
            if self.suggestions
            else ""
        )
        # Topic names come from articles: a newline in one must not start a line.
        known = ", ".join(name if name.isprintable() else repr(name) for name in self.known)
        super().__init__(f"unknown topic {query!r}{hint}\nknown topics: {known or '(none)'}")


def resolve_topics(
    queries: Iterable[str], taxonomy: Sequence[Topic], records: Iterable[ArticleRecord] = ()
) -> tuple[TopicQuery, ...]:
    """Match each query against the taxonomy (name, shortname, _id) and the articles' topics.

    ``ethics`` and ``ai-ethics`` both resolve to "AI Ethics" when the taxonomy says so;
    a topic only articles use matches itself. Raises :class:`UnknownTopicError`.
    """
    by_key: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for topic in taxonomy:
        keys = {normalize_topic(alias) for alias in topic.aliases()}
        for key in keys:
            by_key.setdefault(key, set()).update(keys)
            names.setdefault(key, topic.name)
    used = sorted({t for record in records for t in record.topics}, key=str.casefold)
    for name in used:
        key = normalize_topic(name)
        by_key.setdefault(key, {key})
        names.setdefault(key, name)
    resolved = []
    for query in queries:
        key = normalize_topic(query)
        if key not in by_key:
            raise UnknownTopicError(query, _close_topics(key, names), _known_topics(taxonomy, used))
        resolved.append(TopicQuery(query, names[key], frozenset(by_key[key])))
    return tuple(resolved)


def _close_topics(key: str, names: dict[str, str]) -> list[str]:
    close = difflib.get_close_matches(key, list(names), n=6, cutoff=0.6)
    close += [k for k in names if key and key in k.split() and k not in close]
    return list(dict.fromkeys(names[k] for k in close))[:3]


def _known_topics(taxonomy: Sequence[Topic], used: Sequence[str]) -> list[str]:
    known = [
        f"{topic.name} ({topic.shortname})" if topic.shortname else topic.name for topic in taxonomy
    ]
    in_taxonomy = {normalize_topic(alias) for topic in taxonomy for alias in topic.aliases()}
    return known + [name for name in used if normalize_topic(name) not in in_taxonomy]


# --- filtering ----------------------------------------------------------------------------


def _normalize_domain(text: str) -> str:
    domain = text.strip().casefold()
    for prefix in ("https://", "http://", "www."):
        domain = domain.removeprefix(prefix)
    return domain.rstrip("/")


def provider_key(record: ArticleRecord) -> str:
    """What identifies an article's provider: its domain, else its name."""
    if record.provider_domain:
        return _normalize_domain(record.provider_domain)
    return record.provider_name or "(none)"


def is_published(record: ArticleRecord) -> bool:
    """Whether Jekyll renders the article: ``published: false`` hides it, absent does not."""
    return record.published is not False


def known_heat(record: ArticleRecord) -> int | None:
    """Heat, or None when unknown (absent, or the -1 the site writes for 'not measured')."""
    return record.heat if record.heat is not None and record.heat >= 0 else None


@dataclass(frozen=True)
class Criteria:
    """What an article must be to be kept; every criterion left at its default keeps all."""

    topics: tuple[TopicQuery, ...] = ()
    match: MatchMode = "any"
    providers: tuple[str, ...] = ()
    min_quality: int | None = None
    min_heat: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    published: bool | None = None
    types: tuple[str, ...] = ()
    has_image: bool | None = None

    def matches(self, record: ArticleRecord) -> bool:
        return (
            self._topics_match(record)
            and self._provider_matches(record)
            and _at_least(record.quality, self.min_quality)
            and _at_least(known_heat(record), self.min_heat)
            and self._date_matches(record)
            and (self.published is None or is_published(record) is self.published)
            and (not self.types or (record.type or "").casefold() in _folded(self.types))
            and (self.has_image is None or record.has_image is self.has_image)
        )

    def _topics_match(self, record: ArticleRecord) -> bool:
        if not self.topics:
            return True
        keys = {normalize_topic(topic) for topic in record.topics}
        hits = (bool(query.keys & keys) for query in self.topics)
        return all(hits) if self.match == "all" else any(hits)

    def _provider_matches(self, record: ArticleRecord) -> bool:
        if not self.providers:
            return True
        domain = _normalize_domain(record.provider_domain or "")
        name = (record.provider_name or "").casefold()
        for wanted in self.providers:
            query = _normalize_domain(wanted)
            if domain and (domain == query or domain.endswith("." + query)):
                return True
            if name and name == wanted.strip().casefold():
                return True
        return False

    def _date_matches(self, record: ArticleRecord) -> bool:
        if self.since is None and self.until is None:
            return True
        when = parse_timestamp(record.published_at)
        if when is None:
            return False
        return (self.since is None or when >= self.since) and (
            self.until is None or when <= self.until
        )


def _at_least(value: int | None, minimum: int | None) -> bool:
    return minimum is None or (value is not None and value >= minimum)


def _folded(values: Iterable[str]) -> set[str]:
    return {value.strip().casefold() for value in values}


def filter_articles(records: Iterable[ArticleRecord], criteria: Criteria) -> list[ArticleRecord]:
    """The records that meet ``criteria``, in their original order."""
    return [record for record in records if criteria.matches(record)]


def is_usable(report: FileReport) -> bool:
    """Whether a file is a usable article: it loads, matches the schema and has no error of
    reading or validating (a lint rule's error does not count: rank, list and stats agree).
    """
    record = report.record
    return (
        record is not None
        and record.valid
        and not any(
            d.severity is Severity.ERROR and d.code in _builtin_codes() for d in report.diagnostics
        )
    )


@lru_cache(maxsize=1)
def _builtin_codes() -> frozenset[str]:
    from curate.codes import BUILTIN_CODES

    return frozenset(doc.code for doc in BUILTIN_CODES)


def usable_records(reports: Iterable[FileReport]) -> tuple[list[ArticleRecord], int]:
    """The records of files that load and validate, and how many files were left out."""
    records, invalid, unreadable = sorted_out(reports)
    return records, invalid + unreadable


def sorted_out(reports: Iterable[FileReport]) -> tuple[list[ArticleRecord], int, int]:
    """The usable records; how many articles fail validation; how many files cannot be read."""
    records: list[ArticleRecord] = []
    invalid = unreadable = 0
    for report in reports:
        if report.record is None:
            unreadable += 1
        elif not is_usable(report):
            invalid += 1
        else:
            records.append(report.record)
    return records, invalid, unreadable


# --- scoring and sorting ------------------------------------------------------------------


@dataclass(frozen=True)
class RankOptions:
    """How to score and order; ``now`` pins the clock so a ranking is reproducible."""

    now: datetime
    half_life: timedelta = DEFAULT_HALF_LIFE
    weights: Weights = field(default_factory=Weights)
    by: SortKey = "score"
    reverse: bool = False
    #: Keep the first ``limit`` articles; 0 keeps all.
    limit: int = 0

    def __post_init__(self) -> None:
        if self.half_life <= timedelta(0):
            raise ValueError("the half-life must be positive")
        if self.limit < 0:
            raise ValueError("the limit must be 0 (all) or more")


@dataclass(frozen=True)
class ScoreParts:
    """A score and what it is made of, so that an editor can check it by hand.

    ``quality_part + heat_part == base`` (each None when unknown); ``score`` is
    ``100 * base * freshness``. ``hotness`` is ``log2(base) + published / half-life``
    (time since 1970): ``log2(score / 100)`` shifted by the same amount for every
    article, so it does not depend on ``now``: the order that never changes over time.
    """

    quality_part: float | None
    heat_part: float | None
    base: float
    age_hours: float | None
    freshness: float
    score: float
    hotness: float

    @property
    def rated(self) -> bool:
        return self.quality_part is not None or self.heat_part is not None


@dataclass(frozen=True)
class RankedArticle:
    """An article in a ranking: its place (1 is first), its record and its score."""

    rank: int
    record: ArticleRecord
    parts: ScoreParts

    @property
    def score(self) -> float:
        return self.parts.score


def quality_norm(quality: int) -> float:
    return min(max(quality, 0), QUALITY_CAP) / QUALITY_CAP


def heat_norm(heat: int) -> float:
    return min(math.log1p(max(heat, 0)) / math.log1p(HEAT_CAP), 1.0)


def score_article(record: ArticleRecord, options: RankOptions) -> ScoreParts:
    """The score of one article at ``options.now`` and its parts."""
    weights = options.weights
    heat = known_heat(record)
    quality = None if record.quality is None else quality_norm(record.quality)
    known = [
        (name, weight, value)
        for name, weight, value in (
            ("quality", weights.quality, quality),
            ("heat", weights.heat, None if heat is None else heat_norm(heat)),
        )
        if value is not None and weight > 0
    ]
    total = sum(weight for _, weight, _ in known)
    parts = {name: weight / total * value for name, weight, value in known}
    base = sum(parts.values()) if parts else UNRATED_BASE

    when = parse_timestamp(record.published_at)
    if when is None:
        return ScoreParts(parts.get("quality"), parts.get("heat"), base, None, 0.0, 0.0, -math.inf)
    when = min(when, options.now)
    age_hours = (options.now - when) / _HOUR
    half_life_hours = options.half_life / _HOUR
    freshness = 0.5 ** (age_hours / half_life_hours)
    log_base = math.log2(base) if base > 0 else -math.inf
    hotness = log_base + ((when - _EPOCH) / _HOUR) / half_life_hours
    return ScoreParts(
        parts.get("quality"),
        parts.get("heat"),
        base,
        age_hours,
        freshness,
        100.0 * base * freshness,
        hotness,
    )


def _order_key(
    primary: float | None, reverse: bool, when: datetime | None, path: str
) -> tuple[bool, float, bool, float, str]:
    """Primary value high to low (low to high reversed), unknowns last; then newest; then path."""
    return (
        primary is None,
        0.0 if primary is None else (primary if reverse else -primary),
        when is None,
        0.0 if when is None else -when.timestamp(),
        path,
    )


def _primary(record: ArticleRecord, by: SortKey, when: datetime | None) -> float | None:
    if by == "quality":
        return None if record.quality is None else float(record.quality)
    if by == "heat":
        heat = known_heat(record)
        return None if heat is None else float(heat)
    return None if when is None else when.timestamp()


def sort_articles(
    records: Iterable[ArticleRecord], by: SortKey = "date", *, reverse: bool = False
) -> list[ArticleRecord]:
    """Records by date (newest first), quality or heat (highest first); unknowns last.

    Ties go to the newest article, then to the path, so the order is always the same.
    ``by="score"`` needs a clock: use :func:`rank`.
    """
    if by == "score":
        raise ValueError("sorting by score needs a clock; use rank()")
    keyed = []
    for record in records:
        when = parse_timestamp(record.published_at)
        keyed.append((_order_key(_primary(record, by, when), reverse, when, record.path), record))
    keyed.sort(key=lambda pair: pair[0])
    return [record for _, record in keyed]


def rank(records: Iterable[ArticleRecord], options: RankOptions) -> list[RankedArticle]:
    """Score every record and order them by ``options.by``; rank 1 is the first."""
    scored = []
    for record in records:
        parts = score_article(record, options)
        when = parse_timestamp(record.published_at)
        if options.by == "score":
            primary = None if when is None else parts.hotness
        else:
            primary = _primary(record, options.by, when)
        scored.append((_order_key(primary, options.reverse, when, record.path), record, parts))
    scored.sort(key=lambda item: item[0])
    if options.limit:
        scored = scored[: options.limit]
    return [
        RankedArticle(place, record, parts) for place, (_, record, parts) in enumerate(scored, 1)
    ]


# --- statistics ---------------------------------------------------------------------------

#: The width of the quality and heat buckets of ``curate stats``.
BUCKET_WIDTH = 20
#: The most buckets of one distribution: wider buckets past it, whatever the data.
MAX_BUCKETS = 25


@dataclass(frozen=True)
class Bucket:
    """``count`` values from ``low`` to ``high`` inclusive."""

    low: int
    high: int
    count: int


@dataclass(frozen=True)
class CorpusStats:
    """A corpus at a glance: what ``curate stats`` shows."""

    articles: int
    published: int
    unpublished: int
    published_unset: int
    earliest: datetime | None
    latest: datetime | None
    undated: int
    per_year: tuple[tuple[int, int], ...]
    topics: tuple[tuple[str, int], ...]
    providers: tuple[tuple[str, int], ...]
    quality: tuple[Bucket, ...]
    quality_unknown: int
    heat: tuple[Bucket, ...]
    heat_unknown: int
    #: Files that could not be read as articles at all.
    unreadable: int = 0
    #: Articles that do not match the schema.
    invalid: int = 0
    #: Articles with at least one lint error / with warnings but no error (None: not linted).
    lint_errors: int | None = None
    lint_warnings: int | None = None


def _most_common(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0].casefold())))


def histogram(
    values: Iterable[int], width: int = BUCKET_WIDTH, *, max_buckets: int = MAX_BUCKETS
) -> tuple[Bucket, ...]:
    """Buckets from 0 up to the largest value; empty ones kept so the shape shows.

    Buckets are ``width`` wide, or wider (a round 1, 2 or 5 times a power of ten) when
    that would make more than ``max_buckets``: one article with heat 200000000 gives
    20 buckets of 10000000, not ten million buckets.
    """
    known = [max(value, 0) for value in values]
    if not known:
        return ()
    width = _bucket_width(max(known), width, max_buckets)
    counts = Counter(value // width for value in known)
    return tuple(
        Bucket(index * width, index * width + width - 1, counts[index])
        for index in range(max(counts) + 1)
    )


def _bucket_width(largest: int, width: int, max_buckets: int) -> int:
    """The narrowest width from ``width`` up (then 1, 2, 5 x 10^k) that needs few buckets."""
    if largest // width < max_buckets:
        return width
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            candidate = step * magnitude
            if candidate >= width and largest // candidate < max_buckets:
                return candidate
        magnitude *= 10


def _per_year(dates: Sequence[datetime]) -> tuple[tuple[int, int], ...]:
    """Articles per year; years without any included so that gaps show, unless too many.

    One article dated 9999 beside a site of 2021 would otherwise add 7,978 empty rows.
    """
    counts = Counter(when.year for when in dates)
    if not counts:
        return ()
    first, last = min(counts), max(counts)
    if last - first >= MAX_BUCKETS:
        return tuple(sorted(counts.items()))
    return tuple((year, counts[year]) for year in range(first, last + 1))


def articles_with_findings(
    diagnostics: Iterable[Diagnostic], paths: Iterable[str]
) -> tuple[int, int]:
    """How many of ``paths`` have an error, and how many a warning but no error."""
    wanted = set(paths)
    worst: dict[str, Severity] = {}
    for diagnostic in diagnostics:
        if diagnostic.path in wanted and diagnostic.severity is not Severity.INFO:
            current = worst.get(diagnostic.path)
            if current is None or diagnostic.severity.rank < current.rank:
                worst[diagnostic.path] = diagnostic.severity
    errors = sum(1 for severity in worst.values() if severity is Severity.ERROR)
    return errors, len(worst) - errors


def corpus_stats(
    records: Sequence[ArticleRecord],
    *,
    unreadable: int = 0,
    invalid: int | None = None,
    lint_errors: int | None = None,
    lint_warnings: int | None = None,
) -> CorpusStats:
    """Counts, date range, topics, providers and the quality and heat distributions."""
    dates = [parse_timestamp(record.published_at) for record in records]
    known_dates = [when for when in dates if when is not None]
    qualities = [r.quality for r in records if r.quality is not None]
    heats = [heat for heat in map(known_heat, records) if heat is not None]
    return CorpusStats(
        articles=len(records),
        published=sum(1 for r in records if r.published is True),
        unpublished=sum(1 for r in records if r.published is False),
        published_unset=sum(1 for r in records if r.published is None),
        earliest=min(known_dates, default=None),
        latest=max(known_dates, default=None),
        undated=len(dates) - len(known_dates),
        per_year=_per_year(known_dates),
        topics=_most_common(Counter(t for r in records for t in dict.fromkeys(r.topics))),
        providers=_most_common(Counter(provider_key(r) for r in records)),
        quality=histogram(qualities),
        quality_unknown=len(records) - len(qualities),
        heat=histogram(heats),
        heat_unknown=len(records) - len(heats),
        unreadable=unreadable,
        invalid=sum(1 for r in records if not r.valid) if invalid is None else invalid,
        lint_errors=lint_errors,
        lint_warnings=lint_warnings,
    )
