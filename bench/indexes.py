"""What merged indexes cost a list page: two and three equality filters together in an org of 10k
events, through the API, against the bare Firestore queries of the same page. ``python -m
bench.indexes [--events 10000] [--repeat 30] [--out bench/results.json]``.

In production such a query is served by merging the plan's one-field indexes (docs/indexes.md); the
emulator uses no index at all, so this measures what the API adds to the query it makes, not what a
merge costs Firestore (the docs say what cannot be measured here).

- **API**: ``GET /api/v1/events`` with the filters through the local gateway (a first page: the page
  and its count).
- **Bare**: the same queries from a bare client: the page (limit + 1) and the count, together
  (``bench.suite``'s floor).

Merged into ``--out`` as ``list_p50_ratio_merged_filters`` (the larger of the two cases' API/bare p50
ratios), with each case under ``indexes``.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

import requests

from bench.common import bench_stack, bulk_load, dev_token, merge_json, print_table, require_clean_tree
from bench.suite import Case, Floor
from devstack.factories import SITE_A, SITE_B

EVENTS = "/api/v1/events"
CASES = (
    Case("two filters", "list", {"site_id": SITE_B, "trigger_type": "motion", "limit": "50"}),
    Case(
        "three filters",
        "list",
        {"site_id": SITE_A, "trigger_type": "motion", "starred": "true", "limit": "50"},
    ),
)


def measure(base: str, org_id: str, case: Case, repeat: int, floor: Floor) -> dict[str, Any]:
    """p50 ms of the API's first page and of the bare queries, alternating which goes first."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {dev_token(org_id, 'admin')}"}
    seconds: dict[str, list[float]] = {"api": [], "bare": []}
    totals: set[int] = set()

    def api() -> None:
        answer = session.get(base + EVENTS, params=case.params, headers=headers, timeout=120)
        answer.raise_for_status()
        totals.add(int(answer.json()["total"]))

    def bare() -> None:
        totals.add(floor.list_page(org_id, case, None, None)["total"])

    for round_number in range(repeat + 1):
        order = (("api", api), ("bare", bare)) if round_number % 2 else (("bare", bare), ("api", api))
        for label, call in order:
            started = time.perf_counter()
            call()
            if round_number:  # the first round warms both
                seconds[label].append(time.perf_counter() - started)
    assert len(totals) == 1 and totals != {0}, f"the API and the bare query disagree: {totals}"
    api_p50, bare_p50 = (statistics.median(seconds[label]) * 1000 for label in ("api", "bare"))
    return {
        "filters": {k: v for k, v in case.params.items() if k != "limit"},
        "matches": totals.pop(),
        "api_p50_ms": round(api_p50, 2),
        "bare_p50_ms": round(bare_p50, 2),
        "ratio": round(api_p50 / bare_p50, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.indexes", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="events in the org")
    parser.add_argument("--repeat", type=int, default=30, help="pages timed per case, each way")
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    require_clean_tree(args.out)
    org = "bench-indexes"
    with bench_stack(
        heap="-Xmx1g",
        extra_env={"EVENTS_COUNT_CACHE_SECONDS": "0", "EVENTS_RATE_LIMIT_PER_MINUTE": "1000000"},
    ):
        from devstack.gateway import gateway_server

        loaded = bulk_load(org, args.events)
        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        floor = Floor()
        base = f"http://127.0.0.1:{server.server_port}"
        cases = {case.name: measure(base, org, case, args.repeat, floor) for case in CASES}
        floor.close()
        server.shutdown()
    result = {
        "list_p50_ratio_merged_filters": max(case["ratio"] for case in cases.values()),
        "indexes": {"events": args.events, "load_seconds": round(loaded, 1), "repeat": args.repeat, **cases},
    }
    print_table(
        ["case", "matches", "API p50 ms", "bare p50 ms", "ratio"],
        [[name, c["matches"], c["api_p50_ms"], c["bare_p50_ms"], c["ratio"]] for name, c in cases.items()],
    )
    merge_json(args.out, result, "indexes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
