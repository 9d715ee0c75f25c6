"""The body of ``POST /api/v1/keys``: ``{"name", "role", "site_ids"?, "expires_at"?}``.

``name`` is 1-100 characters, not blank, without invisible or bidirectional control characters
(Unicode categories Cc and Cf); ``role`` is viewer, operator, admin (never more than the caller's,
who is an admin) or ingest (a recording gateway's key: the ingest routes only); a viewer key needs
``site_ids`` (1-100 uuids), an ingest key may name 1-100 (it then writes only events of those
sites), operator and admin keys take none; ``expires_at`` is an RFC3339 time in the future.
Anything else is 400 ``validation_error`` naming the field.
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

ROLES = ("viewer", "operator", "admin", "ingest")
FIELDS = ("name", "role", "site_ids", "expires_at")
MAX_NAME = 100
# A name: no invisible or bidirectional control characters (Unicode categories Cc and Cf, as of
# Unicode 15.1) anywhere, and at least one visible character. Two unanchored searches, so that they mean
# the same in Python's regexes and the ECMA regexes of JSON Schema (whose ``$`` differ before a final
# newline), written with explicit classes (no ``\s`` or ``\p{..}``, whose meaning or support differs
# too), so the OpenAPI document carries these very patterns (``not: {pattern: NAME_REFUSED}`` and
# ``pattern: NAME_VISIBLE``). Cf code points above U+FFFF are alternatives of their own, each the
# character itself: an ECMA regex without the ``u`` flag reads one as its two UTF-16 units, which
# a character class (or a range of them) would split, but a sequence keeps whole.
CONTROL = "\\u0000-\\u001f\\u007f-\\u009f"  # Cc
FORMAT = (  # Cf up to U+FFFF
    "\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u180e\\u200b-\\u200f"
    "\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb"
)
ASTRAL_FORMAT = (  # Cf above U+FFFF, first and last of each run
    (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
BLANK = "\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"  # Zs, Zl, Zp
NAME_REFUSED = "|".join(  # a name holds none of these
    [f"[{CONTROL}{FORMAT}]", *(chr(code) for first, last in ASTRAL_FORMAT for code in range(first, last + 1))]
)
NAME_VISIBLE = f"[^{CONTROL}{FORMAT}{BLANK}]"  # and at least one of these
_REFUSED, _VISIBLE = re.compile(NAME_REFUSED), re.compile(NAME_VISIBLE)
MAX_SITES = 100


@dataclass(frozen=True)
class KeyRequest:
    name: str
    role: str
    site_ids: tuple[str, ...] | None
    expires_at: datetime | None


def plain_text(text: str) -> bool:
    """Whether ``text`` holds no control or format character (Cc, Cf: :data:`NAME_REFUSED`) and is
    text Firestore can store: the rule of key names, endpoint descriptions and tag values."""
    return _REFUSED.search(text) is None and encodable(text)


def valid_name(name: str) -> bool:
    """Whether ``name`` may name a key: 1-100 characters, one visible at least, none of Cc or Cf."""
    return len(name) <= MAX_NAME and plain_text(name) and _VISIBLE.search(name) is not None


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
    if not isinstance(name, str) or not valid_name(name):
        problems["name"] = (
            f"required, 1-{MAX_NAME} characters, not blank, no control or invisible formatting characters"
        )
    if role not in ROLES:
        problems["role"] = "required, one of viewer, operator, admin, ingest"
    site_ids: tuple[str, ...] | None = None
    if role == "viewer" or (role == "ingest" and sites is not None):
        if (
            not isinstance(sites, list)
            or not 1 <= len(sites) <= MAX_SITES
            or any(canonical_uuid(s) is None for s in sites)
        ):
            article = "an" if role == "ingest" else "a"
            problems["site_ids"] = f"{article} {role} key needs 1-{MAX_SITES} site uuids"
        else:
            site_ids = tuple(sorted({str(canonical_uuid(site)) for site in sites}))
    elif sites is not None:
        problems["site_ids"] = "only viewer and ingest keys are site-scoped"
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
