"""The attacker's numbers, through the local gateway: what a flood of forged API keys costs the store,
and what the console is served while two API keys flood the org's budget.
``python -m bench.abuse [--forged 100] [--budget 60] [--out bench/results.json]``. Loopback only.

- **Forged-key flood**: ``--forged`` requests, each with a fresh key of the right shape whose checksum
  was made without the deployment's secret (what an attacker can make), counted by the store meter
  (``X-Store-Cost``): store reads per 100 forged requests, goal 0. With the failed-authentication
  limit at its default (60 a minute per address) the same flood is also counted in 429s.
- **Keys against the console**: two API keys of one org flood concurrently (each sends the whole
  budget) while a user's token sends exactly the users' share (the budget less the keys' share, less
  the two key creations): the share of those console requests served, goal 1.0 (every one), and what
  the keys got together (at most their share).

The figures are merged into ``--out`` as ``forged_key_store_reads_per_100`` and
``console_served_share_while_keys_flood``, with the raw counts under ``abuse``.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bench.common import bench_stack, dev_token, exit_code, merge_json, print_table, require_clean_tree
from shared.store.meter import STORE_COST_HEADER, parse_header

EVENTS, KEYS = "/api/v1/events", "/api/v1/keys"
KEY_SHARE_PERCENT = 50
DEFAULT_FAILURE_LIMIT = 60


def _get(session: requests.Session, url: str, bearer: str) -> requests.Response:
    return session.get(url, headers={"Authorization": f"Bearer {bearer}"}, timeout=60)


def forged_flood(base: str, count: int) -> dict[str, Any]:
    """``count`` forged keys: their statuses and the store calls they made, by purpose."""
    from shared.edge.api_keys import new_key

    session, statuses, reads = requests.Session(), Counter[int](), Counter[str]()
    for _ in range(count):
        answer = _get(session, base + EVENTS, new_key("sk_test_", os.urandom(24)))
        statuses[answer.status_code] += 1
        for purpose, usage in parse_header(answer.headers.get(STORE_COST_HEADER, "")).items():
            reads[purpose] += usage["rpcs"]
    return {"requests": count, "statuses": dict(statuses), "store_rpcs": dict(reads)}


def wait_for_fresh_window(margin: float = 40) -> None:
    """Start the contest in a new one-minute window when the current one ends within ``margin`` s."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.2)


def keys_against_console(base: str, budget: int) -> dict[str, Any]:
    """Two keys flood while a user sends the users' share; what each side was served."""
    org = "bench-abuse"
    session = requests.Session()
    admin = dev_token(org, "admin")
    wait_for_fresh_window()
    secrets = []
    for name in ("flood a", "flood b"):
        created = session.post(
            base + KEYS,
            json={"name": name, "role": "operator"},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=60,
        )
        created.raise_for_status()
        secrets.append(created.json()["secret"])
    share = max(1, budget * KEY_SHARE_PERCENT // 100)
    users_share = budget - share - len(secrets)  # the creations were a user's requests too
    user = dev_token(org, "operator")
    console: Counter[int] = Counter()
    keys: Counter[int] = Counter()
    lock = threading.Lock()

    def flood(secret: str) -> None:
        own = requests.Session()
        for _ in range(budget):
            status = _get(own, base + EVENTS, secret).status_code
            with lock:
                keys[status] += 1

    def browse() -> None:
        own = requests.Session()
        for _ in range(users_share):
            status = _get(own, base + EVENTS, user).status_code
            with lock:
                console[status] += 1
            time.sleep(0.01)  # a person's pace beside the scripts' flood

    with ThreadPoolExecutor(3) as pool:
        for future in [pool.submit(flood, secret) for secret in secrets] + [pool.submit(browse)]:
            future.result()
    return {
        "budget": budget,
        "keys_share": share,
        "users_share_sent": users_share,
        "console_statuses": dict(console),
        "keys_statuses": dict(keys),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.abuse", description=__doc__.split("\n")[0])
    parser.add_argument("--forged", type=int, default=100, help="forged-key requests")
    parser.add_argument("--budget", type=int, default=60, help="the org's budget a minute for the contest")
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    require_clean_tree(args.out)
    extra = {
        "EVENTS_RATE_LIMIT_PER_MINUTE": str(args.budget),
        "EVENTS_RATE_LIMIT_KEY_SHARE": str(KEY_SHARE_PERCENT),
    }
    failures: list[str] = []
    with bench_stack(extra_env=extra):
        from devstack.gateway import gateway_server
        from shared.config import settings
        from shared.edge.auth_failures import forget_failures

        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        unlimited = forged_flood(base, args.forged)  # the bench stack's failure limit is out of reach
        os.environ["EVENTS_AUTH_FAILURES_PER_MINUTE"] = str(DEFAULT_FAILURE_LIMIT)
        settings.cache_clear()
        forget_failures()
        wait_for_fresh_window(margin=10)
        limited = forged_flood(base, args.forged)
        os.environ["EVENTS_AUTH_FAILURES_PER_MINUTE"] = "1000000"
        settings.cache_clear()
        contest = keys_against_console(base, args.budget)
        server.shutdown()
    reads_per_100 = sum(unlimited["store_rpcs"].values()) * 100 / args.forged
    sent = contest["users_share_sent"]
    served = contest["console_statuses"].get(200, 0)
    keys_served = contest["keys_statuses"].get(200, 0)
    result = {
        "forged_key_store_reads_per_100": reads_per_100,
        "console_served_share_while_keys_flood": round(served / sent, 3) if sent else 1.0,
        "abuse": {
            "forged_flood": unlimited,
            "forged_flood_at_default_failure_limit": {**limited, "limit": DEFAULT_FAILURE_LIMIT},
            "keys_against_console": contest,
        },
    }
    print_table(
        ["measure", "figure", "goal"],
        [
            [f"store reads per 100 forged-key requests ({args.forged} sent)", reads_per_100, 0],
            [
                f"forged-key requests refused 429 at {DEFAULT_FAILURE_LIMIT} failures a minute",
                limited["statuses"].get(429, 0),
                max(0, args.forged - DEFAULT_FAILURE_LIMIT),
            ],
            [f"console requests served within the users' share ({sent} sent)", served, sent],
            [f"requests the two keys got together (share {contest['keys_share']})", keys_served, "<= share"],
        ],
    )
    if reads_per_100:
        failures.append(f"forged keys read the store: {unlimited['store_rpcs']}")
    if served < sent:
        failures.append(f"the console got {served} of its {sent} requests while the keys flooded")
    if keys_served > contest["keys_share"]:
        failures.append(f"the keys got {keys_served}, over their share of {contest['keys_share']}")
    merge_json(args.out, result, "abuse")
    return exit_code(failures)


if __name__ == "__main__":
    raise SystemExit(main())
