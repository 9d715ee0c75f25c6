"""Verifying the webhooks NovaVMS Events sends (the Standard Webhooks scheme).

Each message carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``:
space-separated ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` values (more than one while a
secret is rotated). The key is the endpoint's secret, ``whsec_`` + base64, as creation answered it.

    webhook = novavms.Webhook("whsec_...")
    payload = webhook.verify(request_body_bytes, request_headers)  # WebhookVerificationError if forged

Verify the body exactly as received (bytes, before any JSON parsing): a re-serialized body does not match.

The endpoints themselves (``client.webhook_endpoints``) are :class:`WebhookEndpoint` values.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

from ._errors import NovaVMSError
from ._models import Model

__all__ = [
    "TOLERANCE_SECONDS",
    "EventType",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEndpointCreated",
    "WebhookEndpointStatus",
    "WebhookEventType",
    "WebhookReplayScheduled",
    "WebhookResendQueued",
    "WebhookSecret",
    "WebhookTestQueued",
    "WebhookVerificationError",
]

WebhookEventType = Literal[
    "event.created", "event.updated", "event.deleted", "event.restored", "webhook_endpoint.disabled", "*"
]
"""A change type an endpoint receives; ``*`` is every one."""
WebhookEndpointStatus = Literal["enabled", "disabled"]
WebhookDeliveryStatus = Literal["pending", "retrying", "succeeded", "failed"]

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


class WebhookVerificationError(NovaVMSError):
    """The message is not proven to come from NovaVMS Events: a header is missing, no signature
    matches, or its timestamp is more than five minutes away from now (either way)."""


class Webhook:
    """The verifier of one endpoint's messages, holding its secret (``whsec_...``; bytes: the raw key)."""

    def __init__(self, secret: str | bytes) -> None:
        if isinstance(secret, str):
            encoded = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
            try:
                key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError("a webhook secret is 'whsec_' followed by base64") from exc
        else:
            key = bytes(secret)
        if not key:
            raise ValueError("the webhook secret is empty")
        self._key = key

    def sign(self, webhook_id: str, timestamp: int, body: bytes | str) -> str:
        """The ``v1,<base64>`` signature of ``body`` sent as ``webhook_id`` at ``timestamp``."""
        content = f"{webhook_id}.{timestamp}.".encode() + _as_bytes(body)
        digest = hmac.new(self._key, content, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode("ascii")

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> dict[str, Any]:
        """The message's payload (``{"type", "timestamp", "data"}``) once its signature and timestamp
        hold; :class:`WebhookVerificationError` otherwise. ``headers``: the request's, any case."""
        lowered = {str(name).lower(): str(value) for name, value in headers.items()}
        webhook_id = lowered.get("webhook-id", "").strip()
        sent_at = lowered.get("webhook-timestamp", "").strip()
        signatures = lowered.get("webhook-signature", "").strip()
        missing = [
            name
            for name, value in (
                ("webhook-id", webhook_id),
                ("webhook-timestamp", sent_at),
                ("webhook-signature", signatures),
            )
            if not value
        ]
        if missing:
            raise WebhookVerificationError(f"missing header {', '.join(missing)}")
        if not sent_at.isascii() or not sent_at.isdigit():
            raise WebhookVerificationError("webhook-timestamp is not Unix seconds")
        timestamp = int(sent_at)
        now = time.time()
        if timestamp < now - TOLERANCE_SECONDS:
            raise WebhookVerificationError("webhook-timestamp is more than 5 minutes old")
        if timestamp > now + TOLERANCE_SECONDS:
            raise WebhookVerificationError("webhook-timestamp is more than 5 minutes in the future")
        expected = self.sign(webhook_id, timestamp, body).encode("ascii")
        matched = False
        for candidate in signatures.split(" "):
            # compare every v1 signature, in constant time each, whatever the earlier ones gave
            if candidate.startswith("v1,") and hmac.compare_digest(expected, candidate.encode("utf-8")):
                matched = True
        if not matched:
            raise WebhookVerificationError("no matching signature")
        try:
            payload = json.loads(_as_bytes(body))
        except ValueError as exc:
            raise WebhookVerificationError("the body is not JSON") from exc
        if not isinstance(payload, dict):
            raise WebhookVerificationError("the body is not a JSON object")
        return payload


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


@dataclasses.dataclass(frozen=True)
class WebhookEndpoint(Model):
    """A webhook endpoint as the API shows it (never its secret). ``filter``: the lists of
    ``site_ids``, ``camera_ids`` and ``trigger_types`` a change must match (absent: any);
    ``disabled_reason`` says why a disabled endpoint is (an admin, or a 410 answer)."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset({"created_at", "updated_at"})

    id: str
    url: str
    event_types: list[WebhookEventType]
    filter: dict[str, list[str]]
    description: str | None
    status: WebhookEndpointStatus
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class WebhookEndpointCreated(WebhookEndpoint):
    """An endpoint just created: :attr:`secret` (``whsec_...``, for :class:`Webhook`) is shown this
    once (None when the answer replays the creation)."""

    secret: str | None


@dataclasses.dataclass(frozen=True)
class WebhookTestQueued(Model):
    """A ``webhook.test`` message on its way to the endpoint: its delivery's id."""

    delivery_id: str


@dataclasses.dataclass(frozen=True)
class WebhookAttempt(Model):
    """One attempt of a delivery: when, the receiver's status (None when none came), why it failed
    (None for a 2xx), how long it took and the first 1 KiB of the answer."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset({"at"})

    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    response_body: str


@dataclasses.dataclass(frozen=True)
class WebhookDelivery(Model):
    """One message to one endpoint and every attempt of it (kept 30 days). ``message_id`` is the
    ``webhook-id``, the same on every attempt, resend and replay."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset({"next_attempt_at", "created_at"})
    _NESTED: ClassVar[dict[str, type[Model]]] = {"attempts": WebhookAttempt}

    id: str
    endpoint_id: str
    message_id: str
    type: str
    status: WebhookDeliveryStatus
    attempts: list[WebhookAttempt]
    next_attempt_at: datetime | None
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class WebhookResendQueued(Model):
    """A delivery sent again: its id."""

    delivery_id: str


@dataclasses.dataclass(frozen=True)
class WebhookReplayScheduled(Model):
    """How many deliveries a replay made."""

    scheduled: int


@dataclasses.dataclass(frozen=True)
class WebhookSecret(Model):
    """An endpoint's new signing secret (``whsec_...``), shown only in the rotation's answer."""

    secret: str


@dataclasses.dataclass(frozen=True)
class EventType(Model):
    """One type a webhook message or change can carry: what it means and its message's JSON Schema."""

    type: str
    description: str
    schema: dict[str, Any]
