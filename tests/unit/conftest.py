"""The unit layer: the library's rules called directly, without emulators, network or subprocesses.

Every test starts with no service setting from the shell and the settings cache cleared; a test that
needs settings takes :func:`settings_env` (the tests' :data:`~tests.conftest.TEST_ENV`) or sets them
with ``monkeypatch`` and calls :func:`~tests.conftest.reset_caches`. Whatever a test sets is undone
after it, and the cache is cleared again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import TEST_ENV, reset_caches


@pytest.fixture(autouse=True)
def _no_service_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [name for name in os.environ if name.startswith(("EVENTS_", "EVENT_"))]:
        monkeypatch.delenv(name)
    reset_caches()
    yield
    reset_caches()  # monkeypatch restores the environment after this; nothing caches it meanwhile


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The tests' service settings in force (cursor key, dev JWT secret, issuer, audience, buckets)."""
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    reset_caches()
    return dict(TEST_ENV)
