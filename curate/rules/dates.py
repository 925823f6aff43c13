"""DT: the article's dates, in its file name and its front matter."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from curate.corpus import parse_timestamp
from curate.model import Severity
from curate.rules import Finding, rule
from curate.rules._common import now

if TYPE_CHECKING:
    from curate.corpus import ArticleRecord, CorpusIndex, Site
    from curate.model import Article

_FILENAME_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})-")
_WRITTEN_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})")
#: Time zones run from UTC-12:00 to UTC+14:00.
_EAST_MOST = timedelta(hours=14)
_WEST_MOST = timedelta(hours=12)


def _date(match: re.Match[str] | None) -> date | None:
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def filename_date(path: str) -> date | None:
    """The date of a Jekyll post name, ``2021-06-30-title.md``; None for other names."""
    return _date(_FILENAME_DATE.match(os.path.basename(path)))


def _days(count: int) -> str:
    return f"{abs(count)} day{'s' if abs(count) != 1 else ''}"


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _explaining_offsets(moment: datetime, named: date) -> tuple[timedelta, timedelta] | None:
    """The range of UTC offsets at which ``moment`` fell on the date ``named``, if any."""
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    start = datetime(named.year, named.month, named.day)
    # The local date is `named` when start <= utc + offset < start + 1 day.
    low = max(start - utc, -_WEST_MOST)
    high = min(start + timedelta(days=1) - utc, _EAST_MOST)
    return (low, high) if low < high else None


def _zone_hint(moment: datetime, named: date) -> str:
    """Which time zones had the filename's date at that moment, if any did."""
    offsets = _explaining_offsets(moment, named)
    if offsets is None:
        return ""
    low, high = offsets
    if high >= _EAST_MOST:
        return f"; the file name has the date of time zones from {_offset(low)} eastward"
    return f"; the file name has the date of time zones west of {_offset(high)}"


def _needed_offset(moment: datetime, named: date) -> timedelta:
    """The offset nearest to UTC at which ``moment`` fell on ``named`` (maybe not a real one)."""
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    start = datetime(named.year, named.month, named.day)
    if utc < start:
        return start - utc
    return start + timedelta(days=1) - utc


#: A day and a time zone away from the ends of the calendar, dates can be compared.
_CALCULABLE = (datetime.min + timedelta(days=2), datetime.max - timedelta(days=2))
_NAMEABLE = (date.min + timedelta(days=2), date.max - timedelta(days=2))


def _calculable(moment: datetime | None, named: date) -> datetime | None:
    """``moment``, or None at the ends of the calendar (year 1, year 9999), where a day or
    a time zone more would overflow: the date written in the text is compared instead."""
    if moment is None or not _NAMEABLE[0] < named < _NAMEABLE[1]:
        return None
    try:
        utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:
        return None
    return moment if _CALCULABLE[0] < utc < _CALCULABLE[1] else None


@rule(
    "DT001",
    "filename-date-mismatch",
    Severity.WARNING,
    message="the filename date {named} is {days} {direction} the date of publishedDateTime "
    "{published}{where}{hint}",
    summary="The YYYY-MM-DD- prefix of the file name is not the date of publishedDateTime, in "
    "the site's time zone (or, with none set, in any real time zone).",
    why="Jekyll dates a post, and builds its URL, from the file name, while listings and feeds "
    "show publishedDateTime: readers see two dates. Jekyll computes dates in the site's "
    "'timezone:' (_config.yml, or 'timezone' in curate's configuration); with none set, curate "
    "only reports a date that no UTC offset from -12:00 to +14:00 explains, since a site "
    "dating its files in UTC+8 is right about its own dates.",
    example="# _config.yml: timezone: America/New_York\n"
    "# _posts/2021-03-06-a-story.md\npublishedDateTime: 2021-03-05T20:19:00Z",
    fix="Rename the file to the date of publishedDateTime in the site's time zone (git mv), "
    "correct publishedDateTime, or set the site's 'timezone:' to the one its files use.",
)
def filename_date_mismatch(article: Article, site: Site) -> Iterator[Finding]:
    named = filename_date(article.path)
    published = article.data.get("publishedDateTime")
    if named is None or not isinstance(published, str):
        return
    moment = _calculable(parse_timestamp(published), named)
    zone = site.jekyll.time_zone()
    if moment is None:
        written = _date(_WRITTEN_DATE.match(published))
        where, hint = "", ""
    elif zone is not None:
        written = moment.astimezone(zone).date()
        where = f" in the site's time zone {site.jekyll.timezone}"
        hint = _zone_hint(moment, named)
    else:
        if _explaining_offsets(moment, named) is not None:
            return
        written = moment.astimezone(timezone.utc).date()
        where = " (UTC)"
        hint = f"; no time zone explains it: it would take {_offset(_needed_offset(moment, named))}"
    if written is None or written == named:
        return
    difference = (named - written).days
    yield Finding.of(
        ("publishedDateTime",),
        named=named,
        days=_days(difference),
        direction="after" if difference > 0 else "before",
        published=published.strip(),
        where=where,
        hint=hint,
    )


def _ahead(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} hour{'s' if round(hours) != 1 else ''}"
    return _days(delta.days)


@rule(
    "DT002",
    "published-in-future",
    Severity.WARNING,
    message="publishedDateTime {published} is in the future: {ahead} after now ({now})",
    summary="publishedDateTime is later than now (or than --now when it is given).",
    why="Listings sort by date, so a future date pins the article to the top until that day; "
    "it is usually a typo in the year or a wrong time zone.",
    example="publishedDateTime: 2201-06-30T12:00:00Z",
    fix="Correct publishedDateTime. Use --now to check against another date.",
    corpus=True,
    looks_up=(),
    clock=True,
)
def published_in_future(record: ArticleRecord, index: CorpusIndex, site: Site) -> Iterator[Finding]:
    moment = parse_timestamp(record.published_at)
    if moment is None:
        return
    current = now(site)
    if moment > current:
        yield Finding.of(
            ("publishedDateTime",),
            published=(record.published_at or "").strip(),
            ahead=_ahead(moment - current),
            now=current.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
