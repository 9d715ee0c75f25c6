"""Webhook endpoints: the bodies that create and change them, how the API shows them, and which
changes each one receives.

An endpoint is ``{"id", "url", "event_types", "filter", "description", "status", "disabled_reason",
"created_at", "updated_at"}``. ``event_types`` is 1-6 of the change types (or ``*``: every one), without
repeats; ``filter`` holds optional ``site_ids`` and ``camera_ids`` (1-100 uuids each) and
``trigger_types``: a change matches when its event's site, camera and trigger type are each in the
list given (absent: any). ``description`` is at most 200 characters without control or invisible
formatting characters (blank: none); ``status`` is ``enabled`` or ``disabled``. The URL is checked by
:func:`shared.webhooks.sender.check_url` at creation and change (400 naming ``url``). Anything else
is 400 ``validation_error`` naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.api.bodies import json_object
from shared.api.key_request import plain_text
from shared.errors import ValidationError
from shared.ids import canonical_uuid
from shared.model.event import TRIGGER_TYPES
from shared.store.changes import TYPES
from shared.store.webhooks import (
    ADMIN_REASON,
    DISABLED,
    ENABLED,
    EVERY_TYPE,
    STATUSES,
    Endpoint,
    new_endpoint_id,
)
from shared.timefmt import format_rfc3339
from shared.webhooks.signing import new_secret
from shared.webhooks.vault import seal

MAX_URL = 2048
MAX_DESCRIPTION = 200
MAX_FILTER_IDS = 100
FILTER_FIELDS = ("site_ids", "camera_ids", "trigger_types")
CREATE_FIELDS = ("url", "event_types", "filter", "description")
UPDATE_FIELDS = (*CREATE_FIELDS, "status")


def endpoint_view(endpoint: Endpoint) -> dict[str, Any]:
    """An endpoint as the API shows it: never its secret."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "filter": {name: list(values) for name, values in endpoint.filter.items()},
        "description": endpoint.description,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": format_rfc3339(endpoint.created_at),
        "updated_at": format_rfc3339(endpoint.updated_at),
    }


def _event_types(value: Any, problems: dict[str, str]) -> tuple[str, ...] | None:
    allowed = (*TYPES, EVERY_TYPE)
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= len(allowed)
        or any(kind not in allowed for kind in value)
        or len(set(value)) != len(value)
    ):
        problems["event_types"] = f"required, a list of distinct values of {', '.join(allowed)}"
        return None
    return tuple(value)


def _ids(value: Any, name: str, problems: dict[str, str]) -> list[str] | None:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_FILTER_IDS:
        problems[f"filter.{name}"] = f"a list of 1-{MAX_FILTER_IDS} uuids"
        return None
    ids = [canonical_uuid(item) for item in value]
    if any(item is None for item in ids):
        problems[f"filter.{name}"] = f"a list of 1-{MAX_FILTER_IDS} uuids"
        return None
    return sorted({str(item) for item in ids})


def _filter(value: Any, problems: dict[str, str]) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems["filter"] = f"an object of {', '.join(FILTER_FIELDS)}"
        return {}
    chosen: dict[str, list[str]] = {}
    for name in value:
        if name not in FILTER_FIELDS:
            problems[f"filter.{name}"] = "unknown field"
    for name in ("site_ids", "camera_ids"):
        if value.get(name) is not None and (ids := _ids(value[name], name, problems)) is not None:
            chosen[name] = ids
    triggers = value.get("trigger_types")
    if triggers is not None:
        if (
            not isinstance(triggers, list)
            or not triggers
            or any(trigger not in TRIGGER_TYPES for trigger in triggers)
        ):
            problems["filter.trigger_types"] = f"a list of {', '.join(TRIGGER_TYPES)}"
        else:
            chosen["trigger_types"] = sorted(set(triggers))
    return chosen


