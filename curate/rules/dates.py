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
from curate.rules._common import message, now

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


def _time_zone_hint(moment: datetime | None, named: date) -> str:
    """Where on Earth the moment fell on the filename's date, when it is one day away."""
    if moment is None:
        return ""
    utc = moment.astimezone(timezone.utc)
    midnight = datetime(utc.year, utc.month, utc.day, tzinfo=timezone.utc)
    if named == utc.date() + timedelta(days=1):
        needed = midnight + timedelta(days=1) - utc
        if needed <= _EAST_MOST:
            return f"; it was already {named} in time zones from {_offset(needed)} eastward"
    elif named == utc.date() - timedelta(days=1):
        behind = utc - midnight
        if behind < _WEST_MOST:
            return f"; it was still {named} in time zones west of {_offset(-behind)}"
    return ""


@rule(
    "DT001",
    "filename-date-mismatch",
    Severity.WARNING,
    message="the filename date {named} is {days} {direction} the date of publishedDateTime "
    "{published}{hint}",
    summary="The YYYY-MM-DD- prefix of the file name is not the date of publishedDateTime.",
    why="Jekyll dates a post, and builds its URL, from the file name, while listings and feeds "
    "show publishedDateTime: readers see two dates. An article published late in the UTC day "
    "often got the next day's date from a time zone ahead of UTC.",
    example="# _posts/2021-03-06-a-story.md\npublishedDateTime: 2021-03-05T20:19:00Z",
    fix="Rename the file to the date of publishedDateTime (git mv), or correct "
    "publishedDateTime if the file name is right.",
)
def filename_date_mismatch(article: Article, site: Site) -> Iterator[Finding]:
    named = filename_date(article.path)
    published = article.data.get("publishedDateTime")
    if named is None or not isinstance(published, str):
        return
    written = _date(_WRITTEN_DATE.match(published))
    if written is None or written == named:
        return
    difference = (named - written).days
    yield Finding(
        ("publishedDateTime",),
        message(
            "DT001",
            named=named,
            days=_days(difference),
            direction="after" if difference > 0 else "before",
            published=published.strip(),
            hint=_time_zone_hint(parse_timestamp(published), named),
        ),
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
        yield Finding(
            ("publishedDateTime",),
            message(
                "DT002",
                published=(record.published_at or "").strip(),
                ahead=_ahead(moment - current),
                now=current.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )
