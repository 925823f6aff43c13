"""Durations and moments: the one grammar of every option and setting that takes a time.

A duration is a number and a unit: ``90s``, ``30m``, ``12h``, ``7d``, ``2w``, or a
fraction such as ``1.5h``. A moment is an ISO 8601 date or date-time (``2024-03-01``,
``2024-03-01T12:00:00Z``; naive means UTC), or an age before the run's clock (``7d``).
The run's clock is :func:`current_time` unless ``--now`` pins it: the only place curate
reads the time of day.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from curate import inputs
from curate.errors import UsageError

UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
#: Longer durations are refused: they mean "forever", and a date that far back does not exist.
MAX_DURATION = timedelta(days=100 * 366)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)", re.IGNORECASE)
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
FORMS = "90s, 30m, 12h, 7d or 2w"


def current_time(*, by_rule: bool = False) -> datetime:
    """The current time, in UTC. Unless a clock rule reads it (``by_rule``), the output
    depends on it: such a run is never replayed."""
    if not by_rule:
        inputs.note_clock()
    return datetime.now(timezone.utc)


def parse_duration(text: str, *, bare_seconds: bool = False, allow_zero: bool = False) -> timedelta:
    """A duration such as ``12h``; ``bare_seconds`` also takes ``3600`` (seconds).

    Anything else is a :class:`UsageError` whose message contains "is not a duration".
    """
    found = _DURATION.fullmatch(text.strip())
    if found is None or (not found[2] and not bare_seconds):
        seconds = "seconds (3600) or " if bare_seconds else ""
        raise UsageError(f"{text!r} is not a duration: give {seconds}a number with a unit: {FORMS}")
    amount = float(found[1])
    if amount == 0 and not allow_zero:
        raise UsageError(f"{text!r} is not a duration: it must be more than 0")
    unit = UNITS[found[2].lower() or "s"]
    if amount * (unit / UNITS["d"]) > MAX_DURATION.days:
        raise UsageError(f"{text!r} is too long a duration: at most {MAX_DURATION.days}d")
    duration = amount * unit
    if not duration and not allow_zero:
        raise UsageError(f"{text!r} is too short a duration: under a microsecond")
    return duration


def parse_timestamp(text: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime (naive means UTC), or None."""
    from curate.corpus import parse_timestamp as parse

    return parse(text)


def parse_now(text: str) -> datetime:
    """The value of ``--now``: an ISO 8601 date or date-time."""
    moment = parse_timestamp(text)
    if moment is None:
        raise UsageError(
            f"{text!r} is not an ISO 8601 date or date-time "
            "(e.g. 2024-03-01 or 2024-03-01T12:00:00Z)"
        )
    return moment


def parse_moment(text: str, now: datetime, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time, or an age before ``now`` such as ``7d``.

    A bare date means the start of that day (UTC), or its very end with ``end_of_day``,
    so ``--until 2024-02-29`` includes the 29th.
    """
    stripped = text.strip()
    found = _DURATION.fullmatch(stripped)
    if found is not None and found[2]:
        age = parse_duration(stripped)
        try:
            return now - age
        except OverflowError:
            raise UsageError(
                f"{text!r} before {now.date().isoformat()} is before the year 1"
            ) from None
    if _DATE_ONLY.fullmatch(stripped):
        try:
            day = datetime.fromisoformat(stripped).replace(tzinfo=timezone.utc)
        except ValueError as error:
            raise UsageError(f"{text!r} is not a date: {error}") from None
        if not end_of_day:
            return day
        try:
            return day + timedelta(days=1) - timedelta(microseconds=1)
        except OverflowError:
            return day.replace(hour=23, minute=59, second=59, microsecond=999999)
    moment = parse_timestamp(stripped)
    if moment is None:
        raise UsageError(
            f"{text!r} is neither an ISO 8601 date (2024-02-01, 2024-02-01T12:00:00Z) "
            f"nor an age ({FORMS})"
        )
    return moment
