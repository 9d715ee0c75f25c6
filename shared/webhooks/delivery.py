"""One attempt of a webhook delivery, as ``deliver_webhook`` makes it, and the sweeper's pass.

An attempt claims the delivery in a transaction (a lease, so two calls for one delivery never send
together; a delivery already done, not yet due or held by another call is left alone, which makes the
function idempotent by delivery id), fixes the message body on the first attempt, signs it with the
attempt's timestamp, sends it (:func:`shared.webhooks.sender.send`: the URL checked again, the checked
address connected to, no redirects, no proxies) and records the attempt. A 2xx within
``EVENTS_WEBHOOK_TIMEOUT_SECONDS`` succeeds; anything else fails: the next attempt is due after the
next delay of ``EVENTS_WEBHOOK_RETRY_SCHEDULE`` plus up to 10 % jitter (after at least a 429's or
503's ``Retry-After``, at most a day), and when the schedule is spent the delivery is ``failed``. A 410
disables the endpoint at once.

The body: ``{"type", "timestamp", "data"}``, ``data`` the change as the change feed shows it to an
admin, ``timestamp`` its ``at`` (for ``webhook.test``: the endpoint and the time it was asked for).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from shared.api.changes import change_view
from shared.config import settings
from shared.errors import ValidationError
from shared.model.errors import ConflictError
from shared.model.scope import Scope
from shared.store import webhook_queue
from shared.store.budget import per_call, request_budget
from shared.store.changes import Change, ChangeLog, FeedFilter, FeedPosition
from shared.store.webhooks import (
    ENABLED,
    GONE_REASON,
    PENDING,
    TEST_TYPE,
    Claimed,
    Deliveries,
    WebhookEndpoints,
    overdue,
)
from shared.timefmt import ONE_MICROSECOND, format_rfc3339, utcnow
from shared.webhooks import signing, vault
from shared.webhooks.sender import send

JITTER = 0.10
MAX_RETRY_AFTER_SECONDS = 86_400
LEASE_MARGIN_SECONDS = 15
SWEEP_GRACE_SECONDS = 10  # an attempt's task normally runs within a second of its time
SWEEP_LIMIT = 500
REPLAY_CAP = 10_000  # the most changes one replay reads (and schedules)
REPLAY_PAGE = 500


def _encoded(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def change_message(record: dict[str, Any]) -> str:
    """The body of a change record's message."""
    view = change_view(Change(record["id"], record), redacted=False)
    return _encoded({"type": view["type"], "timestamp": view["at"], "data": view})


def test_message(endpoint_id: str, now: datetime) -> str:
    """The body of a ``webhook.test`` message."""
    at = format_rfc3339(now)
    return _encoded({"type": TEST_TYPE, "timestamp": at, "data": {"endpoint_id": endpoint_id, "at": at}})


def send_test(org_id: str, endpoint_id: str, log: Any = None) -> str:
    """Create a ``webhook.test`` delivery to the endpoint (and the request's idempotency outcome ``log``)
    and enqueue it; returns its id."""
    now = utcnow()
    delivery_id = Deliveries(org_id).create_test(
        endpoint_id, uuid.uuid4().hex, test_message(endpoint_id, now), now, log
    )
    webhook_queue.enqueue(org_id, delivery_id)
    return delivery_id


def resend(org_id: str, delivery_id: str, log: Any = None) -> None:
    """Start a new attempt series of the delivery (same ``webhook-id``, same body) and enqueue it."""
    Deliveries(org_id).resend(delivery_id, utcnow(), log)
    webhook_queue.enqueue(org_id, delivery_id)


