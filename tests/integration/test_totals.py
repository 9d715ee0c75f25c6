"""``total`` costs a count once per traversal: the first page counts (up to the cap, then
``total_exact`` is false), its cursor carries the total to the pages after it, and repeated first
pages reuse an instance's count for a few seconds, never across orgs, filters or viewer scopes, and
never after a write made through the same instance."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any

import requests

from shared.model.scope import Scope
from shared.pipeline import parse_pipeline_event
from shared.store.events import EventStore
from shared.store.meter import STORE_COST_HEADER, parse_header
from tests.integration.conftest import SITE_A, SITE_B, Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]


def listed(api: Api, bearer: str, **params: Any) -> tuple[dict[str, Any], dict[str, int]]:
    answer = api.get(EVENTS, bearer, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json(), parse_header(answer.headers[STORE_COST_HEADER])["events"]


def write_behind_the_cache(org: str, lines: list[dict[str, Any]]) -> None:
    """Store events with a client of its own, as another instance would: this instance's cached
    counts do not hear of it."""
    store = EventStore(Scope(org))
    for line in lines:
        event_id, pipeline, operator = parse_pipeline_event(line)
        store.events.document(event_id).set({**pipeline, **operator})


def test_the_first_page_counts_and_later_pages_carry_its_total(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    add_events([event_line(n) for n in range(25)])
    viewer = token("viewer", sites=[SITE_A])
    first, cost = listed(api, viewer, limit=10)
    assert (first["total"], first["total_exact"]) == (25, True) and cost["counted"] == 25
    write_behind_the_cache(org, [event_line(100 + n) for n in range(5)])  # older: at the end
    second, cost = listed(api, viewer, limit=10, cursor=first["next_cursor"])
    third, _ = listed(api, viewer, limit=10, cursor=second["next_cursor"])
    assert second["total"] == third["total"] == 25, "the total at the time of the first page"
    assert cost == {"rpcs": 1, "documents": 11, "counted": 0, "billed": 11, "writes": 0}
    assert len(third["data"]) == 10, "the pages themselves are live: the 5 left and the 5 written since"


def test_a_cursor_with_a_changed_total_is_refused(api: Api, token: Token, add_events: AddEvents) -> None:
    add_events([event_line(n) for n in range(3)])
    operator = token("operator")
    first, _ = listed(api, operator, limit=1)
    payload, signature = first["next_cursor"].split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data["n"] == 3 and data["x"] == 1
    data["n"] = 1_000_000
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    refused = api.get(EVENTS, operator, params={"limit": 1, "cursor": f"{forged}.{signature}"})
    assert refused.status_code == 400 and "cursor" in refused.json()["fields"]


def test_repeated_first_pages_reuse_a_count_only_for_the_same_org_filter_and_scope(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    add_events([event_line(n, site_id=SITE_A if n % 2 else SITE_B, trigger_type="ai_tag") for n in range(10)])
    add_events([event_line(n) for n in range(4)], org_id=f"{org}-b")
    operator, other_org = token("operator"), token("operator", org_id=f"{org}-b")
    assert listed(api, operator)[0]["total"] == 10
    assert listed(api, token("viewer", sites=[SITE_A]))[0]["total"] == 5
    write_behind_the_cache(org, [event_line(50, site_id=SITE_A, trigger_type="motion")])
    again, cost = listed(api, operator)
    assert again["total"] == 10 and cost["rpcs"] == 1, (
        "the same first page within seconds: this instance's count"
    )
    assert listed(api, other_org)[0]["total"] == 4, "never another org's"
    assert listed(api, operator, trigger_type="motion")[0]["total"] == 1, "never another filter's"
    assert listed(api, token("viewer", sites=[SITE_A]))[0]["total"] == 5, "the viewer's own (cached) count"
    assert listed(api, token("viewer", sites=[SITE_A, SITE_B]))[0]["total"] == 11, "never another scope's"
    os.environ["EVENTS_COUNT_CACHE_SECONDS"] = "0"
    reset_caches()
    assert listed(api, operator)[0]["total"] == 11, "without the cache every first page counts"


def test_a_write_through_this_instance_shows_in_the_next_first_page(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n) for n in range(6)])
    operator = token("operator")
    assert listed(api, operator, acknowledged="false")[0]["total"] == 6
    answer = api.patch(f"{EVENTS}/{lines[0]['id']}", operator, json={"acknowledged": True})
    assert answer.status_code == 200
    assert listed(api, operator, acknowledged="false")[0]["total"] == 5
    assert requests.codes.ok == api.delete(f"{EVENTS}/{lines[1]['id']}", token("admin")).status_code - 4
    assert listed(api, operator, acknowledged="false")[0]["total"] == 4


def test_above_the_cap_the_total_is_the_cap_and_not_exact(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    add_events([event_line(n) for n in range(8)])
    os.environ["EVENTS_COUNT_CAP"] = "5"
    reset_caches()
    operator = token("operator")
    first, cost = listed(api, operator, limit=3)
    assert (first["total"], first["total_exact"]) == (5, False)
    assert cost["counted"] == 6, "the count stops one past the cap"
    second, _ = listed(api, operator, limit=3, cursor=first["next_cursor"])
    assert (second["total"], second["total_exact"]) == (5, False)
    exact, _ = listed(
        api, operator, limit=3, trigger_type="ai_tag", camera_id=event_line()["camera_id"], starred="true"
    )
    assert (exact["total"], exact["total_exact"]) == (0, True)
