"""The abuse paths an attacker's probe found, each reproduced through the local gateway: forged API keys
cost no store read and failed authentications are limited per client address; an org's API keys
together cannot starve its users and the RateLimit headers name every policy; credentials are never
taken from a query string nor logged from a URL; every answer carries ``nosniff`` (and ``Vary:
Origin`` when CORS is configured); a chunked body over 64 KiB is 413."""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from shared.edge.api_keys import ALPHABET, CHECK_CHARS, RANDOM_CHARS, new_key
from shared.edge.auth_failures import forget_failures
from shared.store.meter import STORE_COST_HEADER, parse_header
from tests.integration.conftest import Api, Token, event_line, reset_caches
from tests.integration.test_rate_limits import budget, fresh_window

EVENTS, KEYS = "/api/v1/events", "/api/v1/keys"
AddEvents = Callable[..., list[dict[str, Any]]]


def setting(**values: str) -> None:
    os.environ.update(values)
    reset_caches()


def store_reads(answer: requests.Response) -> dict[str, dict[str, int]]:
    """The store calls the request made, by purpose (the test stack sends X-Store-Cost)."""
    return parse_header(answer.headers[STORE_COST_HEADER])


def crc_key() -> str:
    """A key as they were made before checksums were keyed: anyone can compute its CRC32."""
    import zlib

    body = "sk_test_" + "Q" * RANDOM_CHARS
    value, digits = zlib.crc32(body.encode()), []
    for _ in range(CHECK_CHARS):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return body + "".join(reversed(digits))


def policies(header: str) -> dict[str, dict[str, int]]:
    """``"key";r=3;t=40, "org";r=9;t=40`` -> {"key": {"r": 3, "t": 40}, "org": {...}}."""
    found: dict[str, dict[str, int]] = {}
    for item in header.split(","):
        name, *params = item.strip().split(";")
        found[name.strip('"')] = {k: int(v) for k, v in (p.split("=") for p in params)}
    return found


@pytest.fixture(autouse=True)
def _no_failures_counted() -> Iterator[None]:
    forget_failures()
    yield
    forget_failures()


def test_forged_keys_are_401_without_a_store_read(api: Api, token: Token) -> None:
    """Before: a key with a correct CRC32 cost a Firestore read (and a key cache slot) each."""
    forged = [new_key("sk_test_", b"an-attacker-does-not-know-the-secret") for _ in range(100)]
    answers = [api.get(EVENTS, key) for key in forged]
    assert {answer.status_code for answer in answers} == {401}
    assert sum(store_reads(answer).get("keys", {}).get("rpcs", 0) for answer in answers) == 0
    old = api.get(EVENTS, crc_key())  # the old, unkeyed format: refused clearly, still no read
    assert old.status_code == 401 and "predates" in old.json()["message"]
    assert store_reads(old) == {}
    created = api.post(KEYS, token("admin"), json={"name": "real", "role": "operator"})
    real = api.get(EVENTS, created.json()["secret"])  # a key the deployment made is looked up
    # one read of its record, and its first use written (at most once a minute per key and instance)
    assert real.status_code == 200
    assert store_reads(real)["keys"] == {"rpcs": 2, "documents": 1, "counted": 0, "billed": 1, "writes": 1}


def test_failed_authentications_are_limited_per_address_before_any_store_read(api: Api, token: Token) -> None:
    setting(EVENTS_AUTH_FAILURES_PER_MINUTE="5")
    fresh_window()
    forged = new_key("sk_test_", b"an-attacker-does-not-know-the-secret")
    assert [api.get(EVENTS, forged).status_code for _ in range(5)] == [401] * 5
    refused = api.get(EVENTS, forged)
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Policy"] == '"auth-failures";q=5;w=60'
    assert policies(refused.headers["RateLimit"])["auth-failures"]["r"] == 0
    valid = api.get(EVENTS, token("operator"))  # the address is refused whatever it sends, unread
    assert valid.status_code == 429 and store_reads(valid) == {}


def test_behind_the_gateway_the_client_is_the_forwarded_address_the_front_end_appended(
    api: Api, token: Token
) -> None:
    """API Gateway's front end appends the caller's address, the function's front end the gateway's:
    the client is the second entry from the right; what the caller wrote further left is ignored."""
    setting(EVENTS_AUTH_FAILURES_PER_MINUTE="3", EVENTS_FORWARDED_AUTH="true")
    fresh_window()

    def call(forwarded_for: str, bearer: str) -> requests.Response:
        headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Authorization": f"Bearer {bearer}"}
        return api.get(EVENTS, headers=headers)

    attacker = "203.0.113.7, 10.1.2.3"
    assert [call(attacker, "sk_test_forged").status_code for _ in range(3)] == [401] * 3
    assert call(attacker, "sk_test_forged").status_code == 429
    assert call(f"198.51.100.1, {attacker}", token("operator")).status_code == 429  # spoofing: no escape
    assert call("198.51.100.9, 10.1.2.3", token("operator")).status_code == 200  # another client


def create_key(api: Api, admin: str, name: str) -> str:
    answer = api.post(KEYS, admin, json={"name": name, "role": "operator"})
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["secret"]
    return secret


