"""The queue of webhook delivery attempts: each attempt is a call of the ``deliver_webhook`` function
with ``{"org_id", "delivery_id"}``, due at a time.

In production (``EVENTS_WEBHOOK_QUEUE`` names a Cloud Tasks queue) an attempt is a task: an HTTP POST
to ``EVENTS_WEBHOOK_DELIVER_URL`` with an OIDC token of ``EVENTS_WEBHOOK_TASKS_ACCOUNT``, scheduled for
its time. Locally (``EVENTS_WEBHOOK_LOCAL_RUNNER``, the URL of :mod:`devstack.tasks`' runner) it is a
POST to the runner's ``/enqueue``. Enqueueing is best effort: an attempt that could not be enqueued (or
whose task is lost) is found by the sweeper once overdue, so none is lost; with neither setting only
the sweeper enqueues. A commit enqueues every delivery it made (at most a batched write's 500), several
at a time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

import requests

from shared.config import require, settings
from shared.store.parallel import bounded

CONCURRENCY = 8
LOCAL_TIMEOUT_SECONDS = 2.0
_log = logging.getLogger(__name__)


def cloud_task(org_id: str, delivery_id: str, at: datetime | None) -> Any:
    """The Cloud Task of one attempt: a POST of ``{"org_id", "delivery_id"}`` to
    ``EVENTS_WEBHOOK_DELIVER_URL`` with an OIDC token of ``EVENTS_WEBHOOK_TASKS_ACCOUNT`` (audience: that
    URL), scheduled for ``at`` (None: now)."""
    from google.cloud import tasks_v2
    from google.protobuf import timestamp_pb2

    config = settings()
    url = require(config.webhook_deliver_url, "EVENTS_WEBHOOK_DELIVER_URL")
    account = require(config.webhook_tasks_account, "EVENTS_WEBHOOK_TASKS_ACCOUNT")
    task = tasks_v2.Task(
        http_request=tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=url,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"org_id": org_id, "delivery_id": delivery_id}).encode(),
            oidc_token=tasks_v2.OidcToken(service_account_email=account, audience=url),
        )
    )
    if at is not None:
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(at)
        task.schedule_time = stamp
    return task


_client: Any = None


def _tasks_client() -> Any:
    global _client
    if _client is None:
        from google.cloud import tasks_v2

        _client = tasks_v2.CloudTasksClient()
    return _client


def enqueue(org_id: str, delivery_id: str, at: datetime | None = None) -> bool:
    """Ask for an attempt of the delivery at ``at`` (None: now); False when it could not be asked
    (the sweeper will)."""
    config = settings()
    try:
        if config.webhook_queue:
            task = cloud_task(org_id, delivery_id, at)
            _tasks_client().create_task(parent=config.webhook_queue, task=task, timeout=10.0)
        elif config.webhook_local_runner:
            body = {"org_id": org_id, "delivery_id": delivery_id, "at": at.isoformat() if at else None}
            requests.post(
                f"{config.webhook_local_runner}/enqueue", json=body, timeout=LOCAL_TIMEOUT_SECONDS
            ).raise_for_status()
        else:
            return False
    except Exception as exc:  # the sweeper enqueues what this could not
        _log.warning("webhook delivery %s not enqueued (the sweeper will): %r", delivery_id, exc)
        return False
    return True


def enqueue_all(org_id: str, delivery_ids: Sequence[str]) -> None:
    """Enqueue new deliveries now, several at a time."""
    if delivery_ids:
        bounded([partial(enqueue, org_id, delivery_id) for delivery_id in delivery_ids], CONCURRENCY)
