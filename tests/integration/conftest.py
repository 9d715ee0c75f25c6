"""Test harness: one Firestore emulator and one storage emulator per session (real, never mocks), the
local gateway on a free port, and a fresh org per test (``org`` and ``token`` are in
``tests/conftest.py``, shared with the unit layer) so tests never depend on each other.

Every project id the tests use is recorded; at the end of the session each index the emulator's
indexUsage report of each names must be served by deploy/firestore.indexes.json, whole or merged
(the rule of :func:`shared.store.indexes.served`).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.emulators import Emulators, index_usage
from devstack.factories import BASE_TIME, CAMERA_A, CAMERA_B, SITE_A, SITE_B, event_line
from devstack.harness import isolated_stack
from shared.store.indexes import Index, parse_indexes, reported_served
from tests.conftest import TEST_ENV, Token, reset_caches
from tests.contract import check_response

__all__ = [  # what the test modules import from here
    "BASE_TIME", "CAMERA_A", "CAMERA_B", "PROJECTS_USED", "ROOT", "SITE_A", "SITE_B", "TEST_ENV",
    "Api", "Token", "event_line", "reset_caches",
]  # fmt: skip

ROOT = Path(__file__).resolve().parents[2]
PROJECTS_USED: set[tuple[str, str]] = set()


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulators]:
    """This worker's emulators, under :data:`TEST_ENV` and a fresh project (see
    :func:`devstack.harness.isolated_stack`)."""
    logs = tmp_path_factory.mktemp("emulator-logs")
    with isolated_stack("test", logs, heap="-Xmx768m") as stack:
        # The CLI run by tests uses this session's settings, never a local stack it might find.
        os.environ["NOVAVMS_DEVSTACK_DIR"] = str(logs / "no-devstack")
        PROJECTS_USED.add((stack.project, "(default)"))
        yield stack.emulators
        missing = _indexes_missing(stack.emulators)
    assert not missing, f"queries need indexes that deploy/firestore.indexes.json lacks: {missing}"


def _index_key(index: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    collection = str(index.get("collectionGroup") or index.get("name", "").split("/collectionGroups/")[-1])
    collection = collection.split("/")[0]
    fields = tuple((f["fieldPath"], f.get("order") or f.get("arrayConfig", "")) for f in index["fields"])
    return collection, fields


def declared_indexes() -> list[Index]:
    """The composite indexes deploy/firestore.indexes.json declares."""
    declared = json.loads((ROOT / "deploy" / "firestore.indexes.json").read_text())["indexes"]
    return parse_indexes(declared)


def _indexes_missing(stack: Emulators) -> list[Any]:
    """The indexes the tests' queries used that the declared file serves neither whole nor merged."""
    declared = declared_indexes()
    missing = []
    for project, database in sorted(PROJECTS_USED):
        for index in index_usage(stack.firestore_host, project, database):
            if not reported_served(index, declared):
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
    from devstack.gateway import gateway_server

    server = gateway_server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class Api:
    """A small HTTP client for the gateway: ``api.get(path, token, params=...)`` etc."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.session.request(method, self.base + path, headers=headers, timeout=60, **kwargs)
        check_response(response)  # every answer the tests see is held to shared/openapi.json
        return response

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, token, **kwargs)

    def patch(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", path, token, **kwargs)

    def delete(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, token, **kwargs)

    def post(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, token, **kwargs)

    def feed_after(self, token: str, cursor: str | None = None) -> list[dict[str, Any]]:
        """Every change ``GET /api/v1/events/changes`` shows ``token`` after ``cursor`` (from the start
        of the log without one), page by page until a page is empty."""
        changes: list[dict[str, Any]] = []
        while True:
            answer = self.get("/api/v1/events/changes", token, params={"cursor": cursor} if cursor else {})
            assert answer.status_code == 200, answer.text
            body = answer.json()
            if not body["data"]:
                return changes
            changes += body["data"]
            cursor = body["next_cursor"]


@pytest.fixture(scope="session")
def api(gateway_url: str) -> Api:
    return Api(gateway_url)


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
