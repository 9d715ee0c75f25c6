"""Times on the wire: RFC3339 in, RFC3339 UTC with ``Z`` out.

Input accepts RFC3339 with any offset (normalised to UTC) and, where a date bound is allowed, a plain
``YYYY-MM-DD`` meaning that UTC day. Stored times keep microseconds, Firestore's precision.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ONE_MICROSECOND = timedelta(microseconds=1)


def parse_rfc3339(value: str) -> datetime:
    """An aware UTC datetime from RFC3339 text; raises ValueError for anything else."""
    if not _RFC3339.match(value):
        raise ValueError("expected RFC3339, e.g. 2026-04-21T13:45:22Z")
    text = value.upper().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Python keeps microseconds: cut longer fractions instead of refusing them
        digits = re.match(r"\d+", rest)
        assert digits is not None
        text = f"{head}.{digits.group()[:6].ljust(6, '0')}{rest[digits.end() :]}"
    return datetime.fromisoformat(text).astimezone(UTC)


def parse_bound(value: str, *, end_of_day: bool) -> datetime:
    """A filter bound: RFC3339, or ``YYYY-MM-DD`` as the first (or, for an upper bound, the last)
    microsecond of that UTC day. Raises ValueError."""
    if _DATE.match(value):
        day = date.fromisoformat(value)
        start = datetime.combine(day, time(0, 0), tzinfo=UTC)
        return start + timedelta(days=1) - ONE_MICROSECOND if end_of_day else start
    return parse_rfc3339(value)


def format_rfc3339(moment: datetime | None) -> str | None:
    """``2026-04-21T13:45:22Z`` (with ``.ffffff`` only when there are microseconds); None stays None."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def utcnow() -> datetime:
    """Now, in UTC, at Firestore's microsecond precision."""
    return datetime.now(UTC)
