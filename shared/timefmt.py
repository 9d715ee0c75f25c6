"""Times on the wire: RFC3339 in, RFC3339 UTC with ``Z`` out.

Input accepts RFC3339 with any offset (normalised to UTC) and, where a date bound is allowed, a plain
``YYYY-MM-DD`` meaning that UTC day. Stored times keep microseconds, Firestore's precision.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def parse_rfc3339(value: str) -> datetime:
    """An aware UTC datetime from RFC3339 text; raises ValueError for anything else, and for a time
    that is out of range once in UTC (before year 1 or after year 9999)."""
    try:
        return _parse(value)
    except OverflowError as exc:
        raise ValueError("out of range: times are from 0001-01-01 to 9999-12-31 (UTC)") from exc


def _parse(value: str) -> datetime:
    if not _RFC3339.fullmatch(value):
        raise ValueError("expected RFC3339, e.g. 2026-04-21T13:45:22Z")
    text = value.upper().replace("Z", "+00:00")
    if text[17:19] == "60":  # a leap second (RFC3339 allows it): the last microsecond of that minute
        text = f"{text[:17]}59.999999{text[19:].lstrip('.0123456789')}"
    head, dot, rest = text.partition(".")
    if dot:  # Python keeps microseconds: cut longer fractions instead of refusing them
        digits = re.match(r"[0-9]+", rest)
        assert digits is not None
        text = f"{head}.{digits.group()[:6].ljust(6, '0')}{rest[digits.end() :]}"
    return datetime.fromisoformat(text).astimezone(UTC)


def parse_bound(value: str, *, end_of_day: bool) -> datetime:
    """A filter bound: RFC3339, or ``YYYY-MM-DD`` as the first (or, for an upper bound, the last)
    microsecond of that UTC day. A valid time whose UTC value falls outside years 1-9999 is clamped
    to the range's end (as a bound it means the same). Raises ValueError."""
    if _DATE.fullmatch(value):
        day = date.fromisoformat(value)
        return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
    try:
        return _parse(value)
    except OverflowError:
        return EARLIEST if value.startswith("0001-") else LATEST  # only year 1 or 9999 can overflow


def format_rfc3339(moment: datetime | None) -> str | None:
    """``2026-04-21T13:45:22Z`` (with ``.ffffff`` only when there are microseconds); None stays None."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    text = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def utcnow() -> datetime:
    """Now, in UTC, at Firestore's microsecond precision."""
    return datetime.now(UTC)
