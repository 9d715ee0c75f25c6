"""Page cursors (shared/api/cursor.py): signed, bound to the org, the caller's scope (role and sites) and
the filter, opaque to callers."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from shared.api.cursor import decode, encode, scope_digest
from shared.errors import ConfigurationError, ValidationError
from shared.model.event import Position
from shared.model.filter import EventFilter
from shared.model.scope import Scope
from tests.conftest import reset_caches

ORG = "org-cursor"
SCOPE, ROLE = Scope(ORG), "OPERATOR"
DIGEST = scope_digest(SCOPE, ROLE)
SITE_A, SITE_B = "550e8400-e29b-41d4-a716-446655440001", "550e8400-e29b-41d4-a716-446655440002"
AT = datetime(2026, 4, 21, 13, 45, 22, 123456, tzinfo=UTC)
POSITION = Position(AT, "0b0e8400-e29b-41d4-a716-446655440000")
FILTER = EventFilter(trigger_type="motion", starred=True)
REFUSAL = {"cursor": "is not a cursor issued for this org and these filters"}


@pytest.fixture(autouse=True)
def _cursor_key(settings_env: dict[str, str]) -> None:
    """Cursors are signed under the tests' EVENTS_CURSOR_KEY."""


def refused(cursor: str, org_id: str = ORG, event_filter: EventFilter = FILTER) -> dict[str, str]:
    with pytest.raises(ValidationError) as error:
        decode(cursor, Scope(org_id), ROLE, event_filter)
    return error.value.fields


def payload_of(cursor: str) -> dict[str, object]:
    text = cursor.partition(".")[0]
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return data


def with_payload(cursor: str, payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + "." + cursor.partition(".")[2]


def test_round_trip_keeps_the_position_to_the_microsecond() -> None:
    cursor = encode(POSITION, SCOPE, ROLE, FILTER)
    assert decode(cursor, SCOPE, ROLE, FILTER) == POSITION
    assert decode(cursor, SCOPE, ROLE, FILTER).triggered_at.tzinfo == UTC


def test_a_cursor_is_url_safe_text_that_names_only_the_position() -> None:
    cursor = encode(POSITION, SCOPE, ROLE, FILTER)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert cursor.count(".") == 1 and "=" not in cursor
    assert payload_of(cursor) == {"t": 1776779122123456, "i": POSITION.event_id, "s": DIGEST}
    assert ORG not in cursor


def test_the_same_position_org_and_filter_give_the_same_cursor() -> None:
    assert encode(POSITION, SCOPE, ROLE, FILTER) == encode(
        POSITION, SCOPE, ROLE, EventFilter(trigger_type="motion", starred=True)
    )


def test_another_org_is_refused() -> None:
    cursor = encode(POSITION, SCOPE, ROLE, FILTER)
    assert refused(cursor, org_id="org-other") == REFUSAL


@pytest.mark.parametrize(
    "other",
    [
        EventFilter(),
        EventFilter(trigger_type="manual", starred=True),
        EventFilter(trigger_type="motion"),
        EventFilter(trigger_type="motion", starred=True, date_to=AT),
        EventFilter(trigger_type="motion", starred=True, camera_id="550e8400-e29b-41d4-a716-446655440000"),
    ],
)
def test_other_filters_are_refused(other: EventFilter) -> None:
    cursor = encode(POSITION, SCOPE, ROLE, FILTER)
    assert refused(cursor, event_filter=other) == REFUSAL


def test_a_changed_position_is_refused() -> None:
    cursor = encode(POSITION, SCOPE, ROLE, FILTER)
    moved_position = {"t": 1776779122123457, "i": POSITION.event_id, "s": DIGEST}
    moved = with_payload(cursor, json.dumps(moved_position).encode())
    assert refused(moved) == REFUSAL


@pytest.mark.parametrize("index", [0, 5, -1])
def test_a_changed_character_anywhere_is_refused(index: int) -> None:
    cursor = encode(POSITION, SCOPE, ROLE, FILTER)
    swapped = "A" if cursor[index] != "A" else "B"
    tampered = cursor[:index] + swapped + cursor[index + 1 :] if index >= 0 else cursor[:index] + swapped
    assert refused(tampered) == REFUSAL


@pytest.mark.parametrize(
    "cursor",
    ["", ".", "abc", "abc.", ".abc", "not a cursor", "a.b.c", "%%%.%%%"],
)
def test_garbage_is_refused(cursor: str) -> None:
    assert refused(cursor) == REFUSAL


def test_another_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    cursor = encode(POSITION, SCOPE, ROLE, FILTER)
    monkeypatch.setenv("EVENTS_CURSOR_KEY", "another-cursor-key-0123456789abcdef")
    reset_caches()
    assert refused(cursor) == REFUSAL
    assert decode(encode(POSITION, SCOPE, ROLE, FILTER), SCOPE, ROLE, FILTER) == POSITION


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'{"t": 1, "s": "%s"}',
        b'{"i": "x", "s": "%s"}',
        b'{"t": "1", "i": "x", "s": "%s"}',
        b'{"t": 1, "i": 2, "s": "%s"}',
        b'{"t": 99999999999999999999999, "i": "x", "s": "%s"}',
    ],
)
def test_a_signed_payload_of_the_wrong_shape_is_refused(payload: bytes) -> None:
    """Even a correctly signed cursor must name a position (a defence if the key ever leaked)."""
    from shared.api import cursor as module

    payload = payload.replace(b"%s", DIGEST.encode())
    text = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    signed = f"{text}.{module._signature(text, ORG, FILTER)}"
    assert refused(signed) == REFUSAL


def test_without_a_cursor_key_the_server_is_misconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTS_CURSOR_KEY")
    reset_caches()
    with pytest.raises(ConfigurationError, match="EVENTS_CURSOR_KEY"):
        encode(POSITION, SCOPE, ROLE, FILTER)


def test_a_short_cursor_key_is_refused_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTS_CURSOR_KEY", "too-short")
    reset_caches()
    with pytest.raises(ConfigurationError, match="at least 16"):
        encode(POSITION, SCOPE, ROLE, FILTER)


@pytest.mark.parametrize(
    ("scope", "role"),
    [
        (SCOPE, "VIEWER"),
        (SCOPE, "ADMIN"),
        (Scope(ORG, frozenset({SITE_A})), "VIEWER"),
        (Scope(ORG, frozenset({SITE_A, SITE_B})), "OPERATOR"),
    ],
)
def test_a_caller_of_another_role_or_other_sites_is_refused(scope: Scope, role: str) -> None:
    cursor = encode(POSITION, SCOPE, ROLE, FILTER)
    with pytest.raises(ValidationError) as error:
        decode(cursor, scope, role, FILTER)
    assert set(error.value.fields) == {"cursor"} and "another role or other sites" in error.value.message


def test_a_viewer_cursor_serves_the_same_sites_in_any_order_only() -> None:
    viewer = Scope(ORG, frozenset({SITE_A, SITE_B}))
    cursor = encode(POSITION, viewer, "VIEWER", FILTER)
    assert decode(cursor, Scope(ORG, frozenset({SITE_B, SITE_A})), "VIEWER", FILTER) == POSITION
    with pytest.raises(ValidationError):
        decode(cursor, Scope(ORG, frozenset({SITE_A})), "VIEWER", FILTER)
