"""JSON request bodies: bytes -> a JSON object, or 400 ``validation_error`` naming ``body``.

Anything that is not UTF-8 JSON, nested deeper than Python's parser goes (about a thousand levels), or
not an object is refused here, before any field is looked at.
"""

from __future__ import annotations

import json
from typing import Any

from shared.errors import ValidationError


def json_object(
    body: bytes, *, empty: dict[str, Any] | None = None, shape: str = "must be a JSON object"
) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``empty`` when given, else refused with ``shape``
    (as is JSON that is not an object)."""
    if not body.strip():
        if empty is not None:
            return empty
        raise ValidationError.field("body", shape)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValidationError.field("body", "must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ValidationError.field("body", shape)
    return data
