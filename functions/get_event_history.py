"""GET /api/v1/events/{id}/history: who changed what and when, oldest first, paged (viewer and up,
site-scoped; a dismissed event's history only for admins)."""

from __future__ import annotations

import re

import flask
import functions_framework

from shared.api import cursor
from shared.api.responses import json_response
from shared.api.shapes import history_entry
from shared.edge.auth import Role
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.errors import ValidationError
from shared.model.filter import EventFilter
from shared.store.events import EventStore

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
EVERYTHING = EventFilter()


def _paging(args: dict[str, list[str]]) -> tuple[str | None, int]:
    problems: dict[str, str] = {}
    for name, given in args.items():
        if name not in ("cursor", "limit"):
            problems[name] = "unknown query parameter"
        elif len(given) != 1:
            problems[name] = "given more than once"
    raw_limit = args.get("limit", [str(DEFAULT_LIMIT)])[0]
    if not re.fullmatch(r"[0-9]{1,10}", raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
        problems["limit"] = f"must be an integer from 1 to {MAX_LIMIT}"
    given_cursor = args.get("cursor", [None])[0]
    if given_cursor == "":
        problems["cursor"] = "must not be empty"
    if problems:
        raise ValidationError.of("query", problems)
    return given_cursor, int(raw_limit)


@functions_framework.http
@endpoint("get_event_history", steps=[rate_limit])
def get_event_history(context: Context) -> flask.Response:
    """``{"data": [{"at", "by", "action", "changes"}], "next_cursor"}``."""
    given_cursor, limit = _paging(context.request.args.to_dict(flat=False))
    event_id = context.path_params["id"].lower()
    org = context.principal.org_id
    domain = f"history/{event_id}"
    after = cursor.decode(given_cursor, org, EVERYTHING, domain) if given_cursor else None
    store = EventStore(context.principal.scope)
    entries, more = store.history_page(
        event_id, after, limit, include_deleted=context.principal.role >= Role.ADMIN
    )
    return json_response(
        {
            "data": [history_entry(entry) for entry in entries],
            "next_cursor": cursor.encode(more, org, EVERYTHING, domain) if more else None,
        }
    )
