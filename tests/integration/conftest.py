"""Test harness: one Firestore emulator and one storage emulator per session (real, never mocks), the
local gateway on a free port, and a fresh org per test so tests never depend on each other.

Every project id the tests use is recorded; at the end of the session the emulator's indexUsage
report of each is checked against deploy/firestore.indexes.json.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.emulators import Emulators, index_usage
from devstack.stackenv import clear_service_settings

ROOT = Path(__file__).resolve().parents[2]
PROJECTS_USED: set[tuple[str, str]] = set()

TEST_ENV = {
    "EVENTS_JWT_ISSUER": "https://auth.test.novavms/",
    "EVENTS_JWT_AUDIENCE": "novavms-events-test",
    "EVENTS_JWT_DEV_SECRET": "test-secret-0123456789abcdef0123456789",
    "EVENTS_CURSOR_KEY": "test-cursor-key-0123456789abcdef",
    "EVENTS_MEDIA_BUCKET": "test-media",
    "EVENTS_EXPORT_BUCKET": "test-exports",
}


def reset_caches() -> None:
    """Forget settings read from the environment (tests that change it call this)."""
    from shared.config import settings

    settings.cache_clear()


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulators]:
    logs = tmp_path_factory.mktemp("emulator-logs")
    stack = Emulators.start(log_dir=logs, heap="-Xmx768m")
    saved = dict(os.environ)
    project = f"test-{uuid.uuid4().hex[:10]}"
    clear_service_settings()
    os.environ.update(stack.environment())
    os.environ.update(TEST_ENV, GOOGLE_CLOUD_PROJECT=project)
    from devstack.seed import ensure_buckets
    from devstack.tokens import write_signing_key

    os.environ["EVENTS_SIGNING_KEY_FILE"] = str(write_signing_key(logs / "signing-key.json", project))
    reset_caches()
    ensure_buckets()
    PROJECTS_USED.add((project, "(default)"))
    yield stack
    missing = _indexes_missing(stack)
    os.environ.clear()
    os.environ.update(saved)
    stack.stop()
    assert not missing, f"queries need indexes that deploy/firestore.indexes.json lacks: {missing}"


def _index_key(index: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    collection = str(index.get("collectionGroup") or index.get("name", "").split("/collectionGroups/")[-1])
    collection = collection.split("/")[0]
    fields = tuple((f["fieldPath"], f.get("order") or f.get("arrayConfig", "")) for f in index["fields"])
    return collection, fields


def declared_indexes() -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    declared = json.loads((ROOT / "deploy" / "firestore.indexes.json").read_text())["indexes"]
    return {_index_key(index) for index in declared}


def _indexes_missing(stack: Emulators) -> list[Any]:
    declared = declared_indexes()
    missing = []
    for project, database in sorted(PROJECTS_USED):
        for index in index_usage(stack.firestore_host, project, database):
            if _index_key(index) not in declared:
                missing.append(_index_key(index))
    return missing


@pytest.fixture(autouse=True)
def _fresh_settings(emulators: Emulators) -> Iterator[None]:
    """Each test starts from the session's environment; changes a test makes are undone after it."""
    saved = dict(os.environ)
    reset_caches()
    yield
    os.environ.clear()
    os.environ.update(saved)
    reset_caches()


@pytest.fixture(scope="session")
def gateway_url(emulators: Emulators) -> Iterator[str]:
    """The local gateway serving every function, on a free port."""
    from werkzeug.serving import make_server

    from devstack.gateway import Gateway

    server = make_server("127.0.0.1", 0, Gateway(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def org() -> str:
    """A fresh org id: the tenancy boundary, so each test has its own data."""
    return f"org-{uuid.uuid4().hex[:12]}"


Token = Callable[..., str]


@pytest.fixture
def token(org: str) -> Token:
    """``token(role, org=..., sites=[...], sub=..., ttl=..., **claims)``: a signed dev token."""
    from devstack.tokens import mint_token

    def make(
        role: str,
        *,
        org_id: str | None = None,
        sites: list[str] | None = None,
        sub: str | None = None,
        ttl: int = 600,
        **claims: Any,
    ) -> str:
        return mint_token(
            secret=TEST_ENV["EVENTS_JWT_DEV_SECRET"],
            issuer=TEST_ENV["EVENTS_JWT_ISSUER"],
            audience=TEST_ENV["EVENTS_JWT_AUDIENCE"],
            org_id=org_id or org,
            role=role,
            sub=sub,
            site_ids=sites,
            ttl=ttl,
            extra=claims,
        )

    return make


class Api:
    """A small HTTP client for the gateway: ``api.get(path, token, params=...)`` etc."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base + path, headers=headers, timeout=60, **kwargs)

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, token, **kwargs)

    def patch(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", path, token, **kwargs)

    def delete(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, token, **kwargs)


@pytest.fixture(scope="session")
def api(gateway_url: str) -> Api:
    return Api(gateway_url)


BASE_TIME = datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)
SITE_A = "11111111-1111-4111-8111-111111111111"
SITE_B = "22222222-2222-4222-8222-222222222222"
CAMERA_A = "550e8400-e29b-41d4-a716-446655440000"
CAMERA_B = "660e8400-e29b-41d4-a716-446655440000"


def event_line(n: int = 0, **fields: Any) -> dict[str, Any]:
    """An event in the loader's shape; ``n`` spaces events a minute apart back from BASE_TIME."""
    at = fields.pop("at", BASE_TIME - timedelta(minutes=n))
    line: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "camera_id": CAMERA_A,
        "camera_name": "Loading Dock East",
        "camera_deleted": False,
        "site_id": SITE_A,
        "trigger_type": "ai_tag",
        "triggered_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if isinstance(at, datetime) else at,
        "clip_start_at": "2026-04-21T13:45:12Z",
        "clip_end_at": "2026-04-21T13:45:42Z",
        "duration_sec": 30,
        "summary": "Person carrying package approaches dock door",
        "narrative": "A courier in an orange vest walked to the dock...",
        "tags": ["person", "package"],
        "ai_status": "completed",
        "clip_codec": "h264",
        "recording_source": "gateway_ring_buffer",
    }
    line.update(fields)
    return line


@pytest.fixture
def add_events(org: str) -> Callable[..., list[dict[str, Any]]]:
    """``add_events(lines, org_id=None)``: store events (loader shape) directly; returns the lines."""
    from shared.model.scope import Scope
    from shared.pipeline import parse_pipeline_event
    from shared.store.events import EventStore

    def add(lines: list[dict[str, Any]], org_id: str | None = None) -> list[dict[str, Any]]:
        EventStore(Scope(org_id or org)).upsert_pipeline(parse_pipeline_event(line) for line in lines)
        return lines

    return add
