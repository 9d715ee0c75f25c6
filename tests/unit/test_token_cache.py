"""Verified tokens remembered by hash (shared/edge/token_cache.py): a token's signature is checked
once, its entry ends at its ``exp`` (on a stopped clock here), a token past its ``exp`` is checked
every time, and a change of the settings it was verified under is never served from memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.datastructures import Headers

from shared.edge import auth
from shared.edge.token_cache import forget_tokens, verified_claims
from shared.errors import AuthRequired
from tests.conftest import Token, reset_caches


@pytest.fixture(autouse=True)
def _no_tokens_remembered() -> Iterator[None]:
    forget_tokens()
    yield
    forget_tokens()


class Checks:
    """The real verification, counted."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, token: str) -> dict[str, Any]:
        self.count += 1
        return auth._verify(token)


def test_a_token_is_verified_once_then_served_by_its_hash(settings_env: dict[str, str], token: Token) -> None:
    checks = Checks()
    minted = token("operator", ttl=600)
    first = verified_claims(minted, checks, auth._jwks_client)
    assert verified_claims(minted, checks, auth._jwks_client) == first and checks.count == 1
    other = token("admin", ttl=600)
    assert verified_claims(other, checks, auth._jwks_client)["role"] == "admin" and checks.count == 2


def test_an_entry_ends_at_the_tokens_expiry(
    settings_env: dict[str, str], token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("shared.caches.time.monotonic", lambda: clock[0])
    checks = Checks()
    minted = token("operator", ttl=120)
    verified_claims(minted, checks, auth._jwks_client)
    clock[0] += 100
    verified_claims(minted, checks, auth._jwks_client)
    assert checks.count == 1
    clock[0] += 21  # past exp on the cache's clock: verified again
    verified_claims(minted, checks, auth._jwks_client)
    assert checks.count == 2


def test_a_token_past_its_expiry_is_verified_every_time(settings_env: dict[str, str], token: Token) -> None:
    checks = Checks()
    within_leeway = token("operator", ttl=-5)
    for _ in range(3):
        verified_claims(within_leeway, checks, auth._jwks_client)
    assert checks.count == 3


def test_a_remembered_token_is_refused_under_other_settings(
    settings_env: dict[str, str], token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    minted = token("operator", ttl=600)
    headers = Headers({"Authorization": f"Bearer {minted}"})
    assert auth.authenticate_user(headers).role is auth.Role.OPERATOR
    monkeypatch.setenv("EVENTS_JWT_AUDIENCE", "https://another.audience/")
    reset_caches()
    with pytest.raises(AuthRequired, match="Audience"):
        auth.authenticate_user(headers)
    monkeypatch.setenv("EVENTS_JWT_AUDIENCE", settings_env["EVENTS_JWT_AUDIENCE"])
    monkeypatch.setenv("EVENTS_JWT_DEV_SECRET", "another-secret-of-at-least-32-bytes!")
    reset_caches()
    with pytest.raises(AuthRequired, match="Signature"):
        auth.authenticate_user(headers)
