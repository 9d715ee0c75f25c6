"""Who is calling: a user's bearer token -> :class:`Principal` (actor, role, scope), and the role rule.

Tokens are JWTs verified with PyJWT against an explicit algorithm allow-list: RS256/ES256 keys from a
JWKS URL in production (cached; an unknown ``kid`` refreshes the set, so key rotation is safe), HS256
with a dev secret locally. Required claims: ``exp iat iss aud sub org_id role``; viewers also carry
``site_ids``. Any failure is 401 ``auth_required``. A verified token is remembered until its ``exp``
(:mod:`shared.edge.token_cache`). Behind API Gateway the caller's token is read from
``X-Forwarded-Authorization`` (``EVENTS_FORWARDED_AUTH``); a deployment pinned to one org
(``EVENTS_PINNED_ORG``) refuses every other org's token with 401.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

import jwt

from shared.config import require, settings
from shared.edge.token_cache import verified_claims
from shared.errors import AuthRequired, Forbidden, Unavailable
from shared.ids import valid_org_id
from shared.model.actor import Actor
from shared.model.scope import Scope

JWKS_ALGORITHMS = ("RS256", "ES256")
DEV_ALGORITHMS = ("HS256",)
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")
API_KEY_MARK = "sk_"
NUMERIC_CLAIMS = ("exp", "iat", "nbf")
INGEST_ROLE = "ingest"
INGEST_ONLY = "an ingest key may only call the ingest routes"


class Role(enum.IntEnum):
    """Roles in increasing power: each may do what the ones below it may. ``INGEST`` (API keys of
    recording gateways) sits outside that order: it may only call the routes whose ``min_role`` is
    ``ingest``, which admins may call too (:func:`require_role`); its value ranks it below viewers
    wherever roles are compared."""

    INGEST = 0
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, name: str) -> Role:
        return cls[name.upper()]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: who acts, with which role, over which scope (only viewers are
    site-scoped)."""

    actor: Actor
    role: Role
    scope: Scope

    @property
    def org_id(self) -> str:
        return self.scope.org_id


@dataclass(frozen=True)
class Credential:
    """What the caller's credential allows beyond its scope: until when (a token's ``exp``; None for
    an API key without expiry) and which API key it is (None for a token), for answers that last."""

    expires_at: datetime | None
    key_id: str | None


class HeaderSource(Protocol):
    """Anything with case-insensitive ``get`` of a header (werkzeug Headers, a dict in tests)."""

    def get(self, key: str, /) -> str | None: ...


def _caller_token(headers: HeaderSource) -> str:
    header_name = "X-Forwarded-Authorization" if settings().forwarded_auth else "Authorization"
    return bearer_token(headers, header_name)


def _user(token: str) -> Principal:
    principal = principal_from_claims(verified_claims(token, _verify, _jwks_client))
    pinned = settings().pinned_org
    if pinned and principal.org_id != pinned:
        raise AuthRequired("token is not valid for this deployment")
    return principal


def authenticate_user(headers: HeaderSource) -> Principal:
    """The user calling with the bearer JWT of these headers; raises AuthRequired for an API key
    (Forbidden for a valid ingest key, which every route but the ingest routes refuses with 403)."""
    token = _caller_token(headers)
    if token.startswith(API_KEY_MARK):
        from shared.edge.api_keys import key_record  # API keys' code loads with the first key

        if key_record(token).role == INGEST_ROLE:
            raise Forbidden(INGEST_ONLY)
        raise AuthRequired("this operation needs a user's token, not an API key")
    return _user(token)


def authenticate_caller(headers: HeaderSource) -> Principal:
    """The caller of a request: a user's bearer JWT, or an API key (``sk_...``) with exactly the same
    scoping; raises AuthRequired."""
    token = _caller_token(headers)
    if not token.startswith(API_KEY_MARK):
        return _user(token)
    from shared.edge.api_keys import key_record, key_scope  # API keys' code loads with the first key

    record = key_record(token)
    actor, scope = key_scope(record)
    return Principal(actor=actor, role=Role.parse(record.role), scope=scope)


