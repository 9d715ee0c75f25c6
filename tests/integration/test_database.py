"""A tenant may have its own Firestore database (EVENTS_FIRESTORE_DATABASE)."""

from __future__ import annotations

import os
from typing import Any

from shared.config import settings
from tests.integration.conftest import PROJECTS_USED, Api, Token, event_line, reset_caches


def test_named_database_holds_its_own_events(api: Api, token: Token, add_events: Any) -> None:
    in_default = add_events([event_line(0)])
    os.environ["EVENTS_FIRESTORE_DATABASE"] = "tenant-db"
    reset_caches()
    PROJECTS_USED.add((str(settings().project), "tenant-db"))
    in_named = add_events([event_line(1), event_line(2)])
    admin = token("admin")
    listed = api.get("/api/v1/events", admin).json()
    assert [item["id"] for item in listed["data"]] == [line["id"] for line in in_named]
    assert listed["total"] == 2
    assert api.get(f"/api/v1/events/{in_default[0]['id']}", admin).status_code == 404
    assert api.get(f"/api/v1/events/{in_named[0]['id']}", admin).json()["next_event_id"] == in_named[1]["id"]
    os.environ.pop("EVENTS_FIRESTORE_DATABASE")
    reset_caches()
    back = api.get("/api/v1/events", admin).json()
    assert [item["id"] for item in back["data"]] == [in_default[0]["id"]]
