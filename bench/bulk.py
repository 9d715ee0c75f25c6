"""Bulk throughput: ``POST /api/v1/events/batch-update`` by filter through the local gateway, against
the bare Firestore floor of the same changes, in events per second. ``python -m bench.bulk
[--events 1000] [--repeat 3] [--out bench/results.json]`` (merged there under ``bulk``). Not a timed test.

Each round seeds two fresh orgs of ``--events`` unacknowledged events. The API acknowledges one org's
events with one batch-update call: a count, the matching events read, then per chunk of 250 one read
and one batched write of each change with its history entry, guarded by the update times read
(4 chunks at a time). The floor makes the same writes in the
other org with a bare, warm client: the event update and a new history document per event, in
batched writes of 500 committed by 8 threads, reading nothing and guarding nothing: the least any
implementation could pay. The rounds alternate the
two, so both see the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bench.common import bench_stack, bulk_load, dev_token, merge_json, print_table, require_clean_tree

BATCH = "/api/v1/events/batch-update"


def api_round(base: str, org_id: str, events: int) -> float:
    """Events per second of one batch-update by filter over the org's ``events`` events."""
    token = dev_token(org_id, "operator", sub="bench-operator")
    body = {"filter": {"acknowledged": False}, "changes": {"acknowledged": True, "notes": "bulk"}}
    started = time.perf_counter()
    answer = requests.post(base + BATCH, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=600)
    elapsed = time.perf_counter() - started
    answer.raise_for_status()
    changed = int(answer.json()["changed"])
    if changed != events:
        raise RuntimeError(f"the batch changed {changed} of {events} events")
    return events / elapsed


def floor_round(org_id: str, events: int, threads: int = 8) -> float:
    """Events per second of the same writes as bare batched writes (no transaction, no read)."""
    from shared.store.client import firestore_client
    from shared.timefmt import utcnow

    client = firestore_client()
    collection = client.collection("orgs").document(org_id).collection("events")
    ids = [snap.id for snap in collection.select([]).stream()]  # the floor knows its ids: not timed
    if len(ids) != events:
        raise RuntimeError(f"the floor's org holds {len(ids)} events, not {events}")

    def commit(chunk: list[str]) -> None:
        batch = client.batch()
        now = utcnow()
        for event_id in chunk:
            ref = collection.document(event_id)
            changes = {
                "acknowledged": True,
                "acknowledged_by": "bench",
                "acknowledged_at": now,
                "notes": "bulk",
            }
            batch.update(ref, changes)
            batch.create(
                ref.collection("history").document(),
                {"at": now, "by": {"kind": "user", "id": "bench"}, "action": "update", "changes": {}},
            )
        batch.commit(timeout=120)

    chunks = [ids[i : i + 250] for i in range(0, len(ids), 250)]  # 250 events: 500 writes a batch
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(commit, chunks))
    return events / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000, help="events per batch (at most the cap, 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of API and floor, alternated")
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    require_clean_tree(args.out)
    events = max(10, min(args.events, 1000))
    api: list[float] = []
    floor: list[float] = []
    with bench_stack(heap="-Xmx1g"):
        from devstack.gateway import gateway_server

        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        for n in range(max(1, args.repeat)):
            api_org, floor_org = f"bench-bulk-api-{n}", f"bench-bulk-floor-{n}"
            bulk_load(api_org, events)
            bulk_load(floor_org, events)
            if n % 2 == 0:  # alternate which goes first
                api.append(api_round(base, api_org, events))
                floor.append(floor_round(floor_org, events))
            else:
                floor.append(floor_round(floor_org, events))
                api.append(api_round(base, api_org, events))
        server.shutdown()
    result: dict[str, Any] = {
        "events_per_batch": events,
        "api_events_per_s": [round(v, 1) for v in api],
        "floor_events_per_s": [round(v, 1) for v in floor],
        "api_median_events_per_s": round(statistics.median(api), 1),
        "floor_median_events_per_s": round(statistics.median(floor), 1),
    }
    result["api_over_floor"] = round(
        result["api_median_events_per_s"] / result["floor_median_events_per_s"], 3
    )
    print_table(
        ["", "events/s (median)", "rounds"],
        [
            [
                "batch-update API (chunks of 250: a read, a guarded batched write)",
                result["api_median_events_per_s"],
                api,
            ],
            ["floor: bare batched writes", result["floor_median_events_per_s"], floor],
            ["API / floor", result["api_over_floor"], ""],
        ],
    )
    print(f"a batch of {EVENTS_CAP} events at the API's median takes "
          f"{EVENTS_CAP / result['api_median_events_per_s']:.1f} s (functions have 60 s)")  # fmt: skip
    merge_json(args.out, {"bulk": result}, "bulk")
    return 0


EVENTS_CAP = 1000

if __name__ == "__main__":
    raise SystemExit(main())
