"""What the change log costs: a PATCH with its change record against the same PATCH without one, and a
page of the change feed against the bare Firestore query of the same records. ``python -m
bench.changes [--events 200] [--rounds 5] [--out bench/results.json]``.

- **PATCH**: each round PATCHes every event through the local gateway with the change record written
  in the same commit, then at once again with the record left out (the store's record builder
  swapped for one that records nothing, for this measurement only), or the other way round on odd
  rounds; starred is set then unset so each PATCH changes something, and the pairs make drift in the
  machine hit both. Goal: p50 ratio <= 1.1.
- **Feed page**: a page of 100 changes as the feed function builds it (query plan, read, merge,
  change shape, signed cursor; in process, so the gateway's own request handling is apart) against
  the bare Firestore query returning the same 100 records. Goal: p50 ratio <= 1.2. The same page
  through the gateway is reported for information.

Merged into ``--out`` as ``patch_p50_ratio_with_changes`` and ``changes_page_p50_ratio``, with the
raw figures under ``changes``.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

import requests

from bench.common import bench_stack, dev_token, merge_json, print_table, seed_with_media

EVENTS = "/api/v1/events"
PAGE = 100


@contextmanager
def without_change_records() -> Iterator[None]:
    """The store writes no change record inside (the baseline of the PATCH figure)."""
    from shared.store import changes

    original = changes.record
    changes.record = lambda *args, **kwargs: None
    try:
        yield
    finally:
        changes.record = original


def p50_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def patches(base: str, org_id: str, ids: list[str], rounds: int) -> dict[str, list[float]]:
    """Seconds of each PATCH with and without the change record: each event PATCHed with, then
    without, so drift in the machine hits both alike."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {dev_token(org_id, 'operator')}"}
    seconds: dict[str, list[float]] = {"with": [], "without": []}

    def patch(event_id: str, starred: bool) -> None:
        answer = session.patch(
            f"{base}{EVENTS}/{event_id}", json={"starred": starred}, headers=headers, timeout=60
        )
        answer.raise_for_status()

    for round_number in range(rounds):
        order = ("with", "without") if round_number % 2 == 0 else ("without", "with")  # each goes first
        for event_id in ids:
            for position, label in enumerate(order):  # each PATCH changes the event: set, then unset
                call = partial(patch, event_id, position == 0)
                if label == "with":
                    seconds[label].append(timed(call))
                else:
                    with without_change_records():
                        seconds[label].append(timed(call))
    return seconds


def feed_pages(base: str, org_id: str, repeat: int) -> dict[str, list[float]]:
    """Seconds of the first feed page (in process and through the gateway) and of the bare query."""
    from shared.api.changes import feed_page, parse_feed_query
    from shared.config import settings
    from shared.model.scope import Scope
    from shared.store.changes import ChangeLog
    from shared.timefmt import utcnow

    scope = Scope(org_id)
    query = parse_feed_query({"limit": [str(PAGE)]})
    log = ChangeLog(scope)
    session = requests.Session()
    headers = {"Authorization": f"Bearer {dev_token(org_id, 'admin')}"}
    seconds: dict[str, list[float]] = {"feed": [], "bare": [], "http": []}

    def bare() -> None:
        now = utcnow()
        config = settings()
        oldest = now - timedelta(seconds=config.changes_retention_seconds)
        upper = now - timedelta(seconds=config.changes_settle_seconds)
        records = (
            log.records.where("at", ">", oldest)
            .where("at", "<=", upper)
            .order_by("at")
            .order_by("__name__")
            .limit(PAGE)
        )
        assert len(list(records.stream())) == PAGE

    def feed() -> None:
        assert len(feed_page(scope, "admin", query, redacted=False)["data"]) == PAGE

    def http() -> None:
        answer = session.get(f"{base}{EVENTS}/changes", params={"limit": PAGE}, headers=headers, timeout=60)
        answer.raise_for_status()

    for _ in range(repeat):
        seconds["bare"].append(timed(bare))
        seconds["feed"].append(timed(feed))
        seconds["http"].append(timed(http))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.changes", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200, help="events PATCHed each round (>= 100)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of PATCHes, each with and without")
    parser.add_argument("--pages", type=int, default=50, help="feed pages (and bare queries) timed")
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    if args.events < PAGE:
        parser.error(f"--events must be at least {PAGE} (a full feed page)")
    org = "bench-changes"
    with bench_stack(
        extra_env={"EVENTS_CHANGES_SETTLE_SECONDS": "0", "EVENTS_RATE_LIMIT_PER_MINUTE": "1000000"}
    ):
        from devstack.gateway import gateway_server

        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        ids = seed_with_media(org, args.events)
        patched = patches(base, org, ids, args.rounds)
        pages = feed_pages(base, org, args.pages)
        server.shutdown()
    figures = {
        "events": args.events,
        "rounds": args.rounds,
        "patch_p50_ms": {label: p50_ms(samples) for label, samples in patched.items()},
        "page_p50_ms": {label: p50_ms(samples) for label, samples in pages.items()},
    }
    result = {
        "patch_p50_ratio_with_changes": round(
            statistics.median(patched["with"]) / statistics.median(patched["without"]), 3
        ),
        "changes_page_p50_ratio": round(
            statistics.median(pages["feed"]) / statistics.median(pages["bare"]), 3
        ),
        "changes": figures,
    }
    print_table(
        ["figure", "p50 ms", "baseline p50 ms", "ratio", "goal"],
        [
            [
                "PATCH with its change record",
                figures["patch_p50_ms"]["with"],
                figures["patch_p50_ms"]["without"],
                result["patch_p50_ratio_with_changes"],
                "<= 1.1",
            ],
            [
                f"feed page of {PAGE} (in process)",
                figures["page_p50_ms"]["feed"],
                figures["page_p50_ms"]["bare"],
                result["changes_page_p50_ratio"],
                "<= 1.2",
            ],
            ["feed page through the gateway", figures["page_p50_ms"]["http"], "", "", "(information)"],
        ],
    )
    merge_json(args.out, result, "changes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
