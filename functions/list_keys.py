"""GET /api/v1/keys: the org's API keys, newest first, revoked ones included; never a secret (an admin
user's token only)."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.responses import json_response
from shared.api.shapes import key_view
from shared.edge.auth import authenticate_user
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.store.api_keys import ApiKeys


@functions_framework.http
@endpoint("list_keys", auth=authenticate_user, steps=[rate_limit])
def list_keys(context: Context) -> flask.Response:
    """``{"data": [key, ...]}``."""
    return json_response(
        {"data": [key_view(record) for record in ApiKeys().of_org(context.principal.org_id)]}
    )
