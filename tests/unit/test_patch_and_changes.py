"""PATCH bodies (shared/api/patch.py) and what each change writes (shared/model/changes.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.api.patch import parse_patch
from shared.errors import ValidationError
from shared.model.actor import Actor, ActorKind
from shared.model.changes import UNSET, EventChanges, dismissal
from shared.model.event import NOTES_MAX_CHARS, OPERATOR_DEFAULTS

NOW = datetime(2026, 4, 21, 14, 0, tzinfo=UTC)
EARLIER = datetime(2026, 4, 21, 13, 0, tzinfo=UTC)
ALICE = Actor.user("auth0|alice")
KEY = Actor(ActorKind.API_KEY, "k-123")


def body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def refusal(raw: bytes) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        parse_patch(raw)
    assert refused.value.status == 400
    return refused.value.fields


# -- the body --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (body(acknowledged=True), EventChanges(acknowledged=True)),
        (body(acknowledged=False), EventChanges(acknowledged=False)),
        (body(starred=True), EventChanges(starred=True)),
        (body(starred=False), EventChanges(starred=False)),
        (body(notes="gate left open"), EventChanges(notes="gate left open")),
        (body(notes=None), EventChanges(notes=None)),
        (body(notes=""), EventChanges(notes="")),
        (
            body(acknowledged=True, starred=False, notes="x"),
            EventChanges(acknowledged=True, starred=False, notes="x"),
        ),
    ],
)
def test_each_field_is_read_as_given(raw: bytes, expected: EventChanges) -> None:
    assert parse_patch(raw) == expected


def test_fields_not_given_are_left_unset() -> None:
    changes = parse_patch(body(starred=True))
    assert changes.acknowledged is UNSET and changes.notes is UNSET
    assert repr(UNSET) == "UNSET"


def test_notes_may_be_exactly_the_maximum_and_any_unicode() -> None:
    longest = "\u00e9" * NOTES_MAX_CHARS
    assert parse_patch(body(notes=longest)).notes == longest
    assert (
        parse_patch(body(notes="Caf\u00e9 \u6771\u4eac \U0001f4f7")).notes
        == "Caf\u00e9 \u6771\u4eac \U0001f4f7"
    )


@pytest.mark.parametrize("raw", [b"", b"   \n", b"not json", b"{", b"\xff\xfe", b"{'starred': true}"])
def test_an_empty_or_non_json_body_is_refused(raw: bytes) -> None:
    assert set(refusal(raw)) == {"body"}


@pytest.mark.parametrize("raw", [b"[]", b'"starred"', b"true", b"null", b"1", b'[{"starred": true}]'])
def test_a_body_that_is_not_an_object_is_refused(raw: bytes) -> None:
    assert refusal(raw) == {"body": "must be a JSON object with at least one field"}


def test_an_empty_object_names_the_fields_to_give() -> None:
    assert refusal(b"{}") == {"body": "is empty: give acknowledged, starred or notes"}


@pytest.mark.parametrize("name", ["id", "acknowledged_by", "acknowledged_at"])
def test_server_managed_fields_are_refused(name: str) -> None:
    assert refusal(body(**{name: "x"}, starred=True)) == {name: "is set by the server"}


@pytest.mark.parametrize("name", ["deleted", "camera_id", "summary", "Starred", "tags"])
def test_unknown_fields_are_refused(name: str) -> None:
    assert refusal(body(**{name: True})) == {name: "unknown field"}


@pytest.mark.parametrize("value", [1, 0, "true", None, [], {}])
@pytest.mark.parametrize("name", ["acknowledged", "starred"])
def test_flags_must_be_json_booleans(name: str, value: Any) -> None:
    assert refusal(body(**{name: value})) == {name: "must be true or false"}


@pytest.mark.parametrize(
    "raw",
    [
        body(notes=1),
        body(notes=["a"]),
        body(notes={"text": "a"}),
        body(notes=False),
        body(notes="x" * (NOTES_MAX_CHARS + 1)),
        b'{"notes": "lone \\ud800 surrogate"}',
    ],
)
def test_notes_must_be_a_short_storable_string_or_null(raw: bytes) -> None:
    assert refusal(raw) == {"notes": f"must be a string of at most {NOTES_MAX_CHARS} characters, or null"}


def test_every_bad_field_is_named_at_once() -> None:
    found = refusal(body(id="x", colour="red", acknowledged="yes", starred=1, notes=5))
    assert set(found) == {"id", "colour", "acknowledged", "starred", "notes"}


# -- what a change writes --------------------------------------------------------------------------------


def fresh() -> dict[str, Any]:
    """A stored event's operator fields as first loaded."""
    return dict(OPERATOR_DEFAULTS)


def test_acknowledge_records_the_actor_label_and_the_time() -> None:
    assert EventChanges(acknowledged=True).fields(fresh(), ALICE, NOW) == {
        "acknowledged": True,
        "acknowledged_by": "auth0|alice",
        "acknowledged_at": NOW,
    }


def test_acknowledge_by_an_api_key_records_its_label() -> None:
    written = EventChanges(acknowledged=True).fields(fresh(), KEY, NOW)
    assert written["acknowledged_by"] == "key:k-123"


def test_a_repeated_acknowledge_keeps_the_first() -> None:
    current = {**fresh(), "acknowledged": True, "acknowledged_by": "auth0|bob", "acknowledged_at": EARLIER}
    assert EventChanges(acknowledged=True).fields(current, ALICE, NOW) == {}


def test_unacknowledge_clears_all_three() -> None:
    current = {**fresh(), "acknowledged": True, "acknowledged_by": "auth0|bob", "acknowledged_at": EARLIER}
    assert EventChanges(acknowledged=False).fields(current, ALICE, NOW) == {
        "acknowledged": False,
        "acknowledged_by": None,
        "acknowledged_at": None,
    }


def test_acknowledge_after_a_clear_records_the_new_actor() -> None:
    cleared = {**fresh(), "acknowledged": False}
    assert EventChanges(acknowledged=True).fields(cleared, KEY, NOW)["acknowledged_by"] == "key:k-123"


@pytest.mark.parametrize(
    ("changes", "current"),
    [
        (EventChanges(acknowledged=False), fresh()),
        (EventChanges(starred=False), fresh()),
        (EventChanges(starred=True), {**fresh(), "starred": True}),
        (EventChanges(notes=None), fresh()),
        (EventChanges(notes="same"), {**fresh(), "notes": "same"}),
        (EventChanges(), fresh()),
        (
            EventChanges(acknowledged=True, starred=True, notes="n"),
            {**fresh(), "acknowledged": True, "starred": True, "notes": "n"},
        ),
    ],
)
def test_a_change_to_what_is_already_there_writes_nothing(
    changes: EventChanges, current: dict[str, Any]
) -> None:
    assert changes.fields(current, ALICE, NOW) == {}


def test_star_and_notes_are_written_as_given_and_only_what_differs() -> None:
    current = {**fresh(), "starred": True, "notes": "old"}
    assert EventChanges(starred=True, notes="new").fields(current, ALICE, NOW) == {"notes": "new"}
    assert EventChanges(starred=False, notes=None).fields(current, ALICE, NOW) == {
        "starred": False,
        "notes": None,
    }


def test_a_dismissal_marks_the_event_deleted_by_whom_and_when() -> None:
    assert dismissal(ALICE, NOW) == {"deleted": True, "deleted_at": NOW, "deleted_by": "auth0|alice"}
    assert dismissal(KEY, NOW)["deleted_by"] == "key:k-123"
