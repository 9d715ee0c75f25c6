"""GET /api/v1/events: filters, order, paging, totals, cursors and validation, through the gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import BASE_TIME, CAMERA_A, CAMERA_B, SITE_A, SITE_B, Api, Token, event_line


def ids(response: Any) -> list[str]:
    return [item["id"] for item in response.json()["data"]]


def listed_ids(api: Api, bearer: str, **params: str) -> list[str]:
    """The ids one page lists (at most 100, all of them in these tests: total must agree)."""
    answer = api.get("/api/v1/events", bearer, params={"limit": "100", **params})
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"] == len(answer.json()["data"])
    return ids(answer)


def test_list_returns_newest_first_with_contract_shape(api: Api, token: Token, add_events: Any) -> None:
    lines = add_events([event_line(n) for n in range(3)])
    answer = api.get("/api/v1/events", token("viewer", sites=[lines[0]["site_id"]]))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert ids(answer) == [line["id"] for line in lines]
    assert body["total"] == 3 and body["next_cursor"] is None
    first = body["data"][0]
    assert set(first) == {
        "id", "camera_id", "camera_name", "camera_deleted", "trigger_type", "triggered_at", "summary",
        "tags", "ai_status", "acknowledged", "starred", "snapshot_url",
    }  # fmt: skip
    assert first["triggered_at"] == "2026-04-21T13:45:22Z"
    assert first["camera_id"] == CAMERA_A and first["snapshot_url"] is None


def test_each_filter_and_their_combination(api: Api, token: Token, add_events: Any) -> None:
    lines = add_events(
        [
            event_line(0, trigger_type="motion", ai_status="pending"),
            event_line(1, camera_id=CAMERA_B, site_id=SITE_B),
            event_line(2, trigger_type="manual", ai_status="skipped", site_id=SITE_B),
            event_line(3, ai_status="failed"),
            event_line(4, camera_id=CAMERA_B, trigger_type="motion", site_id=SITE_B),
        ]
    )
    admin = token("admin")

    def listed(**params: str) -> list[str]:
        return listed_ids(api, admin, **params)

    every = [line["id"] for line in lines]
    assert listed() == every
    assert listed(camera_id=CAMERA_B) == [every[1], every[4]]
    assert listed(camera_id=CAMERA_B.upper()) == [every[1], every[4]]
    assert listed(site_id=SITE_B) == [every[1], every[2], every[4]]
    assert listed(trigger_type="motion") == [every[0], every[4]]
    assert listed(ai_status="failed") == [every[3]]
    assert listed(site_id=SITE_B, trigger_type="motion", camera_id=CAMERA_B) == [every[4]]
    assert listed(trigger_type="ai_tag", ai_status="completed", site_id=SITE_A) == []


def test_starred_true_filters_and_false_does_not(api: Api, token: Token, add_events: Any) -> None:
    lines = add_events([event_line(0), event_line(1, starred=True), event_line(2)])
    admin = token("admin")
    starred = api.get("/api/v1/events", admin, params={"starred": "true"})
    assert ids(starred) == [lines[1]["id"]] and starred.json()["total"] == 1
    unfiltered = api.get("/api/v1/events", admin, params={"starred": "false"})
    assert ids(unfiltered) == [line["id"] for line in lines] and unfiltered.json()["total"] == 3


def test_date_bounds_are_inclusive_and_normalised_to_utc(api: Api, token: Token, add_events: Any) -> None:
    day = datetime(2026, 4, 20, tzinfo=UTC)
    lines = add_events(
        [
            event_line(at=day + timedelta(days=1)),  # 21st 00:00:00 -> outside the 20th
            event_line(at=day + timedelta(days=1) - timedelta(microseconds=1)),  # 20th 23:59:59.999999
            event_line(at=day + timedelta(hours=12)),
            event_line(at=day),  # 20th 00:00:00
            event_line(at=day - timedelta(microseconds=1)),  # 19th, last microsecond
        ]
    )
    admin = token("admin")

    def listed(**params: str) -> list[str]:
        return listed_ids(api, admin, **params)

    every = [line["id"] for line in lines]
    assert listed(date_from="2026-04-20", date_to="2026-04-20") == every[1:4]
    assert listed(date_from="2026-04-20T00:00:00Z") == every[:4]
    assert listed(date_to="2026-04-20T12:00:00Z") == every[2:]
    # 14:00 at +02:00 is 12:00 UTC, an inclusive bound on both sides
    assert listed(date_from="2026-04-20T14:00:00+02:00", date_to="2026-04-20T14:00:00+02:00") == [every[2]]
    assert listed(date_from="2026-04-19T21:00:00-03:00", date_to="2026-04-20T23:59:59.999999Z") == every[1:4]


def pages(api: Api, bearer: str, limit: int, **params: str) -> list[dict[str, Any]]:
    """Every page of a listing, following next_cursor."""
    found: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": limit, **params}
    while True:
        answer = api.get("/api/v1/events", bearer, params=query)
        assert answer.status_code == 200, answer.text
        found.append(answer.json())
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return found
        assert answer.json()["data"], "a cursor must never lead to an empty page"
        query["cursor"] = cursor


def test_paging_250_events_with_one_timestamp(api: Api, token: Token, add_events: Any) -> None:
    lines = add_events([event_line(at=BASE_TIME) for _ in range(250)])
    found = pages(api, token("operator"), 100)
    assert [len(page["data"]) for page in found] == [100, 100, 50]
    assert all(page["total"] == 250 for page in found)
    listed = [item["id"] for page in found for item in page["data"]]
    assert listed == sorted((line["id"] for line in lines), reverse=True)


def test_no_cursor_to_an_empty_page_and_limit_may_change(api: Api, token: Token, add_events: Any) -> None:
    add_events([event_line(n) for n in range(40)])
    admin = token("admin")
    first = api.get("/api/v1/events", admin, params={"limit": 20}).json()
    assert first["next_cursor"] is not None and len(first["data"]) == 20
    second = api.get("/api/v1/events", admin, params={"limit": 30, "cursor": first["next_cursor"]}).json()
    assert len(second["data"]) == 20 and second["next_cursor"] is None
    default = api.get("/api/v1/events", admin).json()
    assert len(default["data"]) == 20
    exact = api.get("/api/v1/events", admin, params={"limit": 40}).json()
    assert len(exact["data"]) == 40 and exact["next_cursor"] is None


def test_paging_is_stable_while_new_events_arrive(api: Api, token: Token, add_events: Any) -> None:
    older = add_events([event_line(at=BASE_TIME) for _ in range(30)])
    admin = token("admin")
    first = api.get("/api/v1/events", admin, params={"limit": 10}).json()
    add_events([event_line(at=BASE_TIME + timedelta(seconds=1)) for _ in range(5)])
    add_events([event_line(at=BASE_TIME) for _ in range(3)])  # same timestamp, ids anywhere
    rest = pages(api, admin, 10, cursor=first["next_cursor"])
    seen = [item["id"] for item in first["data"]] + [item["id"] for page in rest for item in page["data"]]
    assert len(seen) == len(set(seen)), "no event may appear twice"
    assert set(line["id"] for line in older) <= set(seen), "no older event may be skipped"
    ordered = sorted(seen, reverse=True)
    assert seen == ordered


def test_deleted_events_are_not_listed_or_counted(api: Api, token: Token, add_events: Any) -> None:
    lines = add_events([event_line(n) for n in range(3)])
    admin = token("admin")
    assert api.delete(f"/api/v1/events/{lines[1]['id']}", admin).status_code == 204
    body = api.get("/api/v1/events", admin).json()
    assert [item["id"] for item in body["data"]] == [lines[0]["id"], lines[2]["id"]]
    assert body["total"] == 2


def test_cursor_is_bound_to_org_and_filters(api: Api, token: Token, add_events: Any, org: str) -> None:
    add_events([event_line(n) for n in range(5)])
    add_events([event_line(n) for n in range(5)], org_id=f"{org}-other")
    admin = token("admin")
    cursor = api.get("/api/v1/events", admin, params={"limit": 2}).json()["next_cursor"]
    assert cursor
    payload, signature = cursor.split(".")
    forged = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB") + "." + signature
    attempts = [
        (admin, {"cursor": forged}),
        (admin, {"cursor": cursor[:-3]}),
        (admin, {"cursor": "not-a-cursor"}),
        (admin, {"cursor": cursor, "trigger_type": "motion"}),
        (admin, {"cursor": cursor, "starred": "true"}),
        (token("admin", org_id=f"{org}-other"), {"cursor": cursor}),
    ]
    for bearer, params in attempts:
        answer = api.get("/api/v1/events", bearer, params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()["error"] == "validation_error" and "cursor" in answer.json()["fields"]
    # starred=false is no filter, so the cursor of the unfiltered list still fits
    assert api.get("/api/v1/events", admin, params={"cursor": cursor, "starred": "false"}).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"camera_id": "not-a-uuid"}, "camera_id"),
        ({"site_id": "1234"}, "site_id"),
        ({"trigger_type": "smoke"}, "trigger_type"),
        ({"ai_status": "done"}, "ai_status"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_to": "2026-02-30"}, "date_to"),
        ({"date_from": "2026-04-21T13:45:22"}, "date_from"),
        ({"date_from": "2026-04-22", "date_to": "2026-04-21"}, "date_from"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"starred": "yes"}, "starred"),
        ({"cursor": ""}, "cursor"),
        ([("trigger_type", "motion"), ("trigger_type", "manual")], "trigger_type"),
    ],
)
def test_each_validation_error(api: Api, token: Token, params: Any, field: str) -> None:
    answer = api.get("/api/v1/events", token("viewer", sites=[SITE_A]), params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == "validation_error" and field in body["fields"] and body["message"]


def test_limit_bounds_are_accepted(api: Api, token: Token, add_events: Any) -> None:
    add_events([event_line(n) for n in range(3)])
    admin = token("admin")
    assert len(api.get("/api/v1/events", admin, params={"limit": "1"}).json()["data"]) == 1
    assert api.get("/api/v1/events", admin, params={"limit": "100"}).status_code == 200