def replay(
    org_id: str,
    endpoint_id: str,
    since: datetime,
    until: datetime | None,
    types: tuple[str, ...] | None,
) -> int:
    """New deliveries to the endpoint of every change kept from ``since`` to ``until`` (None: now)
    of ``types`` (None: all) that the endpoint receives (its types and filter), each with its
    change's ``webhook-id``; enqueued, and their number. ConflictError for a disabled endpoint;
    ValidationError naming ``since`` when more than :data:`REPLAY_CAP` changes are in the range
    (nothing is written then). Long by design (up to 20 pages read and 20 batches written): each store
    call gets a whole budget of its own."""
    endpoint = WebhookEndpoints(org_id).get(endpoint_id)
    if endpoint.status != ENABLED:
        raise ConflictError("the endpoint is disabled; enable it to send it messages")
    now = utcnow()
    log = ChangeLog(Scope(org_id))
    upper = min(until, now) if until is not None else now
    position = FeedPosition(since - ONE_MICROSECOND, "")
    matched: list[tuple[str, str]] = []
    read = 0
    with per_call():
        while True:
            page, more = log.page(FeedFilter(types), position, upper, REPLAY_PAGE, now)
            read += len(page)
            if read > REPLAY_CAP:
                raise ValidationError.field(
                    "since",
                    f"the range holds more than {REPLAY_CAP} changes, the most one replay takes; "
                    "replay it in shorter ranges",
                )
            matched += [(c.id, c.data["type"]) for c in page if endpoint.receives(c.data)]
            if more is None:
                break
            position = more
        made = Deliveries(org_id).create_many(endpoint_id, matched, now)
    webhook_queue.enqueue_all(org_id, made)
    return len(made)


def retry_delay(failed_attempts: int, retry_after_s: float | None) -> float | None:
    """Seconds until the next attempt after ``failed_attempts`` failures (None: the schedule is
    spent): the schedule's next delay with up to 10 % jitter, at least ``Retry-After`` (<= a day)."""
    schedule = settings().webhook_retry_schedule
    if failed_attempts > len(schedule):
        return None
    delay = schedule[failed_attempts - 1] * (1 + random.uniform(0, JITTER))
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, MAX_RETRY_AFTER_SECONDS))
    return delay


def deliver(org_id: str, delivery_id: str) -> dict[str, Any]:
    """Make the delivery's due attempt, if it has one; ``{"delivery_id", "status"}`` (the status after
    it: ``pending``, ``succeeded``, ``failed``; or why nothing was sent: ``missing``, ``in_flight``,
    ``not_due``)."""
    config = settings()
    deliveries = Deliveries(org_id)
    lease = config.webhook_timeout_seconds + LEASE_MARGIN_SECONDS
    claimed = deliveries.claim(delivery_id, utcnow(), lease, change_message)
    if not isinstance(claimed, Claimed):
        return {"delivery_id": delivery_id, "status": claimed}
    secrets = [
        vault.open_sealed(sealed, org_id, claimed.endpoint.id)
        for sealed in claimed.endpoint.sealed_secrets(utcnow())
    ]
    body = claimed.body.encode()
    headers = signing.headers(secrets, claimed.message_id, int(time.time()), body)
    started = utcnow()
    sent = send(
        claimed.endpoint.url, headers, body, config.webhook_timeout_seconds, config.webhook_allow_loopback
    )
    succeeded = sent.status_code is not None and 200 <= sent.status_code < 300
    attempt = {
        "at": started,
        "status_code": sent.status_code,
        "error": sent.error,
        "duration_ms": sent.duration_ms,
        "response_body": sent.response_body,
    }
    gone = sent.status_code == 410
    delay = None if succeeded or gone else retry_delay(claimed.attempt, sent.retry_after_s)
    next_at = None if delay is None else utcnow() + timedelta(seconds=delay)
    with request_budget():  # the store's budget starts again after the send, which may take its time
        status, staged = deliveries.record(
            claimed, attempt, next_at, succeeded, GONE_REASON if gone else None
        )
    if status == PENDING and next_at is not None:
        webhook_queue.enqueue(org_id, delivery_id, next_at)
    webhook_queue.enqueue_all(org_id, staged)
    return {"delivery_id": delivery_id, "status": status}


def sweep() -> dict[str, int]:
    """Enqueue every org's overdue deliveries (due more than :data:`SWEEP_GRACE_SECONDS` ago, no live
    lease): ``{"overdue", "enqueued"}``."""
    found = overdue(utcnow(), SWEEP_GRACE_SECONDS, SWEEP_LIMIT)
    enqueued = sum(webhook_queue.enqueue(org_id, delivery_id) for org_id, delivery_id in found)
    return {"overdue": len(found), "enqueued": enqueued}
