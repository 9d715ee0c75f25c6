"""The rate-limit step: per-org budgets a minute, shared by every instance of every function. Which
budget a request spends is its route's ``budget``: ``api`` routes spend the API's budget of requests
(``EVENTS_RATE_LIMIT_PER_MINUTE``, default 600); ``ingest`` routes (event ingest, media upload URLs)
spend the ingest budget of events (``EVENTS_INGEST_RATE_LIMIT_PER_MINUTE``, default 6000): a batch
costs its number of events, any other request 1. Neither route ever spends the other's budget.
API keys may spend at most ``EVENTS_RATE_LIMIT_KEY_SHARE`` percent of the API's budget (default
50): each key at most that share, and all the org's keys together at most that share too, so the
org's users (the console) always keep the rest however many keys a script uses.

Budgets are fixed one-minute windows. Each instance leases slices of a window's budget in one
Firestore write each (an atomic increment) and spends them locally, so an org's accepted requests in
a window never exceed its budget across instances (worst-case overshoot 0 within a window; as with
any fixed window, up to twice the budget can pass in the 60 s around a boundary), while store writes
grow with slices, not with requests. An instance's first slice in a window is a hundredth of the
budget and each next one doubles, up to a tenth: a busy instance soon leases in tenths, and the many
instances that serve a request or two (cold starts of a dozen functions) reserve a hundredth each,
not a tenth. Over budget:
429 ``rate_limited`` with ``Retry-After`` (the seconds to the next window). An ingest request costing
more than what remains is refused whole (nothing of it is written); its 429 says what remains.
Every authenticated answer carries the IETF headers of draft-ietf-httpapi-ratelimit-headers, one list
item per policy that applies to the caller: a user's ``RateLimit-Policy: "org";q=600;w=60``, an API
key's ``"key";q=300;w=60, "keys";q=300;w=60, "org";q=600;w=60``, and ``RateLimit`` with each one's
``r=<remaining>;t=<seconds to reset>`` (``r`` is what this instance knows: its unspent slice plus
what no instance has leased yet). A 429 names the policy that refused with ``r=0``.
Unauthenticated requests never reach this step; on an ``api`` route it runs right after
authentication, before the role check, so every authenticated request counts and every authenticated
answer, a 403 included, carries the headers. On an ``ingest`` route it runs once the role and the
body's size are checked (the cost is the body's count of events), before idempotency and the write;
its only policy is the org's ``"ingest";q=6000;w=60``. When the limiter's store cannot be reached within the
request's store budget the step fails open (the request proceeds, a log line says so): a limiter
outage must not take the API down, and the request itself answers 503 if the store is really gone.
Orgs never wait on each other: each has its own windows and its own lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import flask

from shared.config import Settings, settings
from shared.edge.auth import Principal
from shared.edge.endpoint import Context, Handler
from shared.edge.logs import log_error
from shared.edge.routes import Route
from shared.edge.windows import minute_window, policy_headers
from shared.errors import RateLimited, ValidationError
from shared.model.actor import ActorKind
from shared.model.event import INGEST_BATCH_MAX
from shared.store.budget import outage
from shared.store.rate_windows import RateWindows

SLICES_PER_WINDOW = 10
KEYS_BUCKET = "keys"  # all the org's API keys together (a key's own bucket is "key-<key id>")
INGEST_BUCKET = "ingest"  # the org's ingest budget, counted in events


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


def _take(org_id: str, bucket: str, budget: int, window: int, cost: int = 1) -> tuple[bool, int]:
    """Spend ``cost`` of the bucket's window, all or nothing: (allowed, remaining as this instance
    knows it). A cost larger than this instance's unspent slice leases at least the difference."""
    key = (org_id, bucket)
    with _lock(key, window):
        lease = _leases.get(key)
        if lease is None or lease.window != window:
            lease = _leases[key] = _Lease(window, next_slice=max(1, budget // (SLICES_PER_WINDOW * 10)))
        if lease.unspent < cost and not lease.exhausted:
            want = max(min(max(1, budget // SLICES_PER_WINDOW), lease.next_slice), cost - lease.unspent)
            lease.next_slice *= 2
            granted, total = RateWindows(org_id).lease(bucket, window, want, budget)
            lease.unspent += granted
            lease.leased_total = total
            lease.exhausted = granted == 0 or total >= budget
        remaining = lease.unspent + max(0, budget - lease.leased_total)
        if lease.unspent < cost:
            return False, remaining
        lease.unspent -= cost
        return True, remaining - cost


def policies(config: Settings, principal: Principal, route: Route) -> list[tuple[str, str, int]]:
    """The ``(policy, bucket, budget)`` a caller's request spends, most specific first (what a
    narrower one refuses is not taken from the wider ones): on an ingest route the org's ingest
    budget alone; else a user's the org's, an API key's its own share, the keys' shared share, then
    the org's."""
    if route.budget == "ingest":
        return [("ingest", INGEST_BUCKET, config.ingest_rate_limit_per_minute)]
    org = ("org", "org", config.rate_limit_per_minute)
    if principal.actor.kind is not ActorKind.API_KEY:
        return [org]
    share = max(1, config.rate_limit_per_minute * config.rate_limit_key_share_percent // 100)
    return [("key", f"key-{principal.actor.id}", share), ("keys", KEYS_BUCKET, share), org]


def cost_of(context: Context) -> int:
    """What a request costs its budget: on an ingest route, the number of events of a body
    ``{"events": [...]}`` (1 to the batch's cap; a body the route refuses costs 1); else 1."""
    if context.route.budget != "ingest":
        return 1
    try:
        events = context.json_body().get("events")
    except ValidationError:
        return 1  # the handler answers 400
    return len(events) if isinstance(events, list) and 1 <= len(events) <= INGEST_BATCH_MAX else 1


def _spend(
    org_id: str,
    policy: tuple[str, str, int],
    cost: int,
    window: tuple[int, int],
    announced: list[tuple[str, int, int]],
    what: str = "request",
) -> None:
    """Spend ``cost`` of one policy's budget in ``window`` (start, seconds to reset), adding it to
    ``announced``; RateLimited (with the policies' headers) when it does not fit. When the limiter's
    store cannot be reached it fails open: a log line, nothing announced."""
    name, bucket, budget = policy
    start, reset = window
    try:
        allowed, remaining = _take(org_id, bucket, budget, start, cost)
    except Exception as exc:
        if outage(exc) is None:
            raise
        log_error("rate limiter unreachable: failing open", org_id=org_id, error=repr(exc))
        return
    announced.append((name, budget, remaining))
    if not allowed:
        if name == "ingest":
            message = (
                f"the org's ingest budget of {budget} events a minute has {remaining} left, fewer "
                f"than this {what}'s {cost}; nothing was written; retry after {reset} s"
            )
        else:
            whose = {"org": "the org's", "keys": "the org's API keys'", "key": "this API key's"}[name]
            message = f"{whose} budget of {budget} requests a minute is spent; retry after {reset} s"
        refused = RateLimited(message)
        refused.headers.update(policy_headers(announced, reset), **{"Retry-After": str(reset)})
        raise refused


def spend_ingest_budget(org_id: str, events: int) -> None:
    """Spend ``events`` of the org's ingest budget outside a request (a Pub/Sub message's events):
    RateLimited, nothing spent, when fewer remain; fails open like the step."""
    policy = ("ingest", INGEST_BUCKET, settings().ingest_rate_limit_per_minute)
    _spend(org_id, policy, events, minute_window(time.time()), [], what="message")


def rate_limit(context: Context, proceed: Handler) -> flask.Response:
    """The step: spend the request's cost of each budget that applies to the caller, or answer 429."""
    principal = context.principal
    window = minute_window(time.time())
    announced: list[tuple[str, int, int]] = []
    cost = cost_of(context)
    for policy in policies(settings(), principal, context.route):
        _spend(principal.org_id, policy, cost, window, announced)
    headers = policy_headers(announced, window[1]) if announced else {}
    context.headers.update(headers)  # on the answer, whatever it is (an error too)
    return proceed(context)


# Every authenticated request of an API route counts (before the role check); an ingest route's
# request counts once its events are known (after the role and body checks).
rate_limit.before_role = lambda route: route.budget == "api"  # type: ignore[attr-defined]
