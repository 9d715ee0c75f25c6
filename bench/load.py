"""Load benchmark: a bounded, fixed-duration mix of list, get, PATCH and export from concurrent clients
against the local gateway, on loopback only, then a check that no acknowledged PATCH was lost.

    python -m bench.load [--seconds 30] [--users 8] [--events 2000] [--max-requests 20000] [--json out.json]

Starts its own Firestore emulator and fake-gcs-server (or uses FIRESTORE_EMULATOR_HOST /
STORAGE_EMULATOR_HOST), under the bench settings and a fresh project id; seeds two orgs with
``--events`` events each (``mixed_event_line`` with media objects, so answers sign URLs, written by
``EventStore.upsert_pipeline``); mints dev tokens for an operator and an admin of each org; serves
every function in this process behind the threaded local gateway on a free port of 127.0.0.1. After
one untimed warm-up request of each kind per org, ``--users`` client threads (a ``requests.Session``
each) run for ``--seconds`` seconds, one request at a time, each request an org, a token and:

- ``list`` (35%): ``GET /api/v1/events`` with a random filter and limit; when the page has a
  ``next_cursor``, the next page is asked for (``list_next``);
- ``get`` (30%): ``GET /api/v1/events/{id}`` of a random event; of an event this thread patches, the
  answer's notes must be the value of its last acknowledged PATCH (read your writes);
- ``patch`` (25%): ``PATCH /api/v1/events/{id}`` with ``{"notes": <unique value>}`` on an event only
  this thread patches (so "last" is well defined), 30% with an ``Idempotency-Key``; half of those are
  sent again with the same key and body (``patch_replay``: 200, ``Idempotent-Replayed: true``, the
  same notes, nothing written);
- ``export`` (10%): ``GET /api/v1/events/export`` of a 60-second window (exactly 60 rows,
  ``X-Export-Rows`` checked) or with ``limit=50`` and a filter.

Bounded: at most ``--max-requests`` requests in all (a shared budget, taken before each request), no
new request after ``--seconds``, a client timeout of 30 s on each; the threads stop by themselves.
Then, for every patched event, the stored notes (read with the store) must equal the value of the
last PATCH answered 200, and its history must hold exactly one entry per acknowledged PATCH, in
order, each changing the notes to that PATCH's value (a replay adds none). Reports requests, req/s and
p50/p90/p99/max latency (ms, body read included) per verb and overall, as a markdown table.

Exit 1 on any 5xx, any other unexpected answer or transport error, a stale read, a lost PATCH or a
history that does not match. Clients and gateway share this one process (and its GIL) and the
emulators share the same cores: the numbers compare runs on one machine, not production capacity.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from bench.common import BENCH_ENV, bench_stack, dev_token, exit_code, seed_with_media, write_json
from devstack.factories import (
    BASE_TIME,
    CAMERA_A,
    CAMERA_B,
    CAMERA_C,
    SITE_A,
    SITE_B,
)
from devstack.harness import whole_history

VERBS = ("list", "list_next", "get", "patch", "patch_replay", "export")
MIX = (("list", 35), ("get", 30), ("patch", 25), ("export", 10))
ROLES = ("operator", "admin")
REQUEST_TIMEOUT = 30.0
IDEMPOTENT_SHARE = 0.3  # of PATCHes carrying an Idempotency-Key
REPLAY_SHARE = 0.5  # of those, sent a second time with the same key
OWNED_PER_ORG = 8  # events each thread alone patches, per org
EXPORT_WINDOW_SECONDS = 60  # seeded events are one second apart: a window of exactly 60 rows
MAX_FAILURES_KEPT = 50
LIST_FILTERS: tuple[dict[str, str], ...] = (
    {},
    {"camera_id": CAMERA_A},
    {"camera_id": CAMERA_B, "trigger_type": "motion"},
    {"site_id": SITE_A},
    {"site_id": SITE_B, "ai_status": "pending"},
    {"trigger_type": "ai_tag"},
    {"ai_status": "completed"},
    {"starred": "true"},
    {"camera_id": CAMERA_C, "starred": "true"},
)


@dataclass
class Org:
    """A seeded org: its event ids (list order, newest first) and its operator and admin tokens."""

    org_id: str
    ids: list[str]
    tokens: dict[str, str]


@dataclass
class Owned:
    """An event one thread alone patches: the values of its PATCHes answered 200 (executed, not
    replayed) in order of completion, and a PATCH whose outcome is unknown (no more are sent then)."""

    org_id: str
    event_id: str
    acked: list[str] = field(default_factory=list)
    uncertain: str | None = None


class Budget:
    """The run's request budget, shared by the threads: taken before each request."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


