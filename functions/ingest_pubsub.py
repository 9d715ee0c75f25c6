"""Ingest from Pub/Sub: the CloudEvent function the tenant's topic ``events-ingest`` triggers
(``google.cloud.pubsub.topic.v1.messagePublished``, through Eventarc, deployed with retries on).

Returning acknowledges the message: it was ingested, or what could not be was published to
``events-ingest-dead`` (:mod:`shared.pubsub.ingest`). Raising fails the delivery and Pub/Sub delivers
the message again with backoff: a store outage, a dead letter Pub/Sub did not take, or an org over its
ingest budget. Every Firestore call of one delivery draws on one store budget
(``EVENTS_STORE_DEADLINE_SECONDS``), as a request's do. One structured log line per delivery.
"""

from __future__ import annotations

import time

import functions_framework
from cloudevents.http import CloudEvent

from shared.config import settings
from shared.edge.logs import logger
from shared.pubsub.ingest import handle
from shared.pubsub.message import delivered_message
from shared.store.budget import request_budget
from shared.store.meter import metering


@functions_framework.cloud_event
def ingest_pubsub(event: CloudEvent) -> None:
    """Ingest the delivered message; raises so that Pub/Sub delivers it again."""
    started = time.perf_counter()
    message = delivered_message(event["type"], event["source"], event.get_data())
    fields: dict[str, object] = {
        "function": "ingest_pubsub",
        "message_id": message.message_id,
        "topic": message.topic,
        "subscription": message.subscription,
    }
    with metering() as meter:
        try:
            with request_budget():
                outcome = handle(message, settings().pinned_org)
        except Exception as raised:
            fields.update(error=type(raised).__name__, detail=str(raised)[:500], store=meter.summary())
            fields["latency"] = f"{time.perf_counter() - started:.6f}s"
            logger().error("ingest_pubsub: delivery failed, to be retried", extra={"structured": fields})
            raise
    fields.update(org_id=outcome.org_id, events=outcome.counts, store=meter.summary())
    if outcome.reason is not None:
        fields.update(dead_letter_reason=outcome.reason, dead_letter_id=outcome.dead_letter_id)
    fields["latency"] = f"{time.perf_counter() - started:.6f}s"
    said = "ingest_pubsub: dead-lettered" if outcome.reason else "ingest_pubsub: ingested"
    logger().info(said, extra={"structured": fields})
