"""The body of ``POST /api/v1/keys``: ``{"name", "role", "site_ids"?, "expires_at"?}``.

``name`` is 1-100 characters, not blank, without control characters; ``role`` is viewer, operator
or admin (never more than the caller's, who is an admin); a viewer key needs ``site_ids`` (1-100
uuids) and other roles take none (only viewers are site-scoped); ``expires_at`` is an RFC3339 time in
the future. Anything else is 400 ``validation_error`` naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from shared.api.bodies import json_object
from shared.errors import ValidationError
from shared.ids import canonical_uuid
from shared.model.event import encodable
from shared.timefmt import parse_rfc3339, utcnow

ROLES = ("viewer", "operator", "admin")
FIELDS = ("name", "role", "site_ids", "expires_at")
MAX_NAME = 100
# A name: no control characters, and not blank. Written with explicit classes (no ``\s``, whose
# meaning differs between Python and the ECMA regexes of JSON Schema), so the OpenAPI document can
# carry this very pattern.
NAME_PATTERN = (
    "^[^\\u0000-\\u001f\\u007f-\\u009f]*"
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]"
    "[^\\u0000-\\u001f\\u007f-\\u009f]*$"
)
_NAME = re.compile(NAME_PATTERN)
MAX_SITES = 100


@dataclass(frozen=True)
class KeyRequest:
    name: str
    role: str
    site_ids: tuple[str, ...] | None
    expires_at: datetime | None


def parse_key_request(body: bytes) -> KeyRequest:
    """Validate a key creation body; raises ValidationError naming every bad field."""
    data = json_object(body)
    problems = {name: "unknown field" for name in data if name not in FIELDS}
    name, role, sites, expires = (
        data.get("name"),
        data.get("role"),
        data.get("site_ids"),
        data.get("expires_at"),
    )
    if not isinstance(name, str) or len(name) > MAX_NAME or not _NAME.fullmatch(name) or not encodable(name):
        problems["name"] = f"required, 1-{MAX_NAME} characters, not blank, no control characters"
    if role not in ROLES:
        problems["role"] = "required, one of viewer, operator, admin"
    site_ids: tuple[str, ...] | None = None
    if role == "viewer":
        if (
            not isinstance(sites, list)
            or not 1 <= len(sites) <= MAX_SITES
            or any(canonical_uuid(s) is None for s in sites)
        ):
            problems["site_ids"] = f"a viewer key needs 1-{MAX_SITES} site uuids"
        else:
            site_ids = tuple(sorted({str(canonical_uuid(site)) for site in sites}))
    elif sites is not None:
        problems["site_ids"] = "only viewer keys are site-scoped"
    expires_at = None
    if expires is not None:
        try:
            if not isinstance(expires, str):
                raise ValueError
            expires_at = parse_rfc3339(expires)
            if expires_at <= utcnow():
                problems["expires_at"] = "must be in the future"
        except ValueError:
            problems["expires_at"] = "an RFC3339 time"
    if problems:
        raise ValidationError.of("body", problems)
    assert isinstance(name, str) and isinstance(role, str)
    return KeyRequest(name.strip(), role, site_ids, expires_at)
