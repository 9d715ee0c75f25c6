"""Identifiers: the API's ids are uuids in canonical form (8-4-4-4-12 hex), compared in lowercase;
org ids are 1-128 letters, digits, ``_`` or ``-`` (they name a Firestore path). Whole-string matches
only: a trailing newline is not part of an id."""

from __future__ import annotations

import re
from typing import TypeGuard

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ORG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def canonical_uuid(value: object) -> str | None:
    """The lowercase form of a canonical uuid string, or None when ``value`` is not one."""
    if isinstance(value, str) and _UUID.fullmatch(value):
        return value.lower()
    return None


def valid_org_id(org_id: object) -> TypeGuard[str]:
    """Whether ``org_id`` is a usable org id."""
    return isinstance(org_id, str) and _ORG_ID.fullmatch(org_id) is not None
