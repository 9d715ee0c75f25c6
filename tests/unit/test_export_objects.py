"""Export objects' names and metadata (shared/exports/objects.py), the one place every export gets
them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from shared.exports.objects import on_demand_export, scheduled_export
from shared.model.filter import EventFilter

AT = datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)
DAY = EventFilter(
    date_from=datetime(2026, 4, 21, tzinfo=UTC), date_to=datetime(2026, 4, 21, 23, 59, 59, tzinfo=UTC)
)


def test_an_on_demand_export_is_a_new_object_named_by_org_and_time() -> None:
    first = on_demand_export("org-1", "user:alice", request_id="r-1", query="trigger_type=motion", at=AT)
    again = on_demand_export("org-1", "user:alice", request_id="r-1", query="trigger_type=motion", at=AT)
    assert re.fullmatch(r"exports/org-1/events-org-1-20260421T134522Z-[0-9a-f]{8}\.csv", first.name), first
    assert first.name != again.name, "two exports never share an object"
    assert first.filename == "events-org-1-20260421T134522Z.csv"
    assert first.metadata == {
        "org_id": "org-1",
        "requested_by": "user:alice",
        "request_id": "r-1",
        "query": "trigger_type=motion",
    }


def test_an_export_without_a_request_says_only_whose_and_by_whom() -> None:
    assert on_demand_export("org-1", "cli", at=AT).metadata == {"org_id": "org-1", "requested_by": "cli"}


def test_a_scheduled_export_is_named_by_org_period_and_filters() -> None:
    plain = scheduled_export("org-1", DAY, "service:scheduler", "r-2")
    assert plain.name == "exports/org-1/scheduled/events-org-1-20260421T000000Z_20260421T235959Z.csv"
    assert plain.filename == plain.name.rsplit("/", 1)[1]
    assert plain.metadata == {"org_id": "org-1", "requested_by": "service:scheduler", "request_id": "r-2"}
    assert scheduled_export("org-1", DAY, "someone else").name == plain.name, "the same job replaces it"
    motion = EventFilter(**{**vars(DAY), "trigger_type": "motion", "starred": True})
    assert scheduled_export("org-1", motion, "s").name.endswith("Z-trigger_type=motion,starred=true.csv")


def test_a_scheduled_export_needs_its_period() -> None:
    with pytest.raises(ValueError, match="both date bounds"):
        scheduled_export("org-1", EventFilter(date_from=AT), "s")
