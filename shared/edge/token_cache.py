"""Verified user tokens, remembered per instance by their SHA-256 so a caller's next requests skip the
signature check, in a bounded LRU (:class:`shared.caches.ExpiringCache`, as API keys are).

An entry lives until the token's ``exp``, never longer (a token past it, even within the leeway, is
verified every time), and only for the settings it was verified under (issuer, audience, key set URL
or dev secret). With a JWKS, an entry is served only while the key that signed the token is still in
the key set held now: once a refreshed set drops a key, its tokens are verified again (and refused).
Failures are never cached.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import jwt

from shared.caches import ExpiringCache
from shared.config import settings

ENTRIES = 4096


@dataclass(frozen=True)
class _Verified:
    claims: dict[str, Any]
    kid: str | None  # the signing key's id (JWKS mode)


_CACHE: ExpiringCache[tuple[str, Hashable], _Verified] = ExpiringCache(ENTRIES)


def _published(key_set: jwt.PyJWKClient, kid: str | None) -> bool:
    """Whether the key set held now (fetched again only when it has expired) still lists ``kid``."""
    if kid is None:
        return False
    try:
        key_set.get_jwk_set()[kid]
    except (KeyError, jwt.PyJWTError):
        return False
    return True


def verified_claims(
    token: str,
    verify: Callable[[str], dict[str, Any]],
    key_set: Callable[[str], jwt.PyJWKClient],
) -> dict[str, Any]:
    """The claims of ``token``: remembered ones while the entry holds, else ``verify(token)``'s (which
    raises for a bad token); ``key_set(url)`` is the JWKS client of the configured URL."""
    config = settings()
    context = (config.jwt_jwks_url, config.jwt_dev_secret, config.jwt_issuer, config.jwt_audience)
    key = (hashlib.sha256(token.encode()).hexdigest(), context)
    found, entry = _CACHE.get(key)
    trusted = entry is not None and (
        config.jwt_jwks_url is None or _published(key_set(config.jwt_jwks_url), entry.kid)
    )
    if found and entry is not None and trusted:
        return entry.claims
    claims = verify(token)
    kid = jwt.get_unverified_header(token).get("kid") if config.jwt_jwks_url else None
    _CACHE.put(key, _Verified(claims, kid if isinstance(kid, str) else None), claims["exp"] - time.time())
    return claims


def forget_tokens() -> None:
    """Drop every remembered token."""
    _CACHE.clear()
