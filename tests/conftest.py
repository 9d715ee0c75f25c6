"""What both test layers share: the tests' service settings, forgetting cached settings, a fresh org
per test and tokens signed for the tests' settings. Nothing here starts an emulator: those fixtures
are in ``tests/integration/conftest.py``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from devstack.harness import service_settings
from devstack.tokens import stack_token

TEST_ENV = service_settings("test")

Token = Callable[..., str]


def reset_caches() -> None:
    """Forget settings read from the environment (tests that change it call this)."""
    from shared.config import settings

    settings.cache_clear()


@pytest.fixture
def org() -> str:
    """A fresh org id: the tenancy boundary, so each test has its own data."""
    return f"org-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def token(org: str) -> Token:
    """``token(role, org_id=..., sites=[...], sub=..., ttl=..., **claims)``: a token signed for
    :data:`TEST_ENV` (the fixture's org unless ``org_id`` is given)."""

    def make(
        role: str,
        *,
        org_id: str | None = None,
        sites: list[str] | None = None,
        sub: str | None = None,
        ttl: int = 600,
        **claims: Any,
    ) -> str:
        return stack_token(org_id or org, role, env=TEST_ENV, sub=sub, site_ids=sites, ttl=ttl, extra=claims)

    return make
