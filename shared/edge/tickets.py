"""Stream tickets: how a browser opens ``GET /api/v1/events/stream`` (``EventSource`` cannot send an
``Authorization`` header).

``POST /api/v1/stream-tickets`` (viewer and up) issues ``st_`` + 43 random URL-safe characters,
valid ``EVENTS_STREAM_TICKET_SECONDS`` (60 s), bound to the caller's org, role, sites and actor and
to what its credential allows (the token's expiry, the API key's id); only its SHA-256 is stored
(:mod:`shared.store.stream_tickets`). The stream route alone takes it, as ``?ticket=``; redeeming
it spends it, and a spent, expired or unknown ticket is 401. Logs redact it like any credential of
a URL (:mod:`shared.edge.logs`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from shared.config import settings
from shared.edge.auth import Credential, Principal, Role
from shared.errors import AuthRequired
from shared.model.actor import Actor
from shared.model.scope import Scope
from shared.store.stream_tickets import StreamTickets
from shared.timefmt import format_rfc3339, utcnow

TICKET_MARK = "st_"
TICKET_PARAMETER = "ticket"


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ticket(principal: Principal, credential: Credential) -> dict[str, str]:
    """``{"ticket", "expires_at"}``: a new single-use ticket standing for this caller."""
    ticket = TICKET_MARK + secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + timedelta(seconds=settings().stream_ticket_seconds)
    scope = principal.scope
    record: dict[str, Any] = {
        "org_id": scope.org_id,
        "role": principal.role.name.lower(),
        "site_ids": None if scope.sites is None else sorted(scope.sites),
        "actor": principal.actor.stored(),
        "credential_expires_at": credential.expires_at,
        "key_id": credential.key_id,
        "created_at": now,
        "expires_at": expires_at,
    }
    StreamTickets().create(_digest(ticket), record)
    return {"ticket": ticket, "expires_at": str(format_rfc3339(expires_at))}


def redeem_ticket(ticket: str) -> tuple[Principal, Credential]:
    """Who a ticket stands for, spending it; raises AuthRequired for a spent, expired or unknown one."""
    if not ticket.startswith(TICKET_MARK) or len(ticket) > 128:
        raise AuthRequired("invalid stream ticket")
    record = StreamTickets().redeem(_digest(ticket), utcnow())
    if record is None:
        raise AuthRequired("this stream ticket was already used or has expired; take a new one")
    sites = record.get("site_ids")
    principal = Principal(
        actor=Actor.from_stored(record["actor"]),
        role=Role.parse(record["role"]),
        scope=Scope(record["org_id"], None if sites is None else frozenset(sites)),
    )
    return principal, Credential(record.get("credential_expires_at"), record.get("key_id"))
