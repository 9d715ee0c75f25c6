"""How often authentication and the rate limiter touch the store: the share of requests that read an
API key or lease a slice of a budget, for a user's JWT and for an API key, on one warm instance (the
local gateway in process). ``python -m bench.limits [--requests 1200]``. Loopback only.

Not a timed test: it counts the store calls the limiter and the key cache make (by wrapping them) and
reports them per request. At the default budget (600 a minute: the org's slices grow from 6 to 60
requests, a key's and all keys' together from 3 to 30) a lease is expected about once per 60 requests
once an instance is busy (JWT) and per 12 (key: its own, all keys' together and the org's), plus a
few while the slices grow, and a warm key cache reads a key once per ``EVENTS_KEY_CACHE_SECONDS``.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from typing import Any

import requests

from bench.common import bench_stack, dev_token, exit_code, write_json

EVENTS = "/api/v1/events"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.limits", description=__doc__)
    parser.add_argument("--requests", type=int, default=250, help="requests per caller kind (bounded)")
    parser.add_argument("--budget", type=int, default=600, help="the org's budget a minute (the default's)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    budget = args.budget
    count = max(
        1, min(args.requests, budget // 2)
    )  # within a key's share: this counts store calls, not refusals
    with bench_stack(extra_env={"EVENTS_RATE_LIMIT_PER_MINUTE": str(budget)}):
        from devstack.gateway import gateway_server
        from shared.store.api_keys import ApiKeys
        from shared.store.rate_windows import RateWindows

        calls: Counter[str] = Counter()
        lease, find = RateWindows.lease, ApiKeys.find

        def counted_lease(self: RateWindows, *a: Any, **k: Any) -> tuple[int, int]:
            calls["lease"] += 1
            return lease(self, *a, **k)

        def counted_find(self: ApiKeys, *a: Any, **k: Any) -> Any:
            calls["key read"] += 1
            return find(self, *a, **k)

        RateWindows.lease = counted_lease  # type: ignore[method-assign]
        ApiKeys.find = counted_find  # type: ignore[method-assign]
        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        session = requests.Session()
        admin = dev_token("bench-limits", "admin")
        created = session.post(base + "/api/v1/keys", json={"name": "bench", "role": "operator"},
                               headers={"Authorization": f"Bearer {admin}"}, timeout=30)  # fmt: skip
        failures: list[str] = []
        if created.status_code != 201:
            failures.append(f"key creation answered {created.status_code}")
            return exit_code(failures)
        results = {}
        for kind, bearer in (
            ("jwt", dev_token("bench-limits", "operator")),
            ("api key", created.json()["secret"]),
        ):
            calls.clear()
            started = time.perf_counter()
            statuses: Counter[int] = Counter()
            for _ in range(count):
                statuses[
                    session.get(
                        base + EVENTS, headers={"Authorization": f"Bearer {bearer}"}, timeout=30
                    ).status_code
                ] += 1
            seconds = time.perf_counter() - started
            touched = calls["lease"] + calls["key read"]
            results[kind] = {
                "requests": count, "statuses": dict(statuses), "leases": calls["lease"],
                "key_reads": calls["key read"], "store_share": touched / count, "seconds": seconds,
            }  # fmt: skip
            if set(statuses) != {200}:
                failures.append(f"{kind}: answers {dict(statuses)}")
        server.shutdown()
    print("| caller | requests | leases | key reads | requests touching the limiter/key store |")
    print("|---|---|---|---|---|")
    for kind, row in results.items():
        share = f"{row['store_share']:.1%}"
        print(f"| {kind} | {row['requests']} | {row['leases']} | {row['key_reads']} | {share} |")
    write_json(args.json, {"benchmark": "limits", "budget_per_minute": budget, "results": results})
    return exit_code(failures)


if __name__ == "__main__":
    raise SystemExit(main())
