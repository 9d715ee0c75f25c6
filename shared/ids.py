"""Identifiers: the API's ids are uuids in canonical form (8-4-4-4-12 hex), compared in lowercase."""

from __future__ import annotations

import re

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def canonical_uuid(value: object) -> str | None:
    """The lowercase form of a canonical uuid string, or None when ``value`` is not one."""
    if isinstance(value, str) and _UUID.match(value):
        return value.lower()
    return None
