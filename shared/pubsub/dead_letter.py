"""The dead-letter topic: what the ingest cannot take is published to ``{topic}-dead`` (the topic it
came from, with ``-dead``; ``events-ingest-dead``) by the function, and the message is acknowledged.

A dead letter's data is the rejected data (a whole message's bytes, or for a batch only its invalid
events, as ``{"events": [...]}``, ready to be fixed and published again). Its attributes:
``reason`` (:data:`shared.pubsub.message.REASONS`), ``original_message_id``, ``detail`` (what was wrong,
at most :data:`DETAIL_MAX_BYTES`), ``source_topic`` and, when known, ``org_id``. A message that
Pub/Sub itself forwards after its delivery attempts ran out (the subscription's dead-letter policy) has
no ``reason``, and Pub/Sub's own ``CloudPubSubDeadLetterSource...`` attributes instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from shared.config import settings

DEAD_SUFFIX = "-dead"
PUBLISH_TIMEOUT_SECONDS = 30.0
DETAIL_MAX_BYTES = 1000  # Pub/Sub allows 1024 bytes an attribute value
REASON, ORIGINAL_ID, DETAIL, SOURCE_TOPIC, ORG = (
    "reason", "original_message_id", "detail", "source_topic", "org_id"
)  # fmt: skip


def dead_topic(topic: str) -> str:
    """The dead-letter topic of an ingest topic (``events-ingest`` -> ``events-ingest-dead``)."""
    return topic + DEAD_SUFFIX


def _clip(text: str, limit: int = DETAIL_MAX_BYTES) -> str:
    encoded = text.encode("utf-8")
    return text if len(encoded) <= limit else encoded[: limit - 3].decode("utf-8", "ignore") + "..."


def dead_letter_attributes(
    reason: str, original_message_id: str, detail: str, source_topic: str, org_id: str | None
) -> dict[str, str]:
    """The attributes of a dead letter (see the module's docstring)."""
    attributes = {
        REASON: reason,
        ORIGINAL_ID: original_message_id,
        DETAIL: _clip(detail),
        SOURCE_TOPIC: source_topic,
    }
    if org_id is not None:
        attributes[ORG] = org_id
    return attributes


def publisher() -> Any:
    """This process's Pub/Sub publisher (``PUBSUB_EMULATOR_HOST`` points it at an emulator)."""
    return _publisher(settings().pubsub_emulator_host)


@cache
def _publisher(emulator_host: str | None) -> Any:
    """One publisher per Pub/Sub endpoint (the client reads ``PUBSUB_EMULATOR_HOST`` itself)."""
    from google.cloud import pubsub_v1

    del emulator_host  # the cache's key: another emulator gets a client of its own
    return pubsub_v1.PublisherClient()


def publish(project: str, topic: str, data: bytes, attributes: Mapping[str, str]) -> str:
    """Publish one message and wait for Pub/Sub to accept it; its message id. Raises when Pub/Sub
    does not take it (the delivery then fails and is retried)."""
    client = publisher()
    future = client.publish(client.topic_path(project, topic), data, **attributes)
    message_id: str = future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
    return message_id


def dead_letters_subscription(topic: str) -> str:
    """The subscription on the dead-letter topic that keeps dead letters until someone reads them
    (``events-ingest-dead-inbox``; ``novavms-events dead-letters`` reads it)."""
    return dead_topic(topic) + "-inbox"
