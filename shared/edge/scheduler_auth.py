"""Who may call the internal functions (the scheduled export and webhook sweeper, which Cloud Scheduler
calls, and the webhook delivery, which Cloud Tasks calls): only the function's one service account, by
its OIDC token.

The token's ``email`` must be ``EVENTS_SCHEDULER_SERVICE_ACCOUNT`` (verified, from Google's issuer,
for ``EVENTS_SCHEDULER_AUDIENCE``), so end-user tokens cannot trigger an export. With
``EVENTS_SCHEDULER_VERIFY_SIGNATURE=true`` (the default; locally and in tests) google-auth verifies
the signature against ``EVENTS_SCHEDULER_CERTS_URL``. On a private Cloud Run function the platform
has already verified the token and IAM allowed only the scheduler's account to invoke it, but it
strips the signature, so there the setting is false and the claims are checked without it.
"""

from __future__ import annotations

import time
from typing import Any

from shared.config import require, settings
from shared.edge.auth import HeaderSource, bearer_token
from shared.errors import AuthRequired, Forbidden
from shared.model.actor import Actor, ActorKind

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
CLOCK_SKEW_SECONDS = 30


def _claims(token: str) -> dict[str, Any]:
    import google.auth.exceptions
    import google.auth.jwt
    import google.auth.transport.requests
    import google.oauth2.id_token

    config = settings()
    audience = require(config.scheduler_audience, "EVENTS_SCHEDULER_AUDIENCE")
    try:
        if config.scheduler_verify_signature:
            claims: dict[str, Any] = google.oauth2.id_token.verify_token(
                token,
                google.auth.transport.requests.Request(),
                audience=audience,
                certs_url=config.scheduler_certs_url,
                clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
            )
            return claims
        claims = google.auth.jwt.decode(token, verify=False)
    except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
        raise AuthRequired(f"invalid scheduler token: {exc}") from exc
    if claims.get("aud") != audience:
        raise AuthRequired("scheduler token is for another audience")
    if not isinstance(claims.get("exp"), int) or claims["exp"] + CLOCK_SKEW_SECONDS < time.time():
        raise AuthRequired("scheduler token expired")
    return claims


def authenticate_scheduler(headers: HeaderSource) -> Actor:
    """The scheduler's service account; 401 for a bad token, 403 for anyone else's good one."""
    expected = require(settings().scheduler_service_account, "EVENTS_SCHEDULER_SERVICE_ACCOUNT")
    claims = _claims(bearer_token(headers, "Authorization"))
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise AuthRequired("scheduler token is not issued by Google")
    if claims.get("email") != expected or claims.get("email_verified") is not True:
        raise Forbidden("only the scheduler's service account may call this function")
    return Actor(ActorKind.SCHEDULER, expected)
