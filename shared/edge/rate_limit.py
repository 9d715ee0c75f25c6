"""The rate-limit step: a per-org budget of requests per minute (``EVENTS_RATE_LIMIT_PER_MINUTE``,
default 600) shared by every instance of every function, and a per-key budget below it (half of it by
default, ``EVENTS_RATE_LIMIT_KEY_SHARE``) so one script cannot starve the console.

Budgets are fixed one-minute windows. Each instance leases slices of a window's budget in one
Firestore transaction each and spends them locally, so an org's accepted requests in a window never
exceed its budget across instances (worst-case overshoot 0 within a window; as with any fixed window,
up to twice the budget can pass in the 60 s around a boundary), while store writes grow with slices,
not with requests. An instance's first slice in a window is a hundredth of the budget and each next
one doubles, up to a tenth: a busy instance soon leases in tenths, and the many instances that serve a
request or two (cold starts of a dozen functions) reserve a hundredth each, not a tenth. Over budget:
429 ``rate_limited`` with ``Retry-After`` (the seconds to the next window).
Every authenticated answer carries the IETF headers of draft-ietf-httpapi-ratelimit-headers-09:
``RateLimit-Policy: "org";q=600;w=60`` and ``RateLimit: "org";r=<remaining>;t=<seconds to reset>``
(``r`` is what this instance knows: its unspent slice plus what no instance has leased yet).
Unauthenticated requests never reach this step; it runs right after authentication, before the role
check, so every authenticated request counts and every authenticated answer, a 403 included, carries
the headers. When the limiter's store cannot be reached within the
request's store budget the step fails open (the request proceeds, a log line says so): a limiter
outage must not take the API down, and the request itself answers 503 if the store is really gone.
Orgs never wait on each other: each has its own windows and its own lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import flask

from shared.config import settings
from shared.edge.endpoint import Context, Handler
from shared.edge.logs import log_error
from shared.errors import RateLimited
from shared.model.actor import ActorKind
from shared.store.budget import outage
from shared.store.rate_windows import RateWindows

WINDOW_SECONDS = 60
SLICES_PER_WINDOW = 10


@dataclass
class _Lease:
    window: int
    unspent: int = 0
    leased_total: int = 0
    exhausted: bool = False
    next_slice: int = 1  # a hundredth of the budget at first; doubles with each lease, up to a tenth


_leases: dict[tuple[str, str], _Lease] = {}
_locks: dict[tuple[str, str], threading.Lock] = {}
_registry_lock = threading.Lock()
_newest_window = [0]


def _lock(key: tuple[str, str], window: int) -> threading.Lock:
    """The bucket's lock. When a new window starts, the leases of windows before the last one are
    dropped with their idle locks: an instance keeps only the buckets used in the last two minutes."""
    with _registry_lock:
        if window > _newest_window[0]:
            _newest_window[0] = window
            for stale in [k for k, lease in _leases.items() if lease.window < window - 1]:
                del _leases[stale]
                if not _locks[stale].locked():
                    del _locks[stale]
        return _locks.setdefault(key, threading.Lock())


def _take(org_id: str, bucket: str, budget: int, window: int) -> tuple[bool, int]:
    """Spend one request of the bucket's window: (allowed, remaining as this instance knows it)."""
    key = (org_id, bucket)
    with _lock(key, window):
        lease = _leases.get(key)
        if lease is None or lease.window != window:
            lease = _leases[key] = _Lease(window, next_slice=max(1, budget // (SLICES_PER_WINDOW * 10)))
        if lease.unspent == 0 and not lease.exhausted:
            want = min(max(1, budget // SLICES_PER_WINDOW), lease.next_slice)
            lease.next_slice *= 2
            granted, total = RateWindows(org_id).lease(bucket, window, want, budget)
            lease.unspent += granted
            lease.leased_total = total
            lease.exhausted = granted == 0 or total >= budget
        if lease.unspent == 0:
            return False, 0
        lease.unspent -= 1
        return True, lease.unspent + max(0, budget - lease.leased_total)


def _headers(name: str, budget: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{name}";q={budget};w={WINDOW_SECONDS}',
        "RateLimit": f'"{name}";r={remaining};t={reset}',
    }


def rate_limit(context: Context, proceed: Handler) -> flask.Response:
    """The step: spend one of the org's (and the key's) budget, or answer 429."""
    config = settings()
    principal = context.principal
    now = time.time()
    window = int(now) // WINDOW_SECONDS * WINDOW_SECONDS
    reset = max(1, window + WINDOW_SECONDS - int(now))
    budgets = [("org", config.rate_limit_per_minute)]
    if principal.actor.kind is ActorKind.API_KEY:  # the key's own share first: what it is refused is
        share = max(1, config.rate_limit_per_minute * config.rate_limit_key_share_percent // 100)
        budgets.insert(0, (f"key-{principal.actor.id}", share))  # not taken from the org's budget
    headers: dict[str, str] = {}
    for bucket, budget in budgets:
        try:
            allowed, remaining = _take(principal.org_id, bucket, budget, window)
        except Exception as exc:
            if outage(exc) is None:
                raise
            log_error("rate limiter unreachable: failing open", org_id=principal.org_id, error=repr(exc))
            continue
        name = "org" if bucket == "org" else "key"
        if not headers or bucket == "org":
            headers = _headers(name, budget, remaining, reset)
        if not allowed:
            refused = RateLimited(
                f"the {name}'s budget of {budget} requests a minute is spent; retry after {reset} s"
            )
            refused.headers.update(_headers(name, budget, 0, reset), **{"Retry-After": str(reset)})
            raise refused
    context.headers.update(headers)  # on the answer, whatever it is (an error too)
    return proceed(context)


rate_limit.before_role = True  # type: ignore[attr-defined]  # every authenticated request counts