@dataclass
class Stats:
    """One thread's (or the merged) measurements."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {verb: [] for verb in VERBS})
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: {verb: Counter() for verb in VERBS})
    errors: Counter[str] = field(default_factory=Counter)  # transport errors (no HTTP answer) per verb
    stale_reads: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append(message)

    def merge(self, other: Stats) -> None:
        for verb in VERBS:
            self.latencies[verb].extend(other.latencies[verb])
            self.statuses[verb].update(other.statuses[verb])
        self.errors.update(other.errors)
        self.stale_reads += other.stale_reads
        for message in other.failures:
            self.fail(message)


class User(threading.Thread):
    """A client: one session, one request at a time, until the deadline or the budget ends."""

    def __init__(
        self,
        index: int,
        base: str,
        orgs: Sequence[Org],
        owned: list[Owned],
        budget: Budget,
        go: threading.Event,
        seed: int,
    ) -> None:
        super().__init__(name=f"bench-user-{index}", daemon=True)
        self.index = index
        self.base = base
        self.orgs = orgs
        self.owned = owned
        self.owned_by_id = {item.event_id: item for item in owned}
        self.budget = budget
        self.go = go
        self.deadline = math.inf  # set by the main thread before ``go``
        self.rng = random.Random(seed * 1000 + index)
        self.stats = Stats()
        self.sequence = 0

    def run(self) -> None:
        self.go.wait()
        with requests.Session() as session:
            session.trust_env = False  # never a proxy: 127.0.0.1 only
            self.session = session
            verbs = [verb for verb, _ in MIX]
            weights = [weight for _, weight in MIX]
            while time.monotonic() < self.deadline:
                operation = self.rng.choices(verbs, weights)[0]
                try:
                    done = getattr(self, f"op_{operation}")()
                except Exception as exc:  # a bench bug must not hang the run: record it and stop
                    self.stats.fail(f"{self.name}: {operation} raised {exc!r}")
                    return
                if not done:
                    return

    # -- requests --------------------------------------------------------------------------------

    def call(
        self,
        verb: str,
        method: str,
        path: str,
        token: str,
        params: dict[str, str] | None = None,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response | None:
        """One timed request (body read included), its status recorded; None without an answer."""
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            answer = self.session.request(
                method, self.base + path, params=params, data=body, headers=sent, timeout=REQUEST_TIMEOUT
            )
        except requests.RequestException as exc:
            self.stats.errors[verb] += 1
            self.stats.fail(f"{verb} {method} {path}: no answer: {exc!r}")
            return None
        self.stats.latencies[verb].append(time.perf_counter() - started)
        self.stats.statuses[verb][answer.status_code] += 1
        if answer.status_code != 200:
            self.stats.fail(
                f"{verb} {method} {path} {params or ''}: {answer.status_code} {answer.text[:300]}"
            )
            return None
        return answer

    def allowed(self) -> bool:
        """Whether one more request may start: before the deadline and within the budget."""
        return time.monotonic() < self.deadline and self.budget.take()

    def pick(self) -> tuple[Org, str]:
        org = self.rng.choice(self.orgs)
        return org, org.tokens[self.rng.choice(ROLES)]

    # -- operations (False: stop, the budget or the time is spent) -------------------------------

    def op_list(self) -> bool:
        if not self.allowed():
            return False
        _, token = self.pick()
        params = {**self.rng.choice(LIST_FILTERS), "limit": str(self.rng.choice((10, 20, 50)))}
        answer = self.call("list", "GET", "/api/v1/events", token, params)
        if answer is None:
            return True
        cursor = answer.json().get("next_cursor")
        if cursor and self.allowed():
            self.call("list_next", "GET", "/api/v1/events", token, {**params, "cursor": cursor})
        return True

    def op_get(self) -> bool:
        if not self.allowed():
            return False
        org, token = self.pick()
        event_id = self.rng.choice(org.ids)
        mine = self.owned_by_id.get(event_id)
        if mine is None and self.rng.random() < 0.5:  # half the reads are of this thread's own events
            mine = self.rng.choice(self.owned)
            event_id = mine.event_id
            org = next(o for o in self.orgs if o.org_id == mine.org_id)
            token = org.tokens[self.rng.choice(ROLES)]
        answer = self.call("get", "GET", f"/api/v1/events/{event_id}", token)
        if answer is not None and mine is not None and mine.uncertain is None:
            expected = mine.acked[-1] if mine.acked else None
            notes = answer.json().get("notes")
            if notes != expected:
                self.stats.stale_reads += 1
                self.stats.fail(f"stale read of {event_id}: notes {notes!r}, last acknowledged {expected!r}")
        return True

    def op_patch(self) -> bool:
        candidates = [item for item in self.owned if item.uncertain is None]
        if not candidates:
            return self.op_get()
        if not self.allowed():
            return False
        mine = self.rng.choice(candidates)
        org = next(o for o in self.orgs if o.org_id == mine.org_id)
        token = org.tokens[self.rng.choice(ROLES)]
        self.sequence += 1
        value = f"bench {self.index}-{self.sequence} {uuid.uuid4().hex[:8]}"
        body = json.dumps({"notes": value})
        headers = {"Idempotency-Key": uuid.uuid4().hex} if self.rng.random() < IDEMPOTENT_SHARE else {}
        path = f"/api/v1/events/{mine.event_id}"
        answer = self.call("patch", "PATCH", path, token, body=body, headers=headers)
        if answer is None:  # no 200: it may or may not have been written
            mine.uncertain = value
            return True
        if answer.headers.get("Idempotent-Replayed"):
            self.stats.fail(f"PATCH {path} with a fresh key was answered as a replay")
        else:
            mine.acked.append(value)
        if answer.json().get("notes") != value:
            self.stats.fail(f"PATCH {path} answered notes {answer.json().get('notes')!r}, sent {value!r}")
        if headers and self.rng.random() < REPLAY_SHARE and self.allowed():
            again = self.call("patch_replay", "PATCH", path, token, body=body, headers=headers)
            replayed = again.headers.get("Idempotent-Replayed") if again is not None else None
            if again is not None and (replayed != "true" or again.json().get("notes") != value):
                self.stats.fail(
                    f"replay of PATCH {path}: Idempotent-Replayed {replayed!r}, "
                    f"notes {again.json().get('notes')!r}, sent {value!r}"
                )
        return True

    def op_export(self) -> bool:
        if not self.allowed():
            return False
        org, token = self.pick()
        window = self.rng.random() < 0.5 and len(org.ids) >= EXPORT_WINDOW_SECONDS
        if window:  # events n are at BASE_TIME - n s: [n0, n0 + 59] is exactly 60 events
            newest = self.rng.randrange(len(org.ids) - EXPORT_WINDOW_SECONDS + 1)
            params = {
                "date_from": _rfc3339(newest + EXPORT_WINDOW_SECONDS - 1),
                "date_to": _rfc3339(newest),
            }
        else:
            params = {**self.rng.choice(LIST_FILTERS), "limit": "50"}
        answer = self.call("export", "GET", "/api/v1/events/export", token, params)
        if (
            answer is not None
            and window
            and answer.headers.get("X-Export-Rows") != str(EXPORT_WINDOW_SECONDS)
        ):
            self.stats.fail(f"export {params}: X-Export-Rows {answer.headers.get('X-Export-Rows')!r}")
        return True


def _rfc3339(seconds_back: int) -> str:
    return (BASE_TIME - timedelta(seconds=seconds_back)).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def service_logs(path: Path) -> Iterator[None]:
    """The service's JSON log lines and werkzeug's access lines go to ``path``, not the terminal (one
    line per request would drown the report); the loggers are put back afterwards."""
    handler = logging.FileHandler(path)
    handler.setFormatter(
        logging.Formatter("%(levelname)s %(name)s %(message)s %(structured)s", defaults={"structured": ""})
    )
    saved = []
    for name in ("novavms.events", "werkzeug"):
        log = logging.getLogger(name)
        saved.append((log, list(log.handlers), log.level, log.propagate))
        log.handlers = [handler]
        log.setLevel(logging.INFO if name == "novavms.events" else logging.WARNING)
        log.propagate = False
    try:
        yield
    finally:
        for log, handlers, level, propagate in saved:
            log.handlers = handlers
            log.setLevel(level)
            log.propagate = propagate
        handler.close()


@contextmanager
def serving(app: Any = None) -> Iterator[str]:
    """The local gateway (threaded, in this process) on a free port of 127.0.0.1, or ``app`` (a WSGI
    app wrapping it) served the same way; its base URL."""
    from werkzeug.serving import make_server

    from devstack.gateway import GatewayRequestHandler, gateway_server

    server = (
        gateway_server(0, host="127.0.0.1")
        if app is None
        else make_server("127.0.0.1", 0, app, threaded=True, request_handler=GatewayRequestHandler)
    )
    thread = threading.Thread(target=server.serve_forever, name="bench-gateway", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def warm_up(base: str, orgs: Sequence[Org], spare: dict[str, str]) -> None:
    """One untimed request of each kind per org (first-use costs: clients, signing key, buckets); the
    PATCH goes to an event no thread patches (``spare``: org -> event id)."""
    with requests.Session() as session:
        session.trust_env = False
        for org in orgs:
            auth = {"Authorization": f"Bearer {org.tokens['operator']}"}
            calls: list[tuple[str, str, dict[str, Any]]] = [
                ("GET", "/api/v1/events", {"params": {"limit": "20"}}),
                ("GET", f"/api/v1/events/{org.ids[0]}", {}),
                ("GET", "/api/v1/events/export", {"params": {"limit": "10"}}),
                ("PATCH", f"/api/v1/events/{spare[org.org_id]}", {"json": {"notes": "warm-up"}}),
            ]
            for method, path, extra in calls:
                answer = session.request(method, base + path, headers=auth, timeout=REQUEST_TIMEOUT, **extra)
                if answer.status_code != 200:
                    raise RuntimeError(f"warm-up {method} {path}: {answer.status_code} {answer.text[:500]}")


def verify(owned: Sequence[Owned]) -> tuple[dict[str, int], list[str]]:
    """Every patched event's stored notes and history against what the clients were told."""
    from shared.model.scope import Scope
    from shared.store.events import EventStore

    stores: dict[str, EventStore] = {}
    counts = {"events_patched": 0, "acknowledged_patches": 0, "history_entries": 0, "uncertain": 0}
    problems: list[str] = []
    for item in owned:
        if not item.acked and item.uncertain is None:
            continue
        store = stores.setdefault(item.org_id, EventStore(Scope(item.org_id)))
        event = store.get(item.event_id)
        if event is None:
            problems.append(f"{item.org_id}/{item.event_id}: the patched event is gone")
            continue
        stored = event.data.get("notes")
        history = whole_history(store, item.event_id)
        written = [entry["changes"]["notes"]["new"] for entry in history if "notes" in entry["changes"]]
        counts["events_patched"] += 1
        counts["acknowledged_patches"] += len(item.acked)
        counts["history_entries"] += len(history)
        expected = item.acked[-1] if item.acked else None
        outcomes = [(expected, item.acked)]
        if item.uncertain is not None:  # no 200 for it: written or not, either is consistent
            counts["uncertain"] += 1
            outcomes.append((item.uncertain, [*item.acked, item.uncertain]))
        if len(written) != len(history) or (stored, written) not in outcomes:
            problems.append(
                f"{item.org_id}/{item.event_id}: stored notes {stored!r}, last acknowledged {expected!r}; "
                f"{len(history)} history entries ({len(written)} of notes), {len(item.acked)} acknowledged "
                f"PATCHes{', one unanswered' if item.uncertain is not None else ''}"
            )
    return counts, problems


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table, numbers right-aligned."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return "-" if math.isnan(value) else f"{value:.1f}"
        return str(value)

    cells = [[cell(value) for value in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    numeric = [i > 0 for i in range(len(headers))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"]
    lines.append(
        "| "
        + " | ".join(
            ("-" * (w - 1) + ":") if num else "-" * w for w, num in zip(widths, numeric, strict=True)
        )
        + " |"
    )
    for row in cells:
        lines.append(
            "| "
            + " | ".join(
                value.rjust(w) if num else value.ljust(w)
                for value, w, num in zip(row, widths, numeric, strict=True)
            )
            + " |"
        )
    return "\n".join(lines)


def summary(
    verb: str, latencies: Sequence[float], statuses: Counter[int], errors: int, seconds: float
) -> dict[str, Any]:
    count = sum(statuses.values()) + errors
    return {
        "verb": verb,
        "requests": count,
        "ok_200": statuses.get(200, 0),
        "status_4xx": sum(n for status, n in statuses.items() if 400 <= status < 500),
        "status_5xx": sum(n for status, n in statuses.items() if status >= 500),
        "transport_errors": errors,
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
        "req_per_s": count / seconds if seconds else math.nan,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else math.nan,
    }


def machine_note() -> str:
    return (
        f"{os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; clients, gateway and Firestore client share one process "
        "(one GIL), the emulators the same cores; loopback only"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the load phase (1-600)")
    parser.add_argument("--users", type=int, default=8, help="concurrent client threads (1-64)")
    parser.add_argument("--events", type=int, default=2000, help="events seeded per org (>= 100)")
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap on all requests of the run")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' random choices")
    parser.add_argument("--heap", default="-Xmx1g", help="JAVA_TOOL_OPTIONS of the Firestore emulator")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds: 1 to 600")
    if not 1 <= args.users <= 64:
        parser.error("--users: 1 to 64")
    if args.events < 100 or args.users * OWNED_PER_ORG >= args.events:
        parser.error(f"--events: at least 100 and more than {OWNED_PER_ORG} per user")
    if args.max_requests < 1:
        parser.error("--max-requests: at least 1")

    began = time.perf_counter()
    with bench_stack(heap=args.heap) as stack:
        print(
            f"emulators: firestore {stack.emulators.firestore_host}, storage {stack.emulators.storage_host}"
        )
        orgs = []
        seeded = time.perf_counter()
        for label in ("a", "b"):
            org_id = f"bench-load-{label}-{uuid.uuid4().hex[:6]}"
            tokens = {role: dev_token(org_id, role, sub=f"bench-{role}-{label}") for role in ROLES}
            orgs.append(Org(org_id, seed_with_media(org_id, args.events), tokens))
        seed_seconds = time.perf_counter() - seeded
        print(f"seeded {len(orgs)} orgs x {args.events} events in {seed_seconds:.1f}s")

        # Each thread alone patches OWNED_PER_ORG events of each org; the oldest event of each org is
        # the warm-up's.
        chooser = random.Random(args.seed)
        spare = {org.org_id: org.ids[-1] for org in orgs}
        shuffled = {org.org_id: chooser.sample(org.ids[:-1], args.users * OWNED_PER_ORG) for org in orgs}
        owned = [
            [
                Owned(org.org_id, event_id)
                for org in orgs
                for event_id in shuffled[org.org_id][index * OWNED_PER_ORG : (index + 1) * OWNED_PER_ORG]
            ]
            for index in range(args.users)
        ]

        with service_logs(stack.workdir / "service.log"), serving() as base:
            print(f"gateway: {base}")
            warm_up(base, orgs, spare)
            budget = Budget(args.max_requests)
            go = threading.Event()
            users = [User(i, base, orgs, owned[i], budget, go, args.seed) for i in range(args.users)]
            for user in users:
                user.start()
            started = time.monotonic()
            for user in users:
                user.deadline = started + args.seconds
            go.set()
            for user in users:  # each stops by itself: no new request after the deadline
                user.join(timeout=max(0.0, started + args.seconds + REQUEST_TIMEOUT + 5 - time.monotonic()))
            run_seconds = time.monotonic() - started
            hung = [user.name for user in users if user.is_alive()]
        service_errors = [
            line
            for line in (stack.workdir / "service.log").read_text(errors="replace").splitlines()
            if line.startswith(("ERROR", "CRITICAL"))
        ]
        counts, problems = verify([item for items in owned for item in items])

    merged = Stats()
    for user in users:
        merged.merge(user.stats)
    results = [
        summary(verb, merged.latencies[verb], merged.statuses[verb], merged.errors[verb], run_seconds)
        for verb in VERBS
    ]
    every: Counter[int] = Counter()
    for verb in VERBS:
        every.update(merged.statuses[verb])
    overall = summary(
        "all",
        [value for verb in VERBS for value in merged.latencies[verb]],
        every,
        sum(merged.errors.values()),
        run_seconds,
    )
    headers = [
        "verb",
        "requests",
        "200",
        "4xx",
        "5xx",
        "errors",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
    ]
    keys = ["verb", "requests", "ok_200", "status_4xx", "status_5xx", "transport_errors", "req_per_s"]
    keys += ["p50_ms", "p90_ms", "p99_ms", "max_ms"]
    rows = [[entry[key] for key in keys] for entry in [*results, overall]]
    rows[-1][0] = "**all**"
    total = time.perf_counter() - began
    print()
    print(markdown_table(headers, rows))
    print()
    print(
        f"{overall['requests']} requests in {run_seconds:.1f}s from {args.users} threads "
        f"({overall['req_per_s']:.1f} req/s; budget {args.max_requests}, {budget.left} left); "
        f"5xx: {overall['status_5xx']}"
    )
    print(
        f"PATCH check: {counts['events_patched']} events patched, {counts['acknowledged_patches']} "
        f"acknowledged PATCHes, {counts['history_entries']} history entries, {counts['uncertain']} "
        f"unanswered; {len(problems)} lost or mismatched; stale reads: {merged.stale_reads}"
    )
    print(f"machine: {machine_note()}")
    print(f"total run {total:.1f}s (seeding {seed_seconds:.1f}s; env {sorted(BENCH_ENV)} as in tests)")

    failures: list[str] = []
    if overall["status_5xx"]:
        failures.append(f"{overall['status_5xx']} answers were 5xx")
    if overall["status_4xx"] or overall["transport_errors"]:
        failures.append(
            f"{overall['status_4xx']} unexpected 4xx answers, {overall['transport_errors']} without an answer"
        )
    if hung:
        failures.append(f"threads still running after the run: {', '.join(hung)}")
    failures += [f"lost or mismatched PATCH: {problem}" for problem in problems]
    failures += merged.failures
    failures += [f"service log: {line[:500]}" for line in service_errors[:10]]
    write_json(
        args.json,
        {
            "benchmark": "load",
            "seconds": args.seconds,
            "users": args.users,
            "events_per_org": args.events,
            "max_requests": args.max_requests,
            "seed": args.seed,
            "mix": dict(MIX),
            "run_seconds": run_seconds,
            "seed_seconds": seed_seconds,
            "results": results,
            "overall": overall,
            "patch_check": {**counts, "problems": problems, "stale_reads": merged.stale_reads},
            "machine": machine_note(),
            "failures": failures,
            "total_seconds": total,
        },
    )
    return exit_code(failures)


if __name__ == "__main__":
    sys.exit(main())
