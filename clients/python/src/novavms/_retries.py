"""When a failed call is tried again, and after how long.

Retried: 429 (after its ``Retry-After``), 409 while the same Idempotency-Key is still executing (the
server says so with ``Retry-After``), 502/503/504, connection errors and timeouts. Every change the
client sends carries an Idempotency-Key that its retries repeat, so a retry never applies a change
twice. The wait is exponential (0.5 s doubling up to 8 s) with jitter, or the server's ``Retry-After``
when it gives one (up to 60 s).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from ._errors import APIConnectionError, APIError, ConflictError

__all__ = ["INITIAL_DELAY", "MAX_DELAY", "MAX_RETRY_AFTER", "retry_after_seconds", "retry_delay", "retryable"]

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
_RETRIED_STATUSES = frozenset({429, 502, 503, 504})


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None when absent or unreadable."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def retryable(error: APIError) -> bool:
    """Whether the failure is worth another attempt (see above)."""
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, ConflictError):
        return error.retry_after is not None  # in flight; any other conflict is an answer
    return error.status in _RETRIED_STATUSES


def retry_delay(error: APIError, attempt: int, max_retries: int) -> float | None:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0), or None when
    the error is final: not retried, or the retries are spent."""
    if attempt >= max_retries or not retryable(error):
        return None
    if error.retry_after is not None and error.retry_after <= MAX_RETRY_AFTER:
        return error.retry_after + random.uniform(0, 0.1)
    backoff = min(MAX_DELAY, INITIAL_DELAY * 2.0**attempt)
    return backoff * random.uniform(0.75, 1.0)