def test_all_keys_together_leave_the_users_their_share(api: Api, token: Token, add_events: AddEvents) -> None:
    """Before: each key was capped at the share but not the keys together, so two keys spent the
    whole budget and users got 0 of 5. Budget 30, share 50%: keys together get 15, users the rest."""
    add_events([event_line(0)])
    budget(30)
    setting(EVENTS_RATE_LIMIT_KEY_SHARE="50")
    fresh_window(margin=25)
    admin = token("admin")
    first, second = create_key(api, admin, "script a"), create_key(api, admin, "script b")
    assert [api.get(EVENTS, first).status_code for _ in range(10)] == [200] * 10
    answers = [api.get(EVENTS, second) for _ in range(8)]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 3
    last = answers[4]
    assert last.headers["RateLimit-Policy"] == '"key";q=15;w=60, "keys";q=15;w=60, "org";q=30;w=60'
    left = policies(last.headers["RateLimit"])
    assert (left["key"]["r"], left["keys"]["r"]) == (10, 0)  # the refusal to come is announced
    refusal = answers[5]
    assert (
        "API keys'" in refusal.json()["message"] and policies(refusal.headers["RateLimit"])["keys"]["r"] == 0
    )
    assert 1 <= int(refusal.headers["Retry-After"]) <= 60
    user = token("operator")
    console = [api.get(EVENTS, user) for _ in range(13)]  # the admin's two creations were users' too
    assert [answer.status_code for answer in console] == [200] * 13  # the users' whole share
    assert console[0].headers["RateLimit-Policy"] == '"org";q=30;w=60'
    assert policies(console[-1].headers["RateLimit"])["org"]["r"] == 0
    assert api.get(EVENTS, user).status_code == 429


@pytest.mark.parametrize("name", ["api_key", "key", "access_token", "token", "Api-Key", "ticket"])
def test_credentials_in_the_query_string_are_400_naming_the_parameter(
    api: Api, token: Token, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = create_key(api, token("admin"), "leaky")
    capsys.readouterr()
    answer = api.get(EVENTS, params={name: secret})
    body = answer.json()
    assert answer.status_code == 400 and body["error"] == "validation_error" and set(body["fields"]) == {name}
    logged = capsys.readouterr().out
    assert secret not in logged and secret[8:] not in logged and "[redacted]" in logged


def test_a_key_or_jwt_in_any_parameter_is_refused_and_never_logged(
    api: Api, token: Token, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    operator = token("operator")
    secret = create_key(api, token("admin"), "leaky")
    capsys.readouterr()
    for params in ({"cursor": secret}, {"camera_id": operator}, {"limit": f"Bearer {operator}"}):
        answer = api.get(f"{EVENTS}/{event_line()['site_id']}", operator, params=params)
        assert answer.status_code == 400 and set(answer.json()["fields"]) == set(params)
    logged = capsys.readouterr().out + caplog.text  # the function's log lines and the gateway's
    assert "[redacted]" in logged
    for leaked in (secret, operator, operator.split(".")[2]):
        assert leaked not in logged
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    assert any("[redacted]" in line.get("httpRequest", {}).get("requestUrl", "") for line in lines)


def test_every_answer_says_nosniff_and_vary_origin_when_cors_is_configured(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    setting(EVENTS_CORS_ORIGINS="https://console.example", EVENTS_AUTH_FAILURES_PER_MINUTE="2")
    fresh_window()
    operator = token("operator")
    origin = {"Origin": "https://elsewhere.example"}
    answers = {
        "ok": (200, api.get(EVENTS, operator)),
        "document": (200, api.get("/openapi.json")),
        "allowed origin": (200, api.get(EVENTS, operator, headers={"Origin": "https://console.example"})),
        "query credential": (400, api.get(EVENTS, operator, params={"token": "x"})),
        "unrouted": (404, api.get("/api/v1/nowhere", operator, headers=origin)),
        "no such event": (404, api.get(f"{EVENTS}/{uuid.uuid4()}", operator)),
        "wrong method": (405, api.call("PUT", EVENTS, operator)),
        "big body": (413, api.patch(f"{EVENTS}/{event_id}", operator, data="x" * 70_000, headers=origin)),
        "preflight": (204, api.call("OPTIONS", EVENTS, headers={"Origin": "https://console.example"})),
        "bad key": (401, api.get(EVENTS, "sk_test_nothing", headers=origin)),
    }
    api.get(EVENTS, "sk_test_nothing")  # the address's second failure: its limit
    answers["failures"] = (429, api.get(EVENTS, operator))
    for label, (status, answer) in answers.items():
        assert answer.status_code == status, (label, answer.text[:200])
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", label
        vary = [part.strip().lower() for part in answer.headers.get("Vary", "").split(",")]
        assert vary.count("origin") == 1, (label, answer.headers.get("Vary"))
    assert answers["allowed origin"][1].headers["Access-Control-Allow-Origin"] == "https://console.example"
    assert "Access-Control-Allow-Origin" not in answers["unrouted"][1].headers
    setting(EVENTS_CORS_ORIGINS="")
    plain = api.get(EVENTS, operator)
    assert plain.headers["X-Content-Type-Options"] == "nosniff" and "Vary" not in plain.headers


def test_a_chunked_body_over_64_kib_is_413_and_a_small_one_is_read(
    gateway_url: str, token: Token, add_events: AddEvents
) -> None:
    """Before: a body without a length was cut at 64 KiB and parsed."""
    event_id = add_events([event_line(0)])[0]["id"]
    headers = {"Authorization": f"Bearer {token('operator')}", "Content-Type": "application/json"}
    url = f"{gateway_url}{EVENTS}/{event_id}"

    def chunked(body: bytes) -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    big = json.dumps({"notes": "n" * 70_000}).encode()
    refused = requests.patch(url, data=chunked(big), headers=headers, timeout=60)
    assert refused.request.headers.get("Transfer-Encoding") == "chunked"
    assert refused.status_code == 413 and refused.json()["error"] == "payload_too_large"
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    small = requests.patch(url, data=chunked(b'{"starred": true}'), headers=headers, timeout=60)
    assert small.status_code == 200 and small.json()["starred"] is True
    assert re.fullmatch(r"[0-9a-f-]{36}", small.json()["id"])
