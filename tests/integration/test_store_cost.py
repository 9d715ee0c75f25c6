"""What a request costs the store, read from the ``X-Store-Cost`` header the test stack turns on: a
list page reads its N+1 documents with one query and one count per chunk of sites, issued together;
a GET reads the event and one neighbour each way; the limiter's and keys' lookups are apart."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import requests

from shared.store.meter import STORE_COST_HEADER, parse_header
from tests.integration.conftest import Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]


def cost(answer: requests.Response) -> dict[str, dict[str, int]]:
    assert answer.status_code == 200, answer.text
    return parse_header(answer.headers[STORE_COST_HEADER])


def test_a_list_page_reads_n_plus_one_documents_with_one_query_and_one_count(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    add_events([event_line(n) for n in range(50)])
    operator = token("operator")
    first = api.get(EVENTS, operator, params={"limit": 20})
    assert cost(first)["events"] == {"rpcs": 2, "documents": 21, "counted": 50, "billed": 22}
    assert cost(first)["rate_limit"]["rpcs"] >= 0  # the limiter's own calls are reported apart
    last = api.get(EVENTS, operator, params={"limit": 20, "cursor": first.json()["next_cursor"]})
    second = api.get(EVENTS, operator, params={"limit": 20, "cursor": last.json()["next_cursor"]})
    # Later pages carry the first page's total in their cursor: no count, only the page query.
    assert cost(second)["events"] == {"rpcs": 1, "documents": 10, "counted": 0, "billed": 10}
    filtered = api.get(EVENTS, operator, params={"limit": 100, "trigger_type": "motion"})
    assert cost(filtered)["events"] == {"rpcs": 2, "documents": 0, "counted": 0, "billed": 2}


def test_a_get_reads_the_event_and_one_neighbour_each_way(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n) for n in range(5)])
    answer = api.get(f"{EVENTS}/{lines[2]['id']}", token("viewer", sites=[lines[2]["site_id"]]))
    body = answer.json()
    assert (body["prev_event_id"], body["next_event_id"]) == (lines[1]["id"], lines[3]["id"])
    assert cost(answer)["events"] == {"rpcs": 3, "documents": 3, "counted": 0, "billed": 3}


def test_a_viewer_of_45_sites_costs_one_query_and_one_count_per_chunk(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    sites = [str(uuid.uuid4()) for _ in range(45)]
    add_events([event_line(n, site_id=sites[n % 45]) for n in range(90)])
    viewer = token("viewer", sites=sites)
    answer = api.get(EVENTS, viewer, params={"limit": 20})
    assert answer.json()["total"] == 90 and len(answer.json()["data"]) == 20
    events = cost(answer)["events"]
    assert (
        events["rpcs"] == 4 and events["counted"] == 90
    )  # two chunks (30 + 15 sites), each read and counted
    assert events["documents"] == 2 * 21  # each chunk's query reads up to N+1 (it cannot know the split)
    detail = api.get(f"{EVENTS}/{answer.json()['data'][5]['id']}", viewer)
    assert cost(detail)["events"]["rpcs"] == 1 + 2 * 2  # the event, then both neighbour reads per chunk


def test_the_header_is_off_unless_configured(api: Api, token: Token) -> None:
    os.environ["EVENTS_STORE_COST_HEADER"] = "false"
    reset_caches()
    answer = api.get(EVENTS, token("viewer", sites=[event_line()["site_id"]]))
    assert answer.status_code == 200 and STORE_COST_HEADER not in answer.headers
