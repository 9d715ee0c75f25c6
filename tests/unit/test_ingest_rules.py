"""The ingest API's rules without a store: the upload prefix, an event's validation (the loader's
rules plus the prefix and the path's id), a batch's body and caps, each event's reported status
(duplicates superseded), what a request costs the ingest budget, the answer an idempotency record
keeps, and which steps run before the role check on which route."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import flask
import pytest

from devstack.factories import event_line
from shared.api.ingest import (
    MAX_EVENTS,
    MAX_STORED_ANSWER,
    Entry,
    batch_result,
    ingest_event,
    parse_batch,
    parse_put,
    stored_answer,
    stored_outcome,
    valid_records,
)
from shared.edge.endpoint import Context, _before_role, check_json_body
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import cost_of, rate_limit
from shared.edge.routes import MAX_BODY_BYTES, route_of
from shared.errors import PayloadTooLarge, ValidationError
from shared.media import under_upload_prefix, upload_prefix

EVENT_ID = "c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def test_the_upload_prefix_and_what_lies_under_it() -> None:
    prefix = upload_prefix(EVENT_ID)
    assert prefix == f"uploads/{EVENT_ID}/"
    assert under_upload_prefix(f"{prefix}3b1f0c2a.jpg", EVENT_ID)
    assert under_upload_prefix(f"{prefix}a/b.mp4", EVENT_ID)
    for name in (
        prefix,
        f"{prefix}../x.jpg",
        f"{prefix}./x.jpg",
        f"{prefix}a//b",
        f"uploads/{uuid.uuid4()}/x.jpg",
        f"media/{EVENT_ID}/x.jpg",
        f"uploads/{EVENT_ID}x.jpg",
    ):
        assert not under_upload_prefix(name, EVENT_ID), name


def test_an_event_by_the_loaders_rules_and_the_upload_prefix() -> None:
    line = event_line(0)
    line["snapshot_object"] = f"{upload_prefix(line['id'])}snap.jpg"
    event_id, pipeline, operator = ingest_event(line)
    assert event_id == line["id"] and pipeline["snapshot_object"] == line["snapshot_object"]
    assert operator["deleted"] is False
    with pytest.raises(ValidationError) as refused:
        ingest_event({**line, "clip_object": "media/clip.mp4", "snapshot_url": "x", "camera_id": "no"})
    assert set(refused.value.fields) == {"clip_object", "snapshot_url", "camera_id"}
    with pytest.raises(ValidationError) as not_object:
        ingest_event([line])
    assert not_object.value.fields == {"event": "an event must be a JSON object"}


def test_a_put_takes_the_paths_id_or_the_same_one() -> None:
    line = event_line(0)
    event_id = line.pop("id")
    assert parse_put(line, event_id.upper())[0] == event_id
    assert parse_put({**line, "id": event_id.upper()}, event_id)[0] == event_id
    with pytest.raises(ValidationError) as refused:
        parse_put({**line, "id": str(uuid.uuid4())}, event_id)
    assert list(refused.value.fields) == ["id"]


def test_a_batch_body_and_its_caps() -> None:
    with pytest.raises(ValidationError) as empty:
        parse_batch({"events": []})
    assert list(empty.value.fields) == ["events"]
    with pytest.raises(ValidationError) as unknown:
        parse_batch({"events": [event_line(0)], "dry_run": True})
    assert list(unknown.value.fields) == ["dry_run"]
    with pytest.raises(ValidationError):
        parse_batch({"events": {"0": event_line(0)}})
    with pytest.raises(PayloadTooLarge):
        parse_batch({"events": [event_line(n) for n in range(MAX_EVENTS + 1)]})
    assert len(parse_batch({"events": [event_line(n) for n in range(MAX_EVENTS)]})) == MAX_EVENTS


def test_each_event_is_reported_in_input_order_and_duplicates_are_superseded() -> None:
    first, second = event_line(0), event_line(1)
    entries = parse_batch(
        {"events": [first, {**second, "tags": "x"}, {**first, "summary": "again"}, 7, {**second, "id": 5}]}
    )
    assert [entry.id for entry in entries] == [first["id"], second["id"], first["id"], None, None]
    assert [record[1]["summary"] for record in valid_records(entries)] == [first["summary"], "again"]
    result = batch_result(entries, {first["id"]: "changed"})
    assert result["results"] == [
        {"id": first["id"], "status": "superseded", "superseded_by": 2},
        {"id": second["id"], "status": "invalid", "errors": {"tags": "must be a list of non-empty strings"}},
        {"id": first["id"], "status": "updated"},
        {"id": None, "status": "invalid", "errors": {"event": "an event must be a JSON object"}, "index": 3},
        {"id": None, "status": "invalid", "errors": {"id": "required, a uuid"}, "index": 4},
    ]
    assert {k: result[k] for k in ("created", "updated", "unchanged", "invalid", "superseded")} == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "invalid": 3,
        "superseded": 1,
    }


def test_the_kept_answer_round_trips_and_a_huge_one_is_not_kept() -> None:
    result = batch_result([Entry(0, None, errors={"": "unknown field", "\u00e5": "unknown field"})], {})
    outcome = stored_outcome(result)
    assert outcome is not None and outcome["kind"] == "batch"
    assert stored_answer(outcome) == result
    noise = {secrets.token_urlsafe(64): "unknown field" for _ in range(30_000)}  # barely compressible
    huge = batch_result([Entry(0, None, errors=noise)], {})
    assert stored_outcome(huge) is None and MAX_STORED_ANSWER < 1024 * 1024


def _context(function: str, body: bytes) -> Context:
    app = flask.Flask(__name__)
    with app.test_request_context(method="POST", data=body, content_type="application/json"):
        request = flask.request._get_current_object()  # type: ignore[attr-defined]
        request.get_data()  # read while the request context is open
        return Context(request, route_of(function), "req-0123456789")


@pytest.mark.parametrize(
    ("function", "body", "cost"),
    [
        ("ingest_events", b'{"events": [{}, {}, {}]}', 3),
        ("ingest_events", b'{"events": []}', 1),  # refused (400): costs what any request does
        ("ingest_events", b"not json", 1),
        ("ingest_events", b'{"events": [' + b",".join([b"{}"] * (MAX_EVENTS + 1)) + b"]}", 1),
        ("upsert_event", b'{"camera_id": "x"}', 1),  # a PUT is one event
        ("update_event", b'{"events": [{}, {}]}', 1),  # the API's routes: 1 request each
    ],
)
def test_what_a_request_costs_its_budget(function: str, body: bytes, cost: int) -> None:
    assert cost_of(_context(function, body)) == cost


def test_the_api_budget_counts_before_the_role_check_and_the_ingest_budget_after_the_body_check() -> None:
    assert _before_role(rate_limit, route_of("update_event"))
    assert not _before_role(rate_limit, route_of("ingest_events"))
    assert not _before_role(rate_limit, route_of("upsert_event"))
    assert not _before_role(idempotent(lambda context, outcome: flask.Response()), route_of("update_event"))


def test_a_body_is_checked_against_the_routes_limit() -> None:
    app = flask.Flask(__name__)
    body: Any = b"x" * (MAX_BODY_BYTES + 1)
    with app.test_request_context(method="POST", data=body, content_type="application/json"):
        with pytest.raises(PayloadTooLarge):
            check_json_body(flask.request, route_of("update_event").max_body_bytes)
        check_json_body(flask.request, route_of("ingest_events").max_body_bytes)  # 10 MiB: taken
        assert flask.request.max_content_length == route_of("ingest_events").max_body_bytes
