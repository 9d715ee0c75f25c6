"""Reading a Pub/Sub delivery: the CloudEvent Eventarc sends (and the local delivery builds), the
message's org, its events or why it is rejected, and the dead letters' attributes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from devstack.pubsub import backoff, cloud_event
from shared.pubsub.dead_letter import DETAIL_MAX_BYTES, dead_letter_attributes, dead_topic
from shared.pubsub.message import (
    MESSAGE_PUBLISHED,
    NOT_AN_EVENT,
    NOT_JSON,
    ORG_MISMATCH,
    ORG_MISSING,
    NotAPubsubDelivery,
    Rejected,
    delivered_message,
    message_body,
    message_org,
)

SOURCE = "//pubsub.googleapis.com/projects/novavms-acme/topics/events-ingest"


def envelope(data: bytes, **message: Any) -> dict[str, Any]:
    return {
        "message": {"data": base64.b64encode(data).decode(), "messageId": "42", **message},
        "subscription": "projects/novavms-acme/subscriptions/eventarc-europe-west1-x-sub-1",
    }


def test_a_delivery_gives_the_message_its_topic_and_project() -> None:
    message = delivered_message(
        MESSAGE_PUBLISHED,
        SOURCE,
        envelope(b'{"id": 1}', attributes={"org_id": "acme"}, publishTime="2026-12-06T10:00:00.5Z"),
    )
    assert (message.message_id, message.data, message.project, message.topic) == (
        "42",
        b'{"id": 1}',
        "novavms-acme",
        "events-ingest",
    )
    assert message.attributes == {"org_id": "acme"}
    assert message.publish_time == "2026-12-06T10:00:00.5Z"
    assert message.subscription == "projects/novavms-acme/subscriptions/eventarc-europe-west1-x-sub-1"


def test_eventarcs_snake_case_spellings_are_read_too() -> None:
    data = envelope(b"x")
    del data["message"]["messageId"]
    data["message"].update(message_id="7", publish_time="2026-12-06T10:00:00Z")
    message = delivered_message(MESSAGE_PUBLISHED, SOURCE, data)
    assert (message.message_id, message.publish_time, message.attributes) == ("7", "2026-12-06T10:00:00Z", {})


@pytest.mark.parametrize(
    ("event_type", "source", "data"),
    [
        ("google.cloud.storage.object.v1.finalized", SOURCE, envelope(b"x")),
        (MESSAGE_PUBLISHED, "//storage.googleapis.com/projects/_/buckets/b", envelope(b"x")),
        (MESSAGE_PUBLISHED, SOURCE, {"subscription": "s"}),
        (MESSAGE_PUBLISHED, SOURCE, {"message": {"data": "eA=="}}),
        (MESSAGE_PUBLISHED, SOURCE, {"message": {"data": "not base64!", "messageId": "1"}}),
        (MESSAGE_PUBLISHED, SOURCE, None),
    ],
)
def test_what_is_not_a_pubsub_delivery_is_refused(event_type: str, source: str, data: Any) -> None:
    with pytest.raises(NotAPubsubDelivery):
        delivered_message(event_type, source, data)


def test_the_pinned_org_is_the_org_and_an_attribute_must_name_it() -> None:
    assert message_org({}, "acme") == "acme"
    assert message_org({"org_id": "acme"}, "acme") == "acme"
    with pytest.raises(Rejected) as raised:
        message_org({"org_id": "globex"}, "acme")
    assert raised.value.reason == ORG_MISMATCH and "globex" in raised.value.detail


def test_without_a_pinned_org_the_attribute_is_required_and_must_be_an_org_id() -> None:
    assert message_org({"org_id": "demo"}, None) == "demo"
    for attributes in ({}, {"org_id": ""}, {"org_id": "../x"}, {"org_id": "a" * 129}):
        with pytest.raises(Rejected) as raised:
            message_org(attributes, None)
        assert raised.value.reason == ORG_MISSING


def test_one_event_or_a_batch_becomes_the_batch_body() -> None:
    assert message_body(b'{"id": "x", "summary": "s"}') == ({"events": [{"id": "x", "summary": "s"}]}, False)
    assert message_body(b'{"events": [{"id": "x"}]}') == ({"events": [{"id": "x"}]}, True)
    assert message_body(b'{"events": []}') == ({"events": []}, True), "the batch's own rules refuse it"
    assert message_body(b'{"events": [], "id": "x"}')[1] is False, "an event with an unknown field"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", NOT_JSON),
        (b"\xff\xfe", NOT_JSON),
        (b"", NOT_JSON),
        (b"[" * 100_000, NOT_JSON),
        (b"[1, 2]", NOT_AN_EVENT),
        (b'"text"', NOT_AN_EVENT),
        (b"null", NOT_AN_EVENT),
    ],
)
def test_data_that_is_not_an_event_is_rejected_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(Rejected) as raised:
        message_body(data)
    assert raised.value.reason == reason


def test_a_dead_letter_names_why_the_original_message_and_the_org() -> None:
    attributes = dead_letter_attributes("not_json", "42", "x" * 5000, "events-ingest", "acme")
    assert attributes["reason"] == "not_json" and attributes["original_message_id"] == "42"
    assert attributes["org_id"] == "acme" and attributes["source_topic"] == "events-ingest"
    assert len(attributes["detail"].encode()) <= DETAIL_MAX_BYTES < 1024, "within Pub/Sub's attribute limit"
    assert "org_id" not in dead_letter_attributes("org_missing", "1", "d", "events-ingest", None)
    assert dead_topic("events-ingest") == "events-ingest-dead"


def test_the_local_delivery_builds_the_cloud_event_eventarc_pushes() -> None:
    published = datetime(2026, 12, 6, 10, 0, 0, 250000, tzinfo=UTC)
    received = SimpleNamespace(
        message=SimpleNamespace(
            data=b'{"id": "x"}', attributes={"org_id": "demo"}, message_id="9", publish_time=published
        )
    )
    headers, body = cloud_event("novavms-dev", "events-ingest", "events-ingest-delivery", received)
    assert headers["ce-type"] == MESSAGE_PUBLISHED and headers["ce-id"] == "9"
    assert headers["ce-source"] == "//pubsub.googleapis.com/projects/novavms-dev/topics/events-ingest"
    assert headers["ce-time"] == "2026-12-06T10:00:00.250000Z"
    data = json.loads(body)
    message = delivered_message(headers["ce-type"], headers["ce-source"], data)  # the function's reading
    assert (message.data, message.attributes, message.message_id) == (b'{"id": "x"}', {"org_id": "demo"}, "9")
    assert message.subscription == "projects/novavms-dev/subscriptions/events-ingest-delivery"


def test_a_failed_delivery_backs_off_exponentially_up_to_a_ceiling() -> None:
    delays = [backoff(attempt) for attempt in range(1, 9)]
    assert delays == sorted(delays) and delays[0] >= 1 and delays[1] == 2 * delays[0]
    assert delays[-1] == delays[-2], "capped"
