"""The live event stream's lag and idle cost. ``python -m bench.stream [--events 60] [--idle 20]
[--idle-seconds 60] [--out bench/results.json]``.

- **Lag**: one stream open through the local gateway (default ``EVENTS_CHANGES_SETTLE_SECONDS``, 2 s);
  events are PUT one at a time, a few tenths of a second apart; the lag of each is from just before
  its PUT to the arrival of its ``event.created`` message. Goal: p99 within the settle window plus
  1 s. Reported as ``stream_lag_p50_ms`` and ``stream_lag_p99_ms``.
- **Idle cost**: ``--idle`` streams of one org held open ``--idle-seconds`` with nothing written (a
  heartbeat every ``EVENTS_STREAM_HEARTBEAT_SECONDS``); each stream's store reads while its body ran
  are its log line's reads less those its ``X-Store-Cost`` header counted before the body (opening:
  the rate limit and the slot). Goal: 0 (heartbeats renew the slot with a write, no read). Reported as
  ``idle_stream_reads_per_minute`` (all streams together), with the writes beside it. The org's one
  listener per instance bills reads for its first snapshot and per change, not per stream or second.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import threading
import time
import uuid
from typing import Any

import httpx

from bench.common import bench_stack, dev_token, merge_json, print_table, require_clean_tree
from devstack.factories import event_line
from shared.store.meter import STORE_COST_HEADER, parse_header

STREAM = "/api/v1/events/stream"


class StreamLogs(logging.Handler):
    """The store usage of each finished stream, from the edge's log lines."""

    def __init__(self) -> None:
        super().__init__()
        self.usage: list[dict[str, dict[str, int]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields: dict[str, Any] = getattr(record, "structured", {})
        if fields.get("function") == "stream_events" and "body_sent" in fields:
            self.usage.append(fields["store"])


def total(usage: dict[str, dict[str, int]], name: str) -> int:
    return sum(counts.get(name, 0) for counts in usage.values())


def lags(base: str, org_id: str, count: int) -> list[float]:
    """Seconds from just before each PUT to its message."""
    admin = {"Authorization": f"Bearer {dev_token(org_id, 'admin')}"}
    arrived: dict[str, float] = {}
    opened = threading.Event()

    def read() -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(60, read=120)) as client,
            client.stream("GET", base + STREAM, headers=admin) as answer,
        ):
            opened.set()
            for line in answer.iter_lines():
                if line.startswith("data:"):
                    change = json.loads(line[5:])
                    arrived.setdefault(change["event_id"], time.perf_counter())
                    if len(arrived) == count:
                        return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    opened.wait(30)
    time.sleep(0.5)
    sent: dict[str, float] = {}
    with httpx.Client(timeout=60) as client:
        for n in range(count):
            line = event_line(n)
            sent[line["id"]] = time.perf_counter()
            client.put(f"{base}/api/v1/events/{line['id']}", json=line, headers=admin).raise_for_status()
            time.sleep(0.3)
    reader.join(120)
    return [arrived[event_id] - at for event_id, at in sent.items() if event_id in arrived]


def idle(base: str, org_id: str, streams: int, seconds: int, logs: StreamLogs) -> dict[str, int]:
    """Reads and writes the streams' bodies made while idle (nothing written to the org)."""
    viewer = {"Authorization": f"Bearer {dev_token(org_id, 'admin')}"}
    before: list[dict[str, dict[str, int]]] = []
    done = threading.Barrier(streams + 1)

    def hold() -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(60, read=seconds + 60)) as client,
            client.stream("GET", base + STREAM, headers=viewer) as answer,
        ):
            before.append(parse_header(answer.headers[STORE_COST_HEADER]))
            for _ in answer.iter_lines():  # until the server closes it (EVENTS_STREAM_MAX_SECONDS)
                pass
        done.wait(seconds + 120)

    for _ in range(streams):
        threading.Thread(target=hold, daemon=True).start()
    done.wait(seconds + 120)
    deadline = time.monotonic() + 30
    while len(logs.usage) < streams and time.monotonic() < deadline:
        time.sleep(0.1)
    body_reads = sum(total(u, "billed") for u in logs.usage) - sum(total(u, "billed") for u in before)
    body_writes = sum(total(u, "writes") for u in logs.usage) - sum(total(u, "writes") for u in before)
    return {"streams": len(logs.usage), "reads": body_reads, "writes": body_writes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=60, help="events PUT for the lag")
    parser.add_argument("--idle", type=int, default=20, help="idle streams held open")
    parser.add_argument("--idle-seconds", type=int, default=60, help="how long the idle streams stay open")
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    require_clean_tree(args.out)
    env = {
        "EVENTS_RATE_LIMIT_PER_MINUTE": "1000000",
        "EVENTS_STORE_COST_HEADER": "true",
        "EVENTS_STREAM_MAX_SECONDS": str(args.idle_seconds),
    }
    with bench_stack(extra_env=env):
        from devstack.gateway import gateway_server
        from shared.config import settings
        from shared.edge.logs import logger

        logs = StreamLogs()
        logger().addHandler(logs)
        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        settle_ms = settings().changes_settle_seconds * 1000
        heartbeat = settings().stream_heartbeat_seconds
        idle_cost = idle(base, f"bench-idle-{uuid.uuid4().hex[:6]}", args.idle, args.idle_seconds, logs)
        measured = lags(base, f"bench-lag-{uuid.uuid4().hex[:6]}", args.events)
        server.shutdown()
    quantiles = statistics.quantiles(measured, n=100, method="inclusive")
    minutes = args.idle_seconds / 60
    result = {
        "stream_lag_p50_ms": round(statistics.median(measured) * 1000, 1),
        "stream_lag_p99_ms": round(quantiles[98] * 1000, 1),
        "idle_stream_reads_per_minute": round(idle_cost["reads"] / minutes, 2),
        "stream": {
            "events": args.events,
            "received": len(measured),
            "settle_ms": settle_ms,
            "idle_streams": idle_cost["streams"],
            "idle_seconds": args.idle_seconds,
            "heartbeat_seconds": heartbeat,
            "idle_stream_writes_per_minute": round(idle_cost["writes"] / minutes, 2),
        },
    }
    print_table(
        ["figure", "value", "goal"],
        [
            ["stream lag p50 ms", result["stream_lag_p50_ms"], ""],
            ["stream lag p99 ms", result["stream_lag_p99_ms"], f"<= {settle_ms + 1000} (settle + 1 s)"],
            [f"reads/min of {args.idle} idle streams", result["idle_stream_reads_per_minute"], "0"],
            ["writes/min (slot renewals)", result["stream"]["idle_stream_writes_per_minute"], ""],
        ],
    )
    merge_json(args.out, result, "stream")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
