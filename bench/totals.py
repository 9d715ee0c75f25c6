"""What a list page costs as an org's history grows: billed Firestore reads of pages 1 and 5 for orgs of
1k and 200k events, through the local gateway. ``python -m bench.totals [--large 200000]
[--out bench/results.json]``.

Cost is judged by what production bills, not by emulator latency, because the emulator is not an
indexed store. The store meter sends an ``X-Store-Cost`` header, which the bench stack turns on. A
document read bills one read, a query that returns nothing bills one, and a count aggregation bills
one read per 1,000 index entries matched.
- **Page 1** counts, but only up to ``EVENTS_COUNT_CAP`` (10,000), so at 200k it costs the cap's
  reads and no more.
- **Page 5** carries page 1's total in its cursor and costs its page query alone: the same at 200k as
  at 1k.

The figures are merged into ``--out`` as ``list_page1_billed_reads_200k_over_1k`` and
``list_page5_billed_reads_200k_over_1k`` (1.0 is flat), with the raw figures and latencies (for
information) under ``totals``.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

import requests

from bench.common import bench_stack, bulk_load, dev_token, merge_json, print_table, require_clean_tree
from shared.store.meter import STORE_COST_HEADER, parse_header

EVENTS = "/api/v1/events"
LIMIT = 20


def walk(base: str, org_id: str, pages: int, repeat: int) -> dict[str, Any]:
    """Pages 1..``pages`` of the org's list (``repeat`` traversals; the count cache is off, so each
    first page counts): each page's billed reads and its median latency."""
    token = dev_token(org_id, "operator")
    billed: dict[int, list[int]] = {page: [] for page in range(1, pages + 1)}
    seconds: dict[int, list[float]] = {page: [] for page in range(1, pages + 1)}
    session = requests.Session()
    for _ in range(repeat):
        cursor: str | None = None
        for page in range(1, pages + 1):
            params: dict[str, Any] = {"limit": LIMIT, **({"cursor": cursor} if cursor else {})}
            started = time.perf_counter()
            answer = session.get(
                base + EVENTS, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=120
            )
            seconds[page].append(time.perf_counter() - started)
            answer.raise_for_status()
            billed[page].append(parse_header(answer.headers[STORE_COST_HEADER])["events"]["billed"])
            cursor = answer.json()["next_cursor"]
    return {
        "billed_reads": {str(page): max(values) for page, values in billed.items()},
        "p50_ms": {str(page): round(statistics.median(values) * 1000, 1) for page, values in seconds.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.totals", description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="events of the small org")
    parser.add_argument("--large", type=int, default=200_000, help="events of the large org")
    parser.add_argument("--repeat", type=int, default=3, help="traversals of pages 1-5 per org")
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    require_clean_tree(args.out)
    figures: dict[str, Any] = {}
    with bench_stack(heap="-Xmx2g", extra_env={"EVENTS_COUNT_CACHE_SECONDS": "0"}):
        from devstack.gateway import gateway_server

        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        for label, count in (("small", args.small), ("large", args.large)):
            org = f"bench-totals-{label}"
            loaded = bulk_load(org, count)
            figures[label] = {
                "events": count,
                "load_seconds": round(loaded, 1),
                **walk(base, org, 5, args.repeat),
            }
        server.shutdown()
    small, large = figures["small"]["billed_reads"], figures["large"]["billed_reads"]
    result = {
        "list_page1_billed_reads_200k_over_1k": round(large["1"] / small["1"], 3),
        "list_page5_billed_reads_200k_over_1k": round(large["5"] / small["5"], 3),
        "totals": figures,
    }
    print_table(
        ["org", "events", "page 1 billed reads", "page 5 billed reads", "page 1 p50 ms", "page 5 p50 ms"],
        [
            [
                label,
                figures[label]["events"],
                *(figures[label]["billed_reads"][page] for page in ("1", "5")),
                *(figures[label]["p50_ms"][page] for page in ("1", "5")),
            ]
            for label in ("small", "large")
        ],
    )
    print(
        f"page 1: {result['list_page1_billed_reads_200k_over_1k']}x, "
        f"page 5: {result['list_page5_billed_reads_200k_over_1k']}x (200k over 1k; 1.0 is flat)"
    )
    merge_json(args.out, result, "totals")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
