"""What an instance keeps per org and key stays bounded: the rate limiter's leases and locks of past
windows are dropped when a new window starts, and the API keys' last-use table forgets old entries."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from shared.edge import api_keys, rate_limit
from shared.store.api_keys import ApiKeys


def test_leases_of_past_windows_are_dropped_when_a_window_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limit, "_leases", {})
    monkeypatch.setattr(rate_limit, "_locks", {})
    monkeypatch.setattr(rate_limit, "_newest_window", [0])
    for n in range(1000):
        key = (f"org-{n}", "org")
        rate_limit._lock(key, 100)
        rate_limit._leases[key] = rate_limit._Lease(100)
    busy = ("org-busy", "org")
    held = rate_limit._lock(busy, 100)
    rate_limit._leases[busy] = rate_limit._Lease(100)
    rate_limit._lock(("org-0", "org"), 101)  # the next window: the last one's leases still count
    assert len(rate_limit._leases) == 1001
    with held:
        rate_limit._lock(("org-new", "org"), 102)
    assert list(rate_limit._leases) == []
    assert set(rate_limit._locks) == {busy, ("org-new", "org")}, "a lock in use is kept"
    assert isinstance(held, type(threading.Lock()))


def test_the_last_use_table_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_keys, "_touched", {})
    monkeypatch.setattr(api_keys, "TOUCHED_ENTRIES", 100)
    written: list[str] = []

    def touch(self: Any, key_id: str, at: Any, timeout: float) -> None:
        written.append(key_id)

    monkeypatch.setattr(ApiKeys, "__init__", lambda self: None)
    monkeypatch.setattr(ApiKeys, "touch", touch)
    for n in range(250):
        api_keys._touch(SimpleNamespace(key_id=f"key{n}"))  # type: ignore[arg-type]
        assert len(api_keys._touched) <= 100
    api_keys._touch(SimpleNamespace(key_id="key249"))  # type: ignore[arg-type]
    assert len(written) == 250, "a key touched within the minute is not written again"


def test_the_expiring_cache_is_bounded_expires_and_keeps_a_cached_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared import caches

    now = [100.0]
    monkeypatch.setattr("shared.caches.time.monotonic", lambda: now[0])
    cache: caches.ExpiringCache[str, int | None] = caches.ExpiringCache(entries=2)
    cache.put("unknown", None, 5)
    cache.put("a", 1, 5)
    cache.put("never", 2, 0)  # no time: not kept
    assert cache.get("unknown") == (True, None) and cache.get("never") == (False, None)
    cache.put("b", 2, 5)  # three held: the least recently used ("a") goes
    assert cache.get("a") == (False, None) and cache.get("b") == (True, 2)
    now[0] += 5
    assert cache.get("b") == (False, None), "expired"
    cache.put("org-1/x", 1, 5)
    cache.put("org-2/x", 2, 5)
    cache.forget(lambda key: key.startswith("org-1/"))
    assert cache.get("org-1/x") == (False, None) and cache.get("org-2/x") == (True, 2)
