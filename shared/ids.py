"""Identifiers, exactly as the API issues them; anything else names nothing (404), and never reaches
the store (whose reserved ids, such as ``__name__``, ``.`` or ``..``, it would refuse).

Event ids are uuids in canonical form (8-4-4-4-12 hex), compared in lowercase. API key ids are the
first 16 hex digits of the key's SHA-256, in lowercase. Webhook endpoint ids are ``ep_`` and 32
lowercase hex digits; webhook delivery ids 32 lowercase hex digits. Org ids are 1-128 letters,
digits, ``_`` or ``-`` (they name a Firestore path). Whole-string matches only: a trailing newline
is not part of an id. The ``*_PATTERN`` strings are the OpenAPI document's path parameter patterns too.
"""

from __future__ import annotations

import re
from typing import TypeGuard

EVENT_ID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
KEY_ID_DIGITS = 16
KEY_ID_PATTERN = f"^[0-9a-f]{{{KEY_ID_DIGITS}}}$"
# Webhook endpoint ids: ``ep_`` and 32 lowercase hex digits (128 random bits).
WEBHOOK_ENDPOINT_ID_PATTERN = "^ep_[0-9a-f]{32}$"
# Webhook delivery ids: 32 lowercase hex digits (a random uuid's).
WEBHOOK_DELIVERY_ID_PATTERN = "^[0-9a-f]{32}$"
_DELIVERY_ID = re.compile(WEBHOOK_DELIVERY_ID_PATTERN)
_UUID = re.compile(EVENT_ID_PATTERN)
_ENDPOINT_ID = re.compile(WEBHOOK_ENDPOINT_ID_PATTERN)
_KEY_ID = re.compile(KEY_ID_PATTERN)
_ORG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def canonical_uuid(value: object) -> str | None:
    """The lowercase form of a canonical uuid string, or None when ``value`` is not one."""
    if isinstance(value, str) and _UUID.fullmatch(value):
        return value.lower()
    return None


def valid_key_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` is an API key id as the API issues them."""
    return isinstance(value, str) and _KEY_ID.fullmatch(value) is not None


def valid_endpoint_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a webhook endpoint id as the API issues them."""
    return isinstance(value, str) and _ENDPOINT_ID.fullmatch(value) is not None


def valid_delivery_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a webhook delivery id as the API issues them."""
    return isinstance(value, str) and _DELIVERY_ID.fullmatch(value) is not None


def valid_org_id(org_id: object) -> TypeGuard[str]:
    """Whether ``org_id`` is a usable org id."""
    return isinstance(org_id, str) and _ORG_ID.fullmatch(org_id) is not None
