"""Events per second through Pub/Sub against the HTTPS batch ingest, in the same run. ``python -m
bench.pubsub [--events 2000] [--batch 100] [--rounds 3] [--out bench/results.json]``.

- **HTTPS**: ``POST /api/v1/events/ingest`` through the local gateway, ``--batch`` events a request,
  four requests at once (as an admin: the ingest budget raised out of the way), until every event is
  answered ``created``.
- **Pub/Sub**: the same number of new events published to the emulator's ``events-ingest``,
  ``--batch`` events a message, delivered by the local delivery (pull, binary CloudEvent, four
  deliveries at once: what ``make dev`` runs) to the ``ingest_pubsub`` function, until every message
  is acknowledged; the time runs from the first publish to the last acknowledgement.

Each round measures both, in alternating order, on events new to a fresh org; the figure is the
median of the rounds' ratios. Merged into ``--out`` as ``pubsub_ingest_events_per_s_ratio`` (Pub/Sub's
events a second over HTTPS's) with the raw figures under ``pubsub_ingest``. Locally the delivery
hands each CloudEvent to the function's app in process, while each HTTPS batch crosses the gateway's
HTTP server, authentication and rate-limit step: the figure says the queue's hop costs the ingest
nothing here, not what Eventarc's push adds in Google Cloud.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.common import bench_stack, dev_token, merge_json, print_table, require_clean_tree
from devstack.factories import mixed_event_line

EVENTS = "/api/v1/events"
CONCURRENCY = 4
TOPIC = "events-ingest"


def batches(count: int, size: int, offset: int) -> list[list[dict[str, object]]]:
    """``count`` new events (fresh ids) in lists of ``size``."""
    lines = [mixed_event_line(offset + n) for n in range(count)]
    return [lines[i : i + size] for i in range(0, count, size)]


def https_ingest(base: str, org_id: str, work: list[list[dict[str, object]]]) -> float:
    """Seconds to ingest every batch through the gateway, :data:`CONCURRENCY` requests at once."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {dev_token(org_id, 'admin')}"}

    def post(batch: list[dict[str, object]]) -> None:
        answer = session.post(f"{base}{EVENTS}/ingest", json={"events": batch}, headers=headers, timeout=120)
        answer.raise_for_status()
        assert answer.json()["created"] == len(batch), answer.text[:300]

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(post, work))
    return time.perf_counter() - started


def pubsub_ingest(project: str, org_id: str, work: list[list[dict[str, object]]]) -> float:
    """Seconds from the first publish until the delivery has had every message taken."""
    from devstack.pubsub import Delivery, clients

    publisher, _ = clients()
    topic = publisher.topic_path(project, TOPIC)
    delivery = Delivery(project, TOPIC, concurrency=CONCURRENCY).start()
    try:
        started = time.perf_counter()
        futures = [publisher.publish(topic, json.dumps({"events": b}).encode(), org_id=org_id) for b in work]
        ids = {future.result(timeout=60) for future in futures}
        deadline = time.monotonic() + 600  # only ends a hang
        while not ids <= {m for m, status in list(delivery.delivered) if status < 300}:
            assert time.monotonic() < deadline, "the deliveries did not finish"
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        failed = [status for _, status in delivery.delivered if status >= 300]
        assert not failed, f"deliveries failed: {failed[:5]}"
        return elapsed
    finally:
        delivery.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pubsub", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events each side ingests each round")
    parser.add_argument("--batch", type=int, default=100, help="events a request and a message (<= 500)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    require_clean_tree(args.out)
    budget = {"EVENTS_INGEST_RATE_LIMIT_PER_MINUTE": "10000000", "EVENTS_RATE_LIMIT_PER_MINUTE": "1000000"}
    rates: dict[str, list[float]] = {"https": [], "pubsub": []}
    ratios: list[float] = []
    with bench_stack(extra_env=budget) as stack, tempfile.TemporaryDirectory(prefix="bench-pubsub-") as tmp:
        from devstack.gateway import gateway_server
        from devstack.pubsub import ensure_topology

        host = stack.emulators.start_pubsub(Path(tmp))
        os.environ["PUBSUB_EMULATOR_HOST"] = host
        from shared.config import settings

        settings.cache_clear()
        ensure_topology(stack.project, TOPIC)
        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        https_ingest(base, "bench-warmup", batches(args.batch, args.batch, 10_000_000))  # warm both paths
        pubsub_ingest(stack.project, "bench-warmup", batches(args.batch, args.batch, 20_000_000))
        for round_number in range(args.rounds):
            offset = (round_number + 1) * 1_000_000
            sides = ["https", "pubsub"] if round_number % 2 == 0 else ["pubsub", "https"]
            seconds: dict[str, float] = {}
            for side in sides:
                org = f"bench-{side}-{round_number}"
                work = batches(args.events, args.batch, offset + (0 if side == "https" else 500_000))
                seconds[side] = (
                    https_ingest(base, org, work)
                    if side == "https"
                    else pubsub_ingest(stack.project, org, work)
                )
                rates[side].append(args.events / seconds[side])
            ratios.append(rates["pubsub"][-1] / rates["https"][-1])
        server.shutdown()
    figures = {
        "events": args.events,
        "batch": args.batch,
        "rounds": args.rounds,
        "concurrency": CONCURRENCY,
        "events_per_s": {side: [round(rate, 1) for rate in values] for side, values in rates.items()},
        "ratios": [round(ratio, 3) for ratio in ratios],
    }
    result = {
        "pubsub_ingest_events_per_s_ratio": round(statistics.median(ratios), 3),
        "pubsub_ingest": figures,
    }
    print_table(
        ["path", "events/s (median)", "rounds"],
        [
            [
                "HTTPS batch ingest",
                round(statistics.median(rates["https"]), 1),
                figures["events_per_s"]["https"],
            ],
            ["Pub/Sub", round(statistics.median(rates["pubsub"]), 1), figures["events_per_s"]["pubsub"]],
        ],
    )
    print(f"pubsub_ingest_events_per_s_ratio = {result['pubsub_ingest_events_per_s_ratio']}")
    merge_json(args.out, result, "pubsub")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