def caller_credential(headers: HeaderSource) -> Credential:
    """The credential of an authenticated request's headers (read from the caches that authenticated
    it); raises AuthRequired."""
    token = _caller_token(headers)
    if token.startswith(API_KEY_MARK):
        from shared.edge.api_keys import key_record  # API keys' code loads with the first key

        record = key_record(token)
        return Credential(record.expires_at, record.key_id)
    claims = verified_claims(token, _verify, _jwks_client)
    return Credential(datetime.fromtimestamp(claims["exp"], UTC), None)


def bearer_token(headers: HeaderSource, header_name: str) -> str:
    """The token of an ``Authorization``-style header; raises AuthRequired."""
    raw = headers.get(header_name)
    if not raw:
        raise AuthRequired(f"missing {header_name} header")
    scheme, _, token = raw.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthRequired(f"{header_name} must be 'Bearer <token>'")
    return token.strip()


def require_role(principal: Principal, minimum: Role) -> None:
    """Raise Forbidden unless the caller may call a route of role ``minimum``: an ingest route
    (``minimum`` INGEST) admits ingest keys and admins; every other route admits roles of the
    viewer < operator < admin order at least ``minimum``, never an ingest key."""
    role = principal.role
    if minimum is Role.INGEST:
        if role not in (Role.INGEST, Role.ADMIN):
            raise Forbidden(f"requires an ingest key or an admin; caller is {role.name.lower()}")
    elif role is Role.INGEST:
        raise Forbidden(INGEST_ONLY)
    elif role < minimum:
        raise Forbidden(f"requires role {minimum.name.lower()}; caller is {role.name.lower()}")


def _verify(token: str) -> dict[str, Any]:
    config = settings()
    key: Any
    try:
        if config.jwt_jwks_url:
            key = _jwks_client(config.jwt_jwks_url).get_signing_key_from_jwt(token).key
            algorithms: tuple[str, ...] = JWKS_ALGORITHMS
        else:
            key = require(config.jwt_dev_secret, "EVENTS_JWT_JWKS_URL or EVENTS_JWT_DEV_SECRET")
            algorithms = DEV_ALGORITHMS
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(algorithms),
            audience=require(config.jwt_audience, "EVENTS_JWT_AUDIENCE"),
            issuer=require(config.jwt_issuer, "EVENTS_JWT_ISSUER"),
            leeway=config.jwt_leeway_seconds,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.PyJWKClientConnectionError as exc:
        raise Unavailable("the token's signing keys cannot be fetched right now", retry_after=5) from exc
    except jwt.PyJWTError as exc:
        raise AuthRequired(f"invalid token: {exc}") from exc
    for name in NUMERIC_CLAIMS:  # RFC 7519 NumericDate: a JSON number, never a numeric string
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise AuthRequired(f"invalid token: {name} must be a number")
    return claims


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # The key set is cached 5 minutes; a token with an unknown kid refetches it at once (no cooldown,
    # so a freshly rotated key works immediately; fetches are serialised by the client's lock), and no
    # per-key cache outlives the set, so a key the provider retires stops verifying.
    return jwt.PyJWKClient(url, cache_keys=False, lifespan=300, timeout=5, cooldown_duration=0)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Check the NovaVMS claims of a verified token; raises AuthRequired when one is missing or bad."""
    org_id, sub, role_name = claims.get("org_id"), claims.get("sub"), claims.get("role")
    if not valid_org_id(org_id):
        raise AuthRequired("token has no valid org_id claim")
    if not isinstance(sub, str) or not sub.strip():
        raise AuthRequired("token has no valid sub claim")
    if not isinstance(role_name, str) or role_name not in {"viewer", "operator", "admin"}:
        raise AuthRequired("token role must be viewer, operator or admin")
    role = Role.parse(role_name)
    site_ids: frozenset[str] | None = None
    if role is Role.VIEWER:
        raw_sites = claims.get("site_ids")
        if not isinstance(raw_sites, list) or not all(isinstance(site, str) for site in raw_sites):
            raise AuthRequired("a viewer token must carry a site_ids list of uuids")
        try:
            site_ids = frozenset(str(uuid.UUID(site)) for site in raw_sites)
        except ValueError as exc:
            raise AuthRequired("site_ids must be uuids") from exc
    return Principal(actor=Actor.user(sub), role=role, scope=Scope(org_id, site_ids))
