"""DELETE /api/v1/keys/{id}: revoke an API key of the caller's org (an admin user's token only). 204;
404 for an id that is not a key of this org. At once on this instance, within
``EVENTS_KEY_CACHE_SECONDS`` on every other."""

from __future__ import annotations

import flask
import functions_framework

from shared.edge.api_keys import forget
from shared.edge.auth import authenticate_user
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent, replay_no_content
from shared.edge.rate_limit import rate_limit
from shared.store.api_keys import ApiKeys


@functions_framework.http
@endpoint("revoke_key", auth=authenticate_user, steps=[rate_limit, idempotent(replay_no_content)])
def revoke_key(context: Context) -> flask.Response:
    """Mark the key revoked (who, when); it stays listed."""
    key_id = context.path_params["id"]
    ApiKeys().revoke(context.principal.org_id, key_id, context.actor, context.idempotency)
    forget(key_id)
    return flask.Response(status=204)
