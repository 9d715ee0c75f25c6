"""One Pub/Sub message through the ingest: its org, its events, the ingest budget, the ingest API's
batch write, and a dead letter for whatever of it cannot be ingested.

- A message that can never be ingested (not JSON, not an event, too many events, the wrong or no org)
  is published whole to the dead-letter topic and acknowledged: nothing of it is written.
- Otherwise its events spend the org's ingest budget (the one ``POST /api/v1/events/ingest`` spends,
  counted in events); over it, :class:`shared.errors.RateLimited` is raised, nothing is written and
  Pub/Sub delivers the message again later.
- Its events are then validated and written, each on its own, by the same batch write as the HTTPS
  ingest, as ``{"kind": "pipeline", "id": <topic>}``: the valid ones are written (created, updated or
  unchanged: a redelivered message changes nothing), the invalid ones are dead-lettered together.
- A store outage (or a dead letter Pub/Sub does not accept) raises: the delivery fails, Pub/Sub
  delivers the message again, and what was already written is unchanged the next time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.api.ingest import COUNTED, batch_result, parse_batch, valid_records
from shared.edge.rate_limit import spend_ingest_budget
from shared.errors import PayloadTooLarge, ValidationError
from shared.model.actor import Actor, ActorKind
from shared.model.scope import Scope
from shared.pubsub import dead_letter
from shared.pubsub.message import (
    INVALID_EVENTS,
    NOT_AN_EVENT,
    TOO_MANY_EVENTS,
    Message,
    Rejected,
    message_body,
    message_org,
)
from shared.store.events import EventStore


@dataclass
class Outcome:
    """What became of one message (for its log line): the org, each status's count of its events,
    and the dead letter's reason and id when something of it was dead-lettered."""

    org_id: str | None
    counts: dict[str, int]
    reason: str | None = None
    dead_letter_id: str | None = None


def pipeline_actor(message: Message) -> Actor:
    """Who the changes a message makes are recorded as: the pipeline, named by the topic."""
    return Actor(ActorKind.PIPELINE, message.topic)


def handle(message: Message, pinned_org: str | None) -> Outcome:
    """Ingest one message (see the module's docstring); raises when it must be delivered again."""
    try:
        org_id = message_org(message.attributes, pinned_org)
    except Rejected as rejected:  # the dead letter is the deployment's org's (none: unknown)
        return _reject(message, pinned_org, rejected, message.data)
    try:
        body, batch = message_body(message.data)
        entries = parse_batch(body)
    except Rejected as rejected:
        return _reject(message, org_id, rejected, message.data)
    except PayloadTooLarge as error:
        return _reject(message, org_id, Rejected(TOO_MANY_EVENTS, error.message), message.data)
    except ValidationError as error:
        return _reject(message, org_id, Rejected(NOT_AN_EVENT, error.message), message.data)
    spend_ingest_budget(org_id, len(entries))
    records = valid_records(entries)
    outcomes = EventStore(Scope(org_id)).load(records, pipeline_actor(message)) if records else {}
    result = batch_result(entries, outcomes)
    counts = {status: result[status] for status in COUNTED}
    invalid = [(index, item) for index, item in enumerate(result["results"]) if item["status"] == "invalid"]
    if not invalid:
        return Outcome(org_id, counts)
    events: list[Any] = body["events"]
    data = json.dumps({"events": [events[i] for i, _ in invalid]}).encode() if batch else message.data
    detail = "; ".join(
        f"event {index} ({item['id'] or 'no id'}): "
        + ", ".join(f"{name}: {problem}" for name, problem in sorted(item["errors"].items()))
        for index, item in invalid
    )
    refused = Rejected(INVALID_EVENTS, f"{len(invalid)} of {len(events)} events invalid: {detail}")
    outcome = _reject(message, org_id, refused, data)
    outcome.counts = counts
    return outcome


def _reject(message: Message, org_id: str | None, rejected: Rejected, data: bytes) -> Outcome:
    """Publish ``data`` to the dead-letter topic with why; the message is then acknowledged."""
    attributes = dead_letter.dead_letter_attributes(
        rejected.reason, message.message_id, rejected.detail, message.topic, org_id
    )
    published = dead_letter.publish(message.project, dead_letter.dead_topic(message.topic), data, attributes)
    return Outcome(org_id, {}, rejected.reason, published)
