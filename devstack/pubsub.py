"""Pub/Sub on the local stack: the topics and subscriptions a deployment has, and the delivery that
Eventarc does in Google Cloud.

:func:`ensure_topology` creates, in the emulator, the ingest topic (``events-ingest``), its
dead-letter topic (``events-ingest-dead``), the trigger's subscription (``events-ingest-delivery``,
with the deployment's dead-letter policy: after :data:`MAX_DELIVERY_ATTEMPTS` failed deliveries
Pub/Sub forwards a message to the dead-letter topic) and the dead letters' inbox subscription.

:class:`Delivery` plays Eventarc: it pulls the trigger's subscription and POSTs each message to the
``ingest_pubsub`` function's functions-framework app as a binary-mode CloudEvent, exactly as Eventarc
pushes it (``ce-*`` headers; ``MessagePublishedData`` with base64 data, attributes, ``messageId``,
``publishTime`` and the subscription). A 2xx answer acknowledges the message; any other answer (the
function raised) leaves it unacknowledged for an exponential backoff (:data:`MIN_BACKOFF_SECONDS`
doubling up to :data:`MAX_BACKOFF_SECONDS`, as a subscription's retry policy does), after which
Pub/Sub delivers it again.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import functions_framework
from google.api_core import exceptions as google

from shared.pubsub.dead_letter import dead_letters_subscription, dead_topic
from shared.pubsub.message import MESSAGE_PUBLISHED

FUNCTION = "ingest_pubsub"
FUNCTION_SOURCE = Path(__file__).resolve().parent.parent / "functions" / f"{FUNCTION}.py"
MAX_DELIVERY_ATTEMPTS = 10  # the deployment's dead-letter policy (Pub/Sub allows 5 to 100)
ACK_DEADLINE_SECONDS = 60
MIN_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
PULL_MAX_MESSAGES = 50
PULL_TIMEOUT_SECONDS = 5.0


def delivery_subscription(topic: str) -> str:
    """The subscription that delivers a topic's messages to the function (Eventarc's, locally)."""
    return f"{topic}-delivery"


def clients() -> tuple[Any, Any]:
    """A publisher and a subscriber (``PUBSUB_EMULATOR_HOST`` points them at the emulator)."""
    from google.cloud import pubsub_v1

    return pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()


def ensure_topology(project: str, topic: str) -> None:
    """Create what is missing of the ingest topic, its dead-letter topic and both subscriptions."""
    publisher, subscriber = clients()
    with subscriber:
        topics = {name: publisher.topic_path(project, name) for name in (topic, dead_topic(topic))}
        for path in topics.values():
            with contextlib.suppress(google.AlreadyExists):
                publisher.create_topic(name=path)
        wanted = [
            {
                "name": subscriber.subscription_path(project, delivery_subscription(topic)),
                "topic": topics[topic],
                "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
                "dead_letter_policy": {
                    "dead_letter_topic": topics[dead_topic(topic)],
                    "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS,
                },
            },
            {
                "name": subscriber.subscription_path(project, dead_letters_subscription(topic)),
                "topic": topics[dead_topic(topic)],
                "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
            },
        ]
        for request in wanted:
            with contextlib.suppress(google.AlreadyExists):
                subscriber.create_subscription(request=request)


def cloud_event(project: str, topic: str, subscription: str, received: Any) -> tuple[dict[str, str], bytes]:
    """The headers and body of the binary-mode CloudEvent Eventarc pushes for a pulled message."""
    message = received.message
    published = message.publish_time.isoformat().replace("+00:00", "Z")
    body = {
        "message": {
            "data": base64.b64encode(message.data).decode(),
            "attributes": dict(message.attributes),
            "messageId": message.message_id,
            "message_id": message.message_id,
            "publishTime": published,
            "publish_time": published,
        },
        "subscription": f"projects/{project}/subscriptions/{subscription}",
    }
    headers = {
        "ce-id": message.message_id,
        "ce-source": f"//pubsub.googleapis.com/projects/{project}/topics/{topic}",
        "ce-specversion": "1.0",
        "ce-type": MESSAGE_PUBLISHED,
        "ce-time": published,
        "Content-Type": "application/json",
    }
    return headers, json.dumps(body).encode()


def backoff(attempt: int) -> int:
    """Seconds before a message that failed its ``attempt``-th delivery is delivered again."""
    return int(min(MAX_BACKOFF_SECONDS, MIN_BACKOFF_SECONDS * 2 ** max(0, attempt - 1)))


@dataclass
class Delivery:
    """Eventarc's part, locally: pull the trigger's subscription, push each message to the function,
    acknowledge what it took, leave what it refused for a backoff. ``start``/``stop`` a thread of it.
    ``delivered`` counts the function's answers: (message id, HTTP status), in order."""

    project: str
    topic: str
    concurrency: int = 4
    delivered: list[tuple[str, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        app = functions_framework.create_app(FUNCTION, str(FUNCTION_SOURCE), "cloudevent")
        self._app = app
        self._publisher, self._subscriber = clients()
        self._subscription = self._subscriber.subscription_path(
            self.project, delivery_subscription(self.topic)
        )
        self._lock = threading.Lock()

    def start(self) -> Delivery:
        """Deliver in a daemon thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._run, name="pubsub-delivery", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop pulling; messages in flight finish first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=PULL_TIMEOUT_SECONDS * 3)
        self._subscriber.close()

    def _run(self) -> None:
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="pubsub-push") as pool:
            while not self._stop.is_set():
                try:
                    answer = self._subscriber.pull(
                        request={"subscription": self._subscription, "max_messages": PULL_MAX_MESSAGES},
                        timeout=PULL_TIMEOUT_SECONDS,
                        retry=None,
                    )
                except (google.DeadlineExceeded, google.ServiceUnavailable):
                    continue  # nothing to deliver yet (or the emulator is restarting)
                except Exception:
                    if self._stop.is_set():
                        return
                    self._stop.wait(MIN_BACKOFF_SECONDS)
                    continue
                list(pool.map(self.push, answer.received_messages))

    def push(self, received: Any) -> int:
        """Deliver one pulled message to the function; acknowledge it on 2xx, else back off. The
        function's HTTP status."""
        subscription = delivery_subscription(self.topic)
        headers, body = cloud_event(self.project, self.topic, subscription, received)
        status: int = self._app.test_client().post("/", headers=headers, data=body).status_code
        with self._lock:
            self.delivered.append((received.message.message_id, status))
        if 200 <= status < 300:
            self.acknowledge(received)
        else:
            self.retry_later(received, backoff(received.delivery_attempt or 1))
        return status

    def acknowledge(self, received: Any) -> None:
        """Tell Pub/Sub the message was taken: it is not delivered again."""
        self._subscriber.acknowledge(
            request={"subscription": self._subscription, "ack_ids": [received.ack_id]}
        )

    def retry_later(self, received: Any, seconds: int) -> None:
        """Leave the message unacknowledged: Pub/Sub delivers it again in ``seconds``."""
        self._subscriber.modify_ack_deadline(
            request={
                "subscription": self._subscription,
                "ack_ids": [received.ack_id],
                "ack_deadline_seconds": seconds,
            }
        )

    def statuses(self, message_id: str) -> list[int]:
        """The function's answers to each delivery of one message, in order."""
        with self._lock:
            return [status for delivered, status in self.delivered if delivered == message_id]


def publish_lines(
    project: str, topic: str, lines: Iterable[bytes], org_id: str, batch: int | None = None
) -> list[str]:
    """Publish JSON Lines to ``topic`` with the ``org_id`` attribute: one message a line, or with
    ``batch`` ``{"events": [...]}`` of that many lines a message (lines that are not JSON go alone,
    as they are, and are dead-lettered); the message ids, in order."""
    publisher, _ = clients()
    path = publisher.topic_path(project, topic)
    payloads: list[bytes] = []
    pending: list[Any] = []

    def flush() -> None:
        if pending:
            payloads.append(json.dumps({"events": pending}).encode())
            pending.clear()

    for raw in lines:
        if not raw.strip():
            continue
        if batch is None:
            payloads.append(raw.strip())
            continue
        try:
            pending.append(json.loads(raw))
        except ValueError:
            payloads.append(raw.strip())
            continue
        if len(pending) >= batch:
            flush()
    flush()
    futures = [publisher.publish(path, payload, org_id=org_id) for payload in payloads]
    return [future.result(timeout=60) for future in futures]


@dataclass(frozen=True)
class DeadLetter:
    """A dead letter as ``novavms-events dead-letters`` shows it."""

    message_id: str
    publish_time: str
    reason: str
    original_message_id: str | None
    org_id: str | None
    detail: str
    data: bytes

    def view(self, preview: int = 200) -> dict[str, Any]:
        """As JSON: the data's first ``preview`` characters."""
        text = self.data.decode("utf-8", "replace")
        return {
            "message_id": self.message_id,
            "published": self.publish_time,
            "reason": self.reason,
            "original_message_id": self.original_message_id,
            "org_id": self.org_id,
            "detail": self.detail,
            "data": text if len(text) <= preview else text[: preview - 3] + "...",
        }


EXHAUSTED = "delivery_attempts_exhausted"  # forwarded by Pub/Sub's dead-letter policy, not the function
EXHAUSTED_COUNT = "CloudPubSubDeadLetterSourceDeliveryCount"


def _dead_letter(received: Any) -> DeadLetter:
    message = received.message
    attributes = dict(message.attributes)
    forwarded = EXHAUSTED_COUNT in attributes and "reason" not in attributes
    return DeadLetter(
        message_id=message.message_id,
        publish_time=message.publish_time.isoformat().replace("+00:00", "Z"),
        reason=attributes.get("reason") or (EXHAUSTED if forwarded else "unknown"),
        original_message_id=attributes.get("original_message_id"),
        org_id=attributes.get("org_id"),
        detail=attributes.get("detail")
        or (f"{attributes[EXHAUSTED_COUNT]} deliveries failed" if forwarded else ""),
        data=bytes(message.data),
    )


def read_dead_letters(
    project: str, topic: str, org_id: str | None, limit: int = 100, acknowledge: bool = False
) -> list[DeadLetter]:
    """The org's dead letters (every org's with None) in the inbox subscription, in the order pulled,
    at most ``limit``. They stay in the inbox (released for the next reader) unless ``acknowledge``;
    other orgs' dead letters always stay."""
    _, subscriber = clients()
    with subscriber:
        path = subscriber.subscription_path(project, dead_letters_subscription(topic))
        found: list[DeadLetter] = []
        taken: list[str] = []
        held: list[str] = []
        while len(found) < limit:
            try:
                answer = subscriber.pull(
                    request={"subscription": path, "max_messages": min(PULL_MAX_MESSAGES, limit)},
                    timeout=2.0,
                    retry=None,
                )
            except google.DeadlineExceeded:
                break
            if not answer.received_messages:
                break
            for received in answer.received_messages:
                letter = _dead_letter(received)
                if org_id in (None, letter.org_id) and len(found) < limit:
                    found.append(letter)
                    taken.append(received.ack_id)
                else:
                    held.append(received.ack_id)
        if acknowledge and taken:
            subscriber.acknowledge(request={"subscription": path, "ack_ids": taken})
        release = held if acknowledge else held + taken
        if release:
            subscriber.modify_ack_deadline(
                request={"subscription": path, "ack_ids": release, "ack_deadline_seconds": 0}
            )
    return found
