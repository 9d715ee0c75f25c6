"""Opaque page cursors: the sort key of a page's last item, signed and bound to org, scope and filter.

A cursor is ``base64url(json{"t": micros, "i": id[, "d": micros], "s": scope digest[, total]}) "."
base64url(hmac)``, the HMAC-SHA256 under ``EVENTS_CURSOR_KEY`` covering the payload, the org, the
list it pages (``domain``: ``list``, ``trash``, ``history/<event id>``, ``keys``) and the filter's
fingerprint (not ``limit``, which may change between pages). The scope digest names the caller's role
and sites, so a cursor (and the total it carries) only serves callers who see what its issuer saw. A
tampered cursor, another org's, another list's, one reused with other filters or by a caller of
another role or other sites is 400 ``validation_error``. The position is used with ``start_after``:
no read.
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
from shared.model.scope import Scope
from shared.store.totals import Total

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def scope_digest(scope: Scope, role: str) -> str:
    """A short digest of what a caller sees: its role and its sites (all of the org's, or some)."""
    sites = "*" if scope.sites is None else ",".join(sorted(scope.sites))
    return hashlib.sha256(f"{role}\n{sites}".encode()).hexdigest()[:16]


def _signature(payload: str, org_id: str, event_filter: EventFilter, domain: str = "list") -> str:
    version = "cursor/v2" if domain == "list" else f"cursor/v2/{domain}"
    message = "\n".join((version, org_id, event_filter.fingerprint(), payload)).encode()
    key = require(settings().cursor_key, "EVENTS_CURSOR_KEY")
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def encode(
    position: Position,
    scope: Scope,
    role: str,
    event_filter: EventFilter,
    domain: str = "list",
    total: Total | None = None,
) -> str:
    """The cursor for the page after ``position`` of the ``domain`` list, for callers of ``scope``
    and ``role``, carrying the traversal's ``total`` (counted on its first page) to the pages after
    it."""
    fields: dict[str, object] = {"t": _micros(position.triggered_at), "i": position.event_id}
    if position.deleted_at is not None:
        fields["d"] = _micros(position.deleted_at)
    fields["s"] = scope_digest(scope, role)
    if total is not None:
        fields.update(n=total.count, x=int(total.exact), c=_micros(total.counted_at))
    payload = _b64(json.dumps(fields, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, scope.org_id, event_filter, domain)}"


def decode(cursor: str, scope: Scope, role: str, event_filter: EventFilter, domain: str = "list") -> Position:
    """The position a cursor names; raises ValidationError unless this org issued it for this filter,
    this ``domain`` list and callers of this ``scope`` and ``role``."""
    return decode_with_total(cursor, scope, role, event_filter, domain)[0]


def decode_with_total(
    cursor: str, scope: Scope, role: str, event_filter: EventFilter, domain: str = "list"
) -> tuple[Position, Total | None]:
    """The position a cursor names and the total it carries (None: a cursor without one); raises
    ValidationError unless this org issued it for this filter, this ``domain`` list and callers of
    this ``scope`` and ``role`` (a total changed by hand breaks the signature like any other byte)."""
    invalid = ValidationError.field("cursor", "is not a cursor issued for this org and these filters")
    if not cursor.isascii():
        raise invalid
    payload, dot, signature = cursor.partition(".")
    expected = _signature(payload, scope.org_id, event_filter, domain)
    if not dot or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise invalid
    try:
        data = json.loads(_unb64(payload))
        if not isinstance(data, dict):
            raise invalid
        if data.get("s") != scope_digest(scope, role):
            raise ValidationError.field(
                "cursor", "was issued to a caller of another role or other sites; start from the first page"
            )
        micros, event_id, deleted = data["t"], data["i"], data.get("d")
        if not isinstance(micros, int) or not isinstance(event_id, str):
            raise invalid
        if deleted is not None and not isinstance(deleted, int):
            raise invalid
        deleted_at = _EPOCH + timedelta(microseconds=deleted) if deleted is not None else None
        position = Position(_EPOCH + timedelta(microseconds=micros), event_id, deleted_at)
        count, exact, counted = data.get("n"), data.get("x"), data.get("c")
        if count is None:
            return position, None
        if not (isinstance(count, int) and count >= 0 and exact in (0, 1) and isinstance(counted, int)):
            raise invalid
        return position, Total(count, bool(exact), _EPOCH + timedelta(microseconds=counted))
    except (ValueError, KeyError, TypeError, binascii.Error, OverflowError, RecursionError) as exc:
        raise invalid from exc
