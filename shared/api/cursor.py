"""Opaque page cursors: the sort key of a page's last event, signed and bound to org and filter.

A cursor is ``base64url(json{"t": micros, "i": id}) "." base64url(hmac)``, the HMAC-SHA256 under
``EVENTS_CURSOR_KEY`` covering the payload, the org and the filter's fingerprint (not ``limit``, which may
change between pages). A tampered cursor, another org's, or one reused with other filters is 400
``validation_error``. The position is used with ``start_after`` on (triggered_at desc, id desc): no read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from shared.config import require, settings
from shared.errors import ValidationError
from shared.model.event import Position
from shared.model.filter import EventFilter

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, org_id: str, event_filter: EventFilter) -> str:
    message = "\n".join(("cursor/v1", org_id, event_filter.fingerprint(), payload)).encode()
    key = require(settings().cursor_key, "EVENTS_CURSOR_KEY")
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def encode(position: Position, org_id: str, event_filter: EventFilter) -> str:
    """The cursor for the page after ``position``."""
    micros = (position.triggered_at - _EPOCH) // timedelta(microseconds=1)
    payload = _b64(json.dumps({"t": micros, "i": position.event_id}, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, org_id, event_filter)}"


def decode(cursor: str, org_id: str, event_filter: EventFilter) -> Position:
    """The position a cursor names; raises ValidationError unless this org issued it for this filter."""
    invalid = ValidationError.field("cursor", "is not a cursor issued for this org and these filters")
    if not cursor.isascii():
        raise invalid
    payload, dot, signature = cursor.partition(".")
    expected = _signature(payload, org_id, event_filter)
    if not dot or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise invalid
    try:
        data = json.loads(_unb64(payload))
        micros, event_id = data["t"], data["i"]
        if not isinstance(micros, int) or not isinstance(event_id, str):
            raise invalid
        return Position(_EPOCH + timedelta(microseconds=micros), event_id)
    except (ValueError, KeyError, TypeError, binascii.Error, OverflowError, RecursionError) as exc:
        raise invalid from exc
