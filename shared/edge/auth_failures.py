"""Failed authentications per client address: at most ``EVENTS_AUTH_FAILURES_PER_MINUTE`` (default 60)
in a fixed one-minute window. Over it, every request from that address is 429 ``rate_limited`` with
``Retry-After`` (the seconds to the next window) and the ``"auth-failures"`` RateLimit headers, answered
before the caller is authenticated, so before any store read. The address is
:func:`shared.edge.logs.client_address` (the socket's peer locally, the gateway's forwarding header
behind API Gateway).

Counts are kept per instance, in memory, for the current window only, in a table of at most
:data:`MAX_ADDRESSES` addresses: when a new address finds it full, the addresses still under the
limit are forgotten (the ones being refused are kept), so a flood of distinct addresses cannot grow
memory. With several instances an address may fail up to the limit on each one it reaches; a failed
authentication costs no store read (see :mod:`shared.edge.api_keys`), so that bounds work, not cost.
"""

from __future__ import annotations

import threading
import time

from shared.config import settings
from shared.edge.windows import minute_window, policy_headers
from shared.errors import RateLimited

MAX_ADDRESSES = 10_000
POLICY = "auth-failures"

_lock = threading.Lock()
_window = [0]
_failures: dict[str, int] = {}


def _current(now: float) -> int:
    """The current window's start; the counts of an older window are dropped (call under the lock)."""
    window, _ = minute_window(now)
    if window != _window[0]:
        _window[0] = window
        _failures.clear()
    return window


def refuse_if_over(address: str) -> None:
    """Raise the 429 when ``address`` has spent its failed authentications of this window."""
    limit = settings().auth_failures_per_minute
    now = time.time()
    with _lock:
        _current(now)
        failed = _failures.get(address, 0)
    if failed >= limit:
        _, reset = minute_window(now)
        refused = RateLimited(
            f"too many failed authentications from this address ({limit} a minute); retry after {reset} s"
        )
        refused.headers.update(policy_headers([(POLICY, limit, 0)], reset), **{"Retry-After": str(reset)})
        raise refused


def record_failure(address: str) -> None:
    """Count one failed authentication of ``address`` in this window."""
    limit = settings().auth_failures_per_minute
    with _lock:
        _current(time.time())
        if address not in _failures and len(_failures) >= MAX_ADDRESSES:
            for under in [known for known, count in _failures.items() if count < limit]:
                del _failures[under]
            if len(_failures) >= MAX_ADDRESSES:  # every tracked address is refused: keep those
                return
        _failures[address] = _failures.get(address, 0) + 1


def forget_failures() -> None:
    """Forget every count (a new instance; tests)."""
    with _lock:
        _failures.clear()
