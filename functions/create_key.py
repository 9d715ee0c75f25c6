"""POST /api/v1/keys: create an API key of the caller's org (an admin user's token only; a key cannot
mint keys). 201 with the key's secret, shown this once; a replay (Idempotency-Key) answers the same
201 without the secret, which is never stored."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.api.key_request import parse_key_request
from shared.api.responses import json_response
from shared.api.shapes import key_view
from shared.edge.api_keys import issue_key
from shared.edge.auth import authenticate_user
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.store.api_keys import ApiKeys


def replay(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The first answer again, without the secret (it was never stored)."""
    return json_response({**outcome["key"], "secret": None}, 201)


@functions_framework.http
@endpoint("create_key", auth=authenticate_user, steps=[rate_limit, idempotent(replay)])
def create_key(context: Context) -> flask.Response:
    """Validate the body (400), store the key's hash and answer its secret once."""
    request = parse_key_request(context.request.get_data())
    record, secret = issue_key(
        context.principal.org_id,
        request.name,
        request.role,
        request.site_ids,
        request.expires_at,
        context.actor,
    )
    view = key_view(record)
    ApiKeys().create(record, {"kind": "key", "key": view}, context.idempotency)
    return json_response({**view, "secret": secret}, 201)
