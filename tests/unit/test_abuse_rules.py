"""The edge's abuse rules called directly: what the logs redact, which forwarded address is the client,
the failed-authentication table's bound, and the policies a caller spends."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.config import settings
from shared.edge import auth_failures
from shared.edge.auth import Principal, Role
from shared.edge.logs import REDACTED, client_address, credential_parameter, holds_credential, redact
from shared.edge.rate_limit import policies
from shared.edge.routes import API_ROUTES, route_of
from shared.errors import RateLimited
from shared.model.actor import Actor, ActorKind
from shared.model.scope import Scope
from tests.conftest import reset_caches

KEY = "sk_live_" + "a1B2" * 9 + "zz"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "url",
    [
        f"https://api.example/api/v1/events?api_key={KEY}",
        f"https://api.example/api/v1/events?limit=5&token={JWT}&x=1",
        f"https://api.example/api/v1/events?cursor={KEY}",
        f"https://api.example/api/v1/keys/{KEY}",
        "https://api.example/api/v1/events?ticket=tk_0123456789abcdef",
        f"https://api.example/api/v1/events?q=Bearer%20{JWT}",
        f"https://api.example/api/v1/events?Access-Token={JWT}",
    ],
)
def test_credentials_in_urls_are_redacted(url: str) -> None:
    redacted = redact(url)
    assert REDACTED in redacted
    for secret in (KEY, KEY[8:], JWT, JWT.split(".")[2], "tk_0123456789abcdef"):
        assert secret not in redacted


def test_other_urls_are_left_alone() -> None:
    cursor = "eyJ0IjoxNzAwMDAwMDAwMDAwMDAwLCJpIjoiYWJjIn0.c2lnbmF0dXJlX29mX3RoZV9jdXJzb3I"  # two parts
    url = f"https://api.example/api/v1/events?limit=5&cursor={cursor}&site_id=1f0e"
    assert redact(url) == url
    assert not holds_credential(cursor) and holds_credential(KEY) and holds_credential(JWT)
    assert credential_parameter("API-Key") and credential_parameter("access_token")
    assert not credential_parameter("cursor") and not credential_parameter("camera_id")


def request_from(peer: str, forwarded_for: str | None) -> Request:
    headers = [("X-Forwarded-For", forwarded_for)] if forwarded_for is not None else []
    return Request(EnvironBuilder(headers=headers, environ_base={"REMOTE_ADDR": peer}).get_environ())


def test_the_client_address_is_the_socket_locally_and_the_front_ends_entry_behind_the_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert client_address(request_from("127.0.0.1", "6.6.6.6")) == "127.0.0.1"  # not behind a gateway
    monkeypatch.setenv("EVENTS_FORWARDED_AUTH", "true")
    reset_caches()
    assert client_address(request_from("10.0.0.9", "6.6.6.6, 203.0.113.7, 10.1.2.3")) == "203.0.113.7"
    assert client_address(request_from("10.0.0.9", "203.0.113.7")) == "203.0.113.7"
    assert client_address(request_from("10.0.0.9", None)) == "10.0.0.9"
    monkeypatch.setenv("EVENTS_FORWARDED_FOR_POSITION", "1")
    reset_caches()
    assert client_address(request_from("10.0.0.9", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"


def test_a_flood_of_distinct_addresses_stays_bounded_and_keeps_the_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENTS_AUTH_FAILURES_PER_MINUTE", "3")
    reset_caches()
    monkeypatch.setattr(auth_failures, "MAX_ADDRESSES", 100)
    monkeypatch.setattr("shared.edge.auth_failures.time.time", lambda: 1_800_000_010.0)  # one window
    auth_failures.forget_failures()
    for _ in range(3):
        auth_failures.record_failure("198.51.100.1")
    for n in range(10_000):
        auth_failures.record_failure(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
        assert len(auth_failures._failures) <= 100
    with pytest.raises(RateLimited) as refused:
        auth_failures.refuse_if_over("198.51.100.1")
    assert refused.value.headers["Retry-After"] == "50"
    auth_failures.refuse_if_over("192.0.2.1")  # never failed: not refused
    auth_failures.forget_failures()
    assert settings().auth_failures_per_minute == 3


def test_a_key_spends_its_own_the_keys_and_the_orgs_budget_and_a_user_the_orgs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENTS_RATE_LIMIT_PER_MINUTE", "30")
    monkeypatch.setenv("EVENTS_RATE_LIMIT_KEY_SHARE", "40")
    reset_caches()
    key = Principal(Actor(ActorKind.API_KEY, "0123456789abcdef"), Role.OPERATOR, Scope("org-a"))
    user = Principal(Actor.user("u1"), Role.OPERATOR, Scope("org-a"))
    listing = route_of("list_events")
    assert policies(settings(), key, listing) == [
        ("key", "key-0123456789abcdef", 12),
        ("keys", "keys", 12),
        ("org", "org", 30),
    ]
    assert policies(settings(), user, listing) == [("org", "org", 30)]


def test_an_ingest_route_spends_the_orgs_ingest_budget_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTS_RATE_LIMIT_PER_MINUTE", "30")
    monkeypatch.setenv("EVENTS_INGEST_RATE_LIMIT_PER_MINUTE", "700")
    reset_caches()
    key = Principal(Actor(ActorKind.API_KEY, "0123456789abcdef"), Role.INGEST, Scope("org-a"))
    admin = Principal(Actor.user("u1"), Role.ADMIN, Scope("org-a"))
    for route in (route_of("ingest_events"), route_of("upsert_event")):
        assert route.budget == "ingest"
        assert policies(settings(), key, route) == [("ingest", "ingest", 700)]
        assert policies(settings(), admin, route) == [("ingest", "ingest", 700)]
    assert all(route.budget == "api" for route in API_ROUTES if route.min_role != "ingest")
