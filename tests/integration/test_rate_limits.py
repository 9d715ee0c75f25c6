"""Per-org rate limits shared by every instance: 429 ``rate_limited`` with ``Retry-After`` and the IETF
RateLimit headers over budget, headers on every authenticated answer, an API key's share below the
org's, other orgs unaffected, fail open when the limiter's store is out, and several server processes
together held to one budget."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core.exceptions import ServiceUnavailable

from devstack.emulators import free_port
from devstack.processes import spawn, stop_group
from shared.store.rate_windows import RateWindows
from tests.integration.conftest import Api, Token, event_line, reset_caches

ROOT = Path(__file__).resolve().parents[2]
EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]


def fresh_window(margin: float = 15) -> None:
    """Wait for a new one-minute window when the current one ends within ``margin`` seconds."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.2)


def budget(per_minute: int) -> None:
    os.environ["EVENTS_RATE_LIMIT_PER_MINUTE"] = str(per_minute)
    reset_caches()


def test_over_budget_is_429_with_retry_after_and_headers_on_every_answer(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    budget(5)
    event_id = add_events([event_line(0)])[0]["id"]
    operator = token("operator")
    fresh_window()
    answers = [api.get(EVENTS, operator) for _ in range(4)] + [
        api.get(f"{EVENTS}/{event_id[:-1]}0", operator)
    ]
    assert [answer.status_code for answer in answers[:4]] == [200] * 4
    for answer in answers:  # a 404 after authentication carries them too
        assert answer.headers["RateLimit-Policy"] == '"org";q=5;w=60'
        assert re.fullmatch(r'"org";r=\d+;t=\d+', answer.headers["RateLimit"])
    assert [int(a.headers["RateLimit"].split("r=")[1].split(";")[0]) for a in answers] == [4, 3, 2, 1, 0]
    refused = api.get(EVENTS, operator)
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit"].startswith('"org";r=0;t=')
    other = api.get(EVENTS, token("operator", org_id=f"{org}-b"))  # another tenant is unaffected
    assert other.status_code == 200
    anonymous = api.get(EVENTS)
    assert anonymous.status_code == 401 and "RateLimit" not in anonymous.headers
    viewer = token("viewer", sites=[event_line()["site_id"]], org_id=f"{org}-c")
    forbidden = api.patch(f"{EVENTS}/{event_id}", viewer, json={"starred": True})
    assert forbidden.status_code == 403 and forbidden.headers["RateLimit-Policy"] == '"org";q=5;w=60'


def test_an_api_key_spends_at_most_its_share(api: Api, token: Token) -> None:
    budget(4)
    fresh_window()
    admin = token("admin")
    key = api.call(
        "POST",
        "/api/v1/keys",
        admin,
        json={"name": "script", "role": "viewer", "site_ids": [event_line()["site_id"]]},
    )
    assert key.status_code == 201
    secret = key.json()["secret"]
    assert [api.get(EVENTS, secret).status_code for _ in range(3)] == [200, 200, 429]  # half of 4 left
    assert api.get(EVENTS, token("operator")).status_code == 200  # the console still gets the rest


def test_the_limiter_fails_open_when_its_store_is_out(
    api: Api, token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget(1)

    def unreachable(*args: Any, **kwargs: Any) -> tuple[int, int]:
        raise ServiceUnavailable("the limiter's store is out")

    monkeypatch.setattr(RateWindows, "lease", unreachable)
    operator = token("operator")
    assert [api.get(EVENTS, operator).status_code for _ in range(3)] == [200, 200, 200]


@contextlib.contextmanager
def function_servers(count: int, env: dict[str, str], tmp_path: Path) -> Iterator[list[str]]:
    """``count`` functions-framework processes of list_events: separate instances of one function."""
    processes, bases = [], []
    try:
        for n in range(count):
            port = free_port()
            source = str(ROOT / "functions" / "list_events.py")
            command = [
                str(ROOT / ".venv" / "bin" / "functions-framework"), "--target", "list_events",
                "--source", source, "--host", "127.0.0.1", "--port", str(port),
            ]  # fmt: skip
            log = (tmp_path / f"instance-{n}.log").open("wb")
            processes.append(spawn(command, env=env, stdout=log, stderr=subprocess.STDOUT))
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 120  # only ends a hang: a loaded machine starts slowly
        for base in bases:
            while True:
                try:
                    requests.get(base + EVENTS, timeout=2)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline, "an instance did not start"
                    time.sleep(0.2)
        yield bases
    finally:
        for process in processes:
            stop_group(process)


def test_several_instances_share_one_budget(
    token: Token, add_events: AddEvents, org: str, tmp_path: Path
) -> None:
    add_events([event_line(0)])
    env = {**os.environ, "EVENTS_RATE_LIMIT_PER_MINUTE": "12"}
    operator, neighbour = token("operator"), token("operator", org_id=f"{org}-neighbour")
    with function_servers(3, env, tmp_path) as bases:
        fresh_window(margin=25)
        accepted = 0
        for n in range(36):
            answer = requests.get(
                bases[n % 3] + EVENTS, headers={"Authorization": f"Bearer {operator}"}, timeout=30
            )
            assert answer.status_code in (200, 429), answer.text
            accepted += answer.status_code == 200
        assert 12 - 3 <= accepted <= 12, f"{accepted} accepted of a budget of 12 across 3 instances"
        for base in bases:  # the neighbour org is untouched by this one's spending
            answer = requests.get(base + EVENTS, headers={"Authorization": f"Bearer {neighbour}"}, timeout=30)
            assert answer.status_code == 200, answer.text


def test_many_instances_serving_a_request_each_do_not_lease_the_budget_away(
    api: Api, token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty cold instances (each a fresh lease table here) serve one request each: each leases a
    hundredth of the budget (6 of 600), not a tenth, so the org's budget is nowhere near spent (with
    tenths, the eleventh instance would have got a 429)."""
    from shared.edge import rate_limit

    budget(600)
    fresh_window()
    operator = token("operator")
    statuses = []
    for _ in range(30):
        monkeypatch.setattr(rate_limit, "_leases", {})  # a new instance: nothing leased yet
        statuses.append(api.get(EVENTS, operator).status_code)
    assert statuses == [200] * 30
    remaining = api.get(EVENTS, operator).headers["RateLimit"]
    assert int(remaining.split("r=")[1].split(";")[0]) >= 600 - 31 * 6
