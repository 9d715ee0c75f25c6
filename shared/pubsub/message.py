"""A Pub/Sub delivery as Eventarc hands it to a function, and what its message asks for.

The CloudEvent's ``source`` is ``//pubsub.googleapis.com/projects/{project}/topics/{topic}``; its data
is ``MessagePublishedData``: ``{"message": {"data": <base64>, "attributes": {...}, "messageId",
"publishTime"}, "subscription": "projects/{project}/subscriptions/{name}"}`` (Eventarc also sends
``message_id``/``publish_time``; either spelling is read).

A message's data is one event in the ingest shape, or ``{"events": [...]}`` with 1 to
:data:`shared.api.ingest.MAX_EVENTS` events (the HTTPS batch's rules). Its org is the deployment's
pinned org; an ``org_id`` attribute naming another org is refused, and where no org is pinned (local
stacks) the attribute is required. What cannot be ingested raises :class:`Rejected` with a
``reason`` (:data:`REASONS`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.ids import valid_org_id

MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
ORG_ATTRIBUTE = "org_id"
_SOURCE = re.compile(r"^//pubsub\.googleapis\.com/projects/(?P<project>[^/]+)/topics/(?P<topic>[^/]+)$")

NOT_JSON = "not_json"
NOT_AN_EVENT = "not_an_event"
TOO_MANY_EVENTS = "too_many_events"
INVALID_EVENTS = "invalid_events"
ORG_MISMATCH = "org_mismatch"
ORG_MISSING = "org_missing"
REASONS = (NOT_JSON, NOT_AN_EVENT, TOO_MANY_EVENTS, INVALID_EVENTS, ORG_MISMATCH, ORG_MISSING)


class Rejected(Exception):
    """A message (or part of one) that can never be ingested as it is: why (``reason``, one of
    :data:`REASONS`) and a human-readable ``detail``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class NotAPubsubDelivery(ValueError):
    """The CloudEvent is not a Pub/Sub message delivery (a trigger wired to the wrong source)."""


@dataclass(frozen=True)
class Message:
    """One delivered Pub/Sub message."""

    message_id: str
    data: bytes
    project: str
    topic: str
    attributes: dict[str, str] = field(default_factory=dict)
    publish_time: str | None = None
    subscription: str | None = None


def delivered_message(event_type: str, source: str, data: Any) -> Message:
    """The message a ``messagePublished`` CloudEvent delivers; NotAPubsubDelivery otherwise."""
    if event_type != MESSAGE_PUBLISHED:
        raise NotAPubsubDelivery(f"not a Pub/Sub delivery: type {event_type!r}")
    found = _SOURCE.match(source or "")
    if found is None:
        raise NotAPubsubDelivery(f"not a Pub/Sub topic source: {source!r}")
    message = data.get("message") if isinstance(data, Mapping) else None
    if not isinstance(message, Mapping):
        raise NotAPubsubDelivery("the delivery carries no message")
    message_id = message.get("messageId") or message.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise NotAPubsubDelivery("the delivered message has no id")
    encoded = message.get("data") or ""
    try:
        payload = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else b""
    except (binascii.Error, ValueError) as exc:
        raise NotAPubsubDelivery(f"the message data is not base64: {exc}") from exc
    attributes = message.get("attributes") or {}
    publish_time = message.get("publishTime") or message.get("publish_time")
    subscription = data.get("subscription")
    return Message(
        message_id=message_id,
        data=payload,
        project=found["project"],
        topic=found["topic"],
        attributes={str(k): str(v) for k, v in attributes.items()} if isinstance(attributes, Mapping) else {},
        publish_time=publish_time if isinstance(publish_time, str) else None,
        subscription=subscription if isinstance(subscription, str) else None,
    )


def message_org(attributes: Mapping[str, str], pinned_org: str | None) -> str:
    """The org a message writes to: the pinned org (an ``org_id`` attribute must name it, if given);
    with no org pinned, the ``org_id`` attribute, which is then required. Rejected otherwise."""
    named = attributes.get(ORG_ATTRIBUTE)
    if pinned_org is not None:
        if named is not None and named != pinned_org:
            raise Rejected(
                ORG_MISMATCH, f"the org_id attribute names {named[:128]!r}, not this deployment's org"
            )
        return pinned_org
    if named is None:
        raise Rejected(ORG_MISSING, "no org is pinned here: the message needs an org_id attribute")
    if not valid_org_id(named):
        raise Rejected(
            ORG_MISSING, "the org_id attribute is not an org id (1-128 letters, digits, '_' or '-')"
        )
    return named


def message_body(data: bytes) -> tuple[dict[str, Any], bool]:
    """A message's data as the ingest API's batch body ``{"events": [...]}``, and whether the message
    was a batch: a JSON object that is exactly ``{"events": ...}`` is one (its list is checked by the
    batch's own rules), any other JSON object is one event. Rejected when the data is not JSON or not
    a JSON object."""
    try:
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Rejected(NOT_JSON, f"the data is not UTF-8: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise Rejected(NOT_JSON, f"the data is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise Rejected(NOT_AN_EVENT, 'the data must be an event (a JSON object) or {"events": [...]}')
    if set(parsed) == {"events"}:
        return parsed, True
    return {"events": [parsed]}, False
