"""What the ingest API costs against writing the same data straight to Firestore. ``python -m bench.ingest
[--batches 10] [--size 500] [--out bench/results.json]``.

- **Ingest**: ``POST /api/v1/events/ingest`` through the local gateway and the real function (auth,
  the ingest budget, body parsing, validation of each event, the store's one write path: one read of
  the batch's ids and atomic chunks of events with their change records), each batch of ``--size``
  new events (the body encoded beforehand; the clock runs from sending it to the answer).
- **Bare**: the same documents (search terms included, computed before the clock runs) and the same
  change records (``shared.store.changes.record``) created
  with Firestore batched writes of up to 500 writes each, :data:`shared.store.events.BATCH_CONCURRENCY`
  at once, as fast as the client can: no HTTP, no auth, no validation, no read.

Rounds alternate which goes first, so drift in the (shared) machine hits both. The figure is
``ingest_events_per_s_ratio``: the ingest's events per second over the bare writes' (goal >= 0.6),
merged into ``--out`` with the raw figures under ``ingest``. Measure on a clean, committed tree.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import requests

from bench.common import bench_stack, dev_token, merge_json, print_table, require_clean_tree, stored_shape
from devstack.factories import mixed_event_line

INGEST = "/api/v1/events/ingest"
GOAL = 0.6


def batch_lines(size: int, offset: int) -> list[dict[str, Any]]:
    """``size`` new events in the loader's shape (fresh ids), varied as the other benchmarks' are."""
    return [{**mixed_event_line(offset + n), "id": str(uuid.uuid4())} for n in range(size)]


def ingest_seconds(base: str, org_id: str, lines: list[dict[str, Any]], session: requests.Session) -> float:
    """Seconds to ingest one batch through the gateway (every event must come back created)."""
    body = json.dumps({"events": lines}).encode()
    headers = {"Authorization": f"Bearer {dev_token(org_id, 'admin')}", "Content-Type": "application/json"}
    started = time.perf_counter()
    answer = session.post(base + INGEST, data=body, headers=headers, timeout=120)
    elapsed = time.perf_counter() - started
    answer.raise_for_status()
    assert answer.json()["created"] == len(lines), answer.text[:500]
    return elapsed


def bare_seconds(org_id: str, lines: list[dict[str, Any]]) -> float:
    """Seconds to create the same event documents and change records with batched writes alone."""
    from shared.config import settings
    from shared.model.actor import Actor
    from shared.model.scope import Scope
    from shared.store import changes
    from shared.store.events import BATCH_CONCURRENCY, WRITE_BATCH, EventStore
    from shared.timefmt import utcnow

    store = EventStore(Scope(org_id))
    actor = Actor.user("bench-admin")
    records = [stored_shape(line) for line in lines]  # prepared (search terms too) before the clock runs
    retention = settings().changes_retention_seconds
    per_batch = WRITE_BATCH // 2  # each event is two writes: its document and its change record

    def commit(chunk: list[tuple[str, dict[str, Any]]]) -> None:
        batch, expiry = store.client.batch(), utcnow() + timedelta(seconds=retention)
        for event_id, document in chunk:
            batch.create(store.events.document(event_id), document)
            record = changes.record(actor, event_id, None, document, expiry)
            assert record is not None
            batch.create(store.changes.document(changes.new_id()), record)
        batch.commit(timeout=120)

    chunks = [records[i : i + per_batch] for i in range(0, len(records), per_batch)]
    started = time.perf_counter()
    with ThreadPoolExecutor(BATCH_CONCURRENCY) as pool:
        list(pool.map(commit, chunks))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=10, help="batches timed each way")
    parser.add_argument("--size", type=int, default=500, help="events a batch (1-500)")
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    if not 1 <= args.size <= 500:
        parser.error("--size must be 1-500")
    require_clean_tree(args.out)
    org = "bench-ingest"
    with bench_stack(extra_env={"EVENTS_INGEST_RATE_LIMIT_PER_MINUTE": "10000000"}):
        from devstack.gateway import gateway_server

        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        session = requests.Session()
        ingest_seconds(base, org, batch_lines(args.size, 0), session)  # warm: imports, first lease
        bare_seconds(org, batch_lines(args.size, 0))
        seconds: dict[str, list[float]] = {"ingest": [], "bare": []}
        for round_number in range(args.batches):
            order = ("ingest", "bare") if round_number % 2 == 0 else ("bare", "ingest")
            for label in order:
                lines = batch_lines(args.size, round_number * args.size)
                if label == "ingest":
                    seconds[label].append(ingest_seconds(base, org, lines, session))
                else:
                    seconds[label].append(bare_seconds(org, lines))
        server.shutdown()
    events = args.size * args.batches
    rates = {label: round(events / sum(samples), 1) for label, samples in seconds.items()}
    ratio = round(rates["ingest"] / rates["bare"], 3)
    figures = {
        "batches": args.batches,
        "size": args.size,
        "events_per_s": rates,
        "batch_ms": {label: [round(s * 1000, 1) for s in samples] for label, samples in seconds.items()},
    }
    print_table(
        ["figure", "ingest events/s", "bare events/s", "ratio", "goal"],
        [[f"{args.batches} batches of {args.size}", rates["ingest"], rates["bare"], ratio, f">= {GOAL}"]],
    )
    merge_json(args.out, {"ingest_events_per_s_ratio": ratio, "ingest": figures}, "ingest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
