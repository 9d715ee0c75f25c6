"""The rules of the webhook operations that need no store: the replay, rotation and delivery-log
bodies and queries, the delivery shape, the two signatures of a rotation's grace, an endpoint's
previous secret, which endpoints receive a non-event change, and the catalogue's schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from standardwebhooks import Webhook

from shared.errors import ValidationError
from shared.store.changes import ENDPOINT_DISABLED, TYPES
from shared.store.webhooks import ENABLED, Endpoint
from shared.webhooks import signing
from shared.webhooks.catalogue import catalogue
from shared.webhooks.endpoints import changed
from shared.webhooks.operations import (
    delivery_state,
    delivery_view,
    parse_delivery_query,
    parse_replay,
    parse_rotation,
)

NOW = datetime(2026, 4, 21, 12, 0, tzinfo=UTC)


def _problems(call: Any, *args: Any) -> set[str]:
    with pytest.raises(ValidationError) as raised:
        call(*args)
    return set(raised.value.fields)


def test_a_replay_takes_a_range_within_the_retention() -> None:
    asked = parse_replay(b'{"since": "2026-04-20T12:00:00Z", "types": ["event.created"]}', NOW)
    assert (asked.since, asked.until, asked.types) == (NOW - timedelta(days=1), None, ("event.created",))
    same = parse_replay(b'{"since": "2026-04-20T12:00:00Z", "until": "2026-04-20T12:00:00Z"}', NOW)
    assert same.until == same.since
    assert _problems(parse_replay, b'{"since": "2026-04-13T11:59:59Z"}', NOW) == {"since"}  # 7 days + 1 s
    assert _problems(parse_replay, b'{"since": "2026-04-21T12:00:01Z"}', NOW) == {"since"}  # the future
    assert _problems(parse_replay, b"{}", NOW) == {"since"}
    assert _problems(parse_replay, b'{"since": 5}', NOW) == {"since"}
    bad = b'{"since": "2026-04-21T11:00:00Z", "until": "2026-04-21T10:00:00Z", "types": [{}], "x": 1}'
    assert _problems(parse_replay, bad, NOW) == {"until", "types", "x"}
    assert _problems(parse_replay, b'{"since": ', NOW) == {"body"}


def test_a_rotation_takes_a_grace_of_0_to_7_days() -> None:
    assert parse_rotation(b"") == 86_400
    assert parse_rotation(b"{}") == 86_400
    assert parse_rotation(b'{"grace_seconds": 0}') == 0
    assert parse_rotation(b'{"grace_seconds": 604800}') == 604_800
    for body in (b'{"grace_seconds": 604801}', b'{"grace_seconds": -1}', b'{"grace_seconds": 1.5}'):
        assert _problems(parse_rotation, body) == {"grace_seconds"}
    assert _problems(parse_rotation, b'{"grace_seconds": true, "x": 1}') == {"grace_seconds", "x"}


def test_the_delivery_log_query() -> None:
    query = parse_delivery_query({"status": ["retrying"], "limit": ["5"]})
    assert (query.cursor, query.limit, query.status) == (None, 5, "retrying")
    assert parse_delivery_query({}).limit == 20
    assert _problems(parse_delivery_query, {"status": ["lost"], "limit": ["101"], "x": ["1"]}) == {
        "status",
        "limit",
        "x",
    }


def test_a_delivery_as_the_api_shows_it() -> None:
    attempt = {"at": NOW, "status_code": 500, "error": "HTTP 500", "duration_ms": 3, "response_body": "no"}
    stored = {
        "endpoint_id": "ep_1",
        "message_id": "m1",
        "type": "event.created",
        "status": "pending",
        "attempts": [attempt],
        "next_attempt_at": NOW,
        "created_at": NOW,
        "body": "{}",
        "lease": None,
    }
    view = delivery_view("d1", stored)
    assert view["status"] == "retrying" and view["next_attempt_at"] == "2026-04-21T12:00:00Z"
    assert set(view) == {
        "id", "endpoint_id", "message_id", "type", "status", "attempts", "next_attempt_at", "created_at",
    }  # fmt: skip
    assert view["attempts"] == [{**attempt, "at": "2026-04-21T12:00:00Z"}]
    assert delivery_state({**stored, "attempts": []}) == "pending"
    assert delivery_state({**stored, "state": "succeeded"}) == "succeeded"
    assert delivery_view("d1", {**stored, "state": "failed"})["next_attempt_at"] is None


def test_during_a_grace_both_secrets_sign_and_each_verifies_alone() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    body = b'{"type":"webhook.test"}'
    headers = signing.headers([new, old], "msg_1", int(NOW.timestamp()), body)
    assert headers["webhook-signature"] == " ".join(
        signing.signature(secret, "msg_1", int(NOW.timestamp()), body) for secret in (new, old)
    )
    fresh = signing.headers([new, old], "msg_1", int(datetime.now(UTC).timestamp()), body)
    for secret in (old, new):
        assert Webhook(secret).verify(body, fresh) == {"type": "webhook.test"}


def _endpoint(**fields: Any) -> Endpoint:
    base = Endpoint("ep_1", "https://x", ("*",), {}, None, ENABLED, None, NOW, NOW, "current")
    return Endpoint(**{**base.__dict__, **fields})


def test_the_previous_secret_signs_until_its_grace_ends() -> None:
    kept = _endpoint(previous_sealed_secret="old", previous_secret_expires_at=NOW + timedelta(seconds=60))
    assert kept.sealed_secrets(NOW) == ("current", "old")
    assert kept.sealed_secrets(NOW + timedelta(seconds=60)) == ("current",)
    assert _endpoint().sealed_secrets(NOW) == ("current",)
    assert Endpoint.of("ep_1", kept.stored()) == kept


def test_a_change_of_no_event_passes_an_events_filter_but_not_the_types() -> None:
    notice = {"type": ENDPOINT_DISABLED, "site_id": None, "camera_id": None, "trigger_type": None}
    assert _endpoint(filter={"site_ids": ["s1"]}).receives(notice)
    assert _endpoint(event_types=(ENDPOINT_DISABLED,)).receives(notice)
    assert not _endpoint(event_types=("event.created",)).receives(notice)
    assert not _endpoint(status="disabled").receives(notice)
    assert not _endpoint(filter={"site_ids": ["s1"]}).receives({**notice, "type": "event.created"})


def test_the_catalogue_has_every_type_with_a_self_contained_schema() -> None:
    entries = {entry["type"]: entry for entry in catalogue()}
    assert set(entries) == {*TYPES, "webhook.test"}
    for kind, entry in entries.items():
        schema = entry["schema"]
        assert "$ref" not in json.dumps(schema) and '"nullable"' not in json.dumps(schema)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["type"] == {"type": "string", "const": kind}
    message = {
        "type": "webhook.test",
        "timestamp": "2026-04-21T12:00:00Z",
        "data": {"endpoint_id": "ep_" + "0" * 32, "at": "2026-04-21T12:00:00Z"},
    }
    validator = jsonschema.Draft202012Validator(entries["webhook.test"]["schema"])
    assert validator.is_valid(message)
    assert not validator.is_valid({**message, "data": {}})
    disabled = jsonschema.Draft202012Validator(entries[ENDPOINT_DISABLED]["schema"])
    change = {
        "id": "c1",
        "type": ENDPOINT_DISABLED,
        "event_id": None,
        "at": "2026-04-21T12:00:00Z",
        "actor": {"kind": "scheduler", "id": "webhook-delivery"},
        "changed": ["status"],
        "endpoint_id": "ep_" + "0" * 32,
        "reason": "gone",
    }
    assert disabled.is_valid({"type": ENDPOINT_DISABLED, "timestamp": change["at"], "data": change})


def test_enabling_an_endpoint_starts_the_auto_disable_count_again() -> None:
    failing = _endpoint(status="disabled", disabled_reason="gone", failing_since=NOW - timedelta(days=9))
    stored = changed({"status": "enabled"}, NOW)(failing)
    assert (stored["disabled_reason"], stored["failing_since"]) == (None, None)
    assert "failing_since" not in changed({"description": "x"}, NOW)(failing)
