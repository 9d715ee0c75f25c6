"""What webhooks take on the local stack: the lag from a change's commit to its receipt by an
endpoint, and the deliveries per second to 10 endpoints. ``python -m bench.webhooks [--changes 100]
[--events 100] [--out bench/results.json]``.

The local stack of ``make dev``: the gateway, the task runner calling ``deliver_webhook`` over HTTP
with OIDC tokens, and receivers on loopback (:mod:`devstack.webhook_receiver`).

- **Lag**: ``--changes`` PATCHes through the gateway, one at a time with a pause between, to one
  endpoint; each message's lag is its receipt time less the change's commit time (the message's
  ``timestamp``, Firestore's commit stamp; one machine, one clock). Goal: p99 <= 2000 ms.
- **Throughput**: ``--events`` events loaded by the pipeline at once, each change to 10 endpoints;
  deliveries per second from the load's start to the last receipt.

Merged into ``--out`` as ``webhook_lag_p50_ms``, ``webhook_lag_p99_ms`` and
``webhook_deliveries_per_second``, with the raw figures under ``webhooks``.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

import requests

from bench.common import bench_stack, dev_token, merge_json, print_table, require_clean_tree, seed_with_media

EVENTS = "/api/v1/events"
ENDPOINTS = "/api/v1/webhook-endpoints"
FANOUT = 10
PAUSE_SECONDS = 0.2  # between the lag's PATCHes: each message is measured alone, not behind a queue


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def endpoint(base: str, admin: str, url: str) -> None:
    answer = requests.post(
        f"{base}{ENDPOINTS}",
        json={"url": url, "event_types": ["*"]},
        headers=admin_headers(admin),
        timeout=60,
    )
    answer.raise_for_status()


def admin_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def lag(base: str, org_id: str, changes: int) -> list[float]:
    """Milliseconds from each PATCH's commit to the receipt of its message."""
    from devstack.webhook_receiver import Receiver
    from shared.timefmt import parse_rfc3339

    ids = seed_with_media(org_id, changes)
    admin = dev_token(org_id, "admin")
    session = requests.Session()
    with Receiver() as receiver:
        endpoint(base, admin, receiver.url)
        for n, event_id in enumerate(ids):
            answer = session.patch(
                f"{base}{EVENTS}/{event_id}",
                json={"notes": f"lag {n}"},  # a change every time
                headers=admin_headers(admin),
                timeout=60,
            )
            answer.raise_for_status()
            time.sleep(PAUSE_SECONDS)
        received = receiver.wait_for(changes, timeout=120)
    return [(item.at - parse_rfc3339(item.message()["timestamp"]).timestamp()) * 1000 for item in received]


def throughput(base: str, org_id: str, events: int) -> tuple[int, float]:
    """(deliveries, seconds) from a load of ``events`` events to the last receipt at 10 endpoints."""
    from devstack.webhook_receiver import Receiver

    admin = dev_token(org_id, "admin")
    receivers = [Receiver() for _ in range(FANOUT)]
    try:
        for receiver in receivers:
            endpoint(base, admin, receiver.url)
        started = time.time()
        seed_with_media(org_id, events)
        last = max(receiver.wait_for(events, timeout=600)[-1].at for receiver in receivers)
    finally:
        for receiver in receivers:
            receiver.stop()
    return events * FANOUT, last - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=100, help="PATCHes whose lag is measured")
    parser.add_argument(
        "--events", type=int, default=100, help=f"events loaded at once, each to {FANOUT} endpoints"
    )
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    require_clean_tree(args.out)
    with bench_stack(
        extra_env={"EVENTS_CHANGES_SETTLE_SECONDS": "0", "EVENTS_RATE_LIMIT_PER_MINUTE": "1000000"}
    ):
        from devstack.gateway import gateway_server
        from devstack.tasks import TaskRunner

        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with TaskRunner():
            lags = lag(base, "bench-webhooks-lag", args.changes)
            delivered, seconds = throughput(base, "bench-webhooks-fanout", args.events)
        server.shutdown()
    figures: dict[str, Any] = {
        "changes": args.changes,
        "events": args.events,
        "endpoints": FANOUT,
        "lag_ms": {
            "p50": round(statistics.median(lags), 1),
            "p99": round(percentile(lags, 0.99), 1),
            "max": round(max(lags), 1),
        },
        "deliveries": delivered,
        "seconds": round(seconds, 2),
    }
    result = {
        "webhook_lag_p50_ms": figures["lag_ms"]["p50"],
        "webhook_lag_p99_ms": figures["lag_ms"]["p99"],
        "webhook_deliveries_per_second": round(delivered / seconds, 1),
        "webhooks": figures,
    }
    print_table(
        ["figure", "value", "goal"],
        [
            ["commit-to-receipt lag p50 (ms)", result["webhook_lag_p50_ms"], ""],
            ["commit-to-receipt lag p99 (ms)", result["webhook_lag_p99_ms"], "<= 2000"],
            [f"deliveries per second to {FANOUT} endpoints", result["webhook_deliveries_per_second"], ""],
        ],
    )
    merge_json(args.out, result, "webhooks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