def _description(value: Any, problems: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION or not plain_text(value):
        problems["description"] = (
            f"at most {MAX_DESCRIPTION} characters, no control or invisible formatting characters"
        )
        return None
    return value.strip() or None


def _url(value: Any, problems: dict[str, str]) -> str | None:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_URL:
        problems["url"] = f"required, an https URL of at most {MAX_URL} characters"
        return None
    return value


def check_endpoint_url(url: str) -> None:
    """The URL's security check (scheme, credentials, the addresses its host resolves to); 400 naming
    ``url`` when refused."""
    from shared.config import settings
    from shared.webhooks.sender import check_url

    check_url(url, settings().webhook_allow_loopback)


def parse_create(body: bytes) -> dict[str, Any]:
    """A creation body's fields (``url``, ``event_types``, ``filter``, ``description``); raises
    ValidationError naming every bad field (the URL's security check included)."""
    data = json_object(body)
    problems = {name: "unknown field" for name in data if name not in CREATE_FIELDS}
    fields = {
        "url": _url(data.get("url"), problems),
        "event_types": _event_types(data.get("event_types"), problems),
        "filter": _filter(data.get("filter"), problems),
        "description": _description(data.get("description"), problems),
    }
    if problems:
        raise ValidationError.of("body", problems)
    check_endpoint_url(str(fields["url"]))
    return fields


def parse_update(body: bytes) -> dict[str, Any]:
    """A PATCH body's fields (any of ``url``, ``event_types``, ``filter``, ``description``,
    ``status``; ``filter`` replaces the whole filter); raises ValidationError naming every bad field."""
    data = json_object(body)
    problems = {name: "unknown field" for name in data if name not in UPDATE_FIELDS}
    if not data:
        problems["body"] = f"name at least one of {', '.join(UPDATE_FIELDS)}"
    fields: dict[str, Any] = {}
    if "url" in data:
        fields["url"] = _url(data["url"], problems)
    if "event_types" in data:
        fields["event_types"] = _event_types(data["event_types"], problems)
    if "filter" in data:
        fields["filter"] = _filter(data["filter"], problems)
    if "description" in data:
        fields["description"] = _description(data["description"], problems)
    if "status" in data:
        if data["status"] not in STATUSES:
            problems["status"] = f"one of {', '.join(STATUSES)}"
        fields["status"] = data["status"]
    if problems:
        raise ValidationError.of("body", problems)
    if "url" in fields:
        check_endpoint_url(str(fields["url"]))
    return fields


def new_endpoint(org_id: str, fields: dict[str, Any], now: datetime) -> tuple[Endpoint, str]:
    """A new enabled endpoint of parsed creation ``fields`` and its secret (sealed in the endpoint)."""
    endpoint_id, secret = new_endpoint_id(), new_secret()
    endpoint = Endpoint(
        id=endpoint_id,
        url=fields["url"],
        event_types=fields["event_types"],
        filter=fields["filter"],
        description=fields["description"],
        status=ENABLED,
        disabled_reason=None,
        created_at=now,
        updated_at=now,
        sealed_secret=seal(secret, org_id, endpoint_id),
    )
    return endpoint, secret


def changed(fields: dict[str, Any], now: datetime) -> Callable[[Endpoint], dict[str, Any]]:
    """What a PATCH of parsed ``fields`` stores: the fields, ``updated_at``, and the status' reason
    (enabling clears it and the failures counted toward auto-disable; disabling says an admin did)."""

    def change(endpoint: Endpoint) -> dict[str, Any]:
        stored = {**fields, "updated_at": now}
        if "event_types" in stored:
            stored["event_types"] = list(stored["event_types"])
        status = fields.get("status")
        if status == ENABLED:
            stored["disabled_reason"] = None
            stored["failing_since"] = None  # auto-disable counts from the next failure
        elif status == DISABLED and endpoint.status == ENABLED:
            stored["disabled_reason"] = ADMIN_REASON
        return stored

    return change
