"""Query parameters of the list and the export (shared/api/query.py), rule by rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.api.query import DEFAULT_LIMIT, MAX_LIMIT, parse_list_query
from shared.errors import ValidationError
from shared.model.event import AI_STATUSES, TRIGGER_TYPES
from shared.model.filter import EventFilter

CAMERA = "550e8400-e29b-41d4-a716-446655440000"
SITE = "11111111-1111-4111-8111-111111111111"


def query(**params: str | list[str]) -> dict[str, list[str]]:
    """Parameters as the request gives them: name -> every value."""
    return {name: value if isinstance(value, list) else [value] for name, value in params.items()}


def problems(**params: str | list[str]) -> dict[str, str]:
    """The fields a refused query names."""
    with pytest.raises(ValidationError) as refused:
        parse_list_query(query(**params))
    assert refused.value.status == 400 and refused.value.code == "validation_error"
    return refused.value.fields


def test_no_parameters_is_every_event_one_default_page() -> None:
    parsed = parse_list_query({})
    assert parsed.filter == EventFilter()
    assert parsed.cursor is None
    assert parsed.limit == DEFAULT_LIMIT == 20


def test_every_parameter_at_once() -> None:
    parsed = parse_list_query(
        query(
            camera_id=CAMERA,
            site_id=SITE,
            date_from="2026-04-20",
            date_to="2026-04-21T13:45:22Z",
            trigger_type="motion",
            ai_status="failed",
            starred="true",
            cursor="abc.def",
            limit="7",
        )
    )
    assert parsed.filter == EventFilter(
        camera_id=CAMERA,
        site_id=SITE,
        date_from=datetime(2026, 4, 20, tzinfo=UTC),
        date_to=datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC),
        trigger_type="motion",
        ai_status="failed",
        starred=True,
    )
    assert parsed.cursor == "abc.def"
    assert parsed.limit == 7


# -- unknown and repeated ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["page", "offset", "camera", "Limit", "sort", ""])
def test_an_unknown_parameter_is_named(name: str) -> None:
    assert problems(**{name: "1"}) == {name: "unknown query parameter"}


@pytest.mark.parametrize("name", ["camera_id", "trigger_type", "limit", "cursor", "starred", "date_to"])
def test_a_repeated_parameter_is_refused_even_with_equal_values(name: str) -> None:
    value = {"camera_id": CAMERA, "trigger_type": "motion", "date_to": "2026-04-21"}.get(name, "true")
    assert problems(**{name: [value, value]}) == {name: "given more than once"}


def test_every_bad_field_is_named_at_once() -> None:
    bad: dict[str, list[str]] = {"bogus": ["1"], "site_id": [SITE, SITE], "cursor": [""], "limit": ["0"]}
    bad.update(camera_id=["nope"], trigger_type=["smoke"], ai_status=["done"], starred=["yes"])
    bad["date_from"] = ["yesterday"]
    with pytest.raises(ValidationError) as refused:
        parse_list_query(bad)
    assert sorted(refused.value.fields) == sorted(bad)


def test_the_message_lists_the_fields_in_order() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_list_query(query(trigger_type="smoke", ai_status="done"))
    assert refused.value.message == (
        "invalid query: ai_status: must be one of pending, completed, skipped, failed; "
        "trigger_type: must be one of motion, ai_tag, manual"
    )
    assert refused.value.body("req-1")["fields"] == refused.value.fields


# -- uuids -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["camera_id", "site_id"])
def test_ids_are_canonical_uuids_kept_in_lowercase(name: str) -> None:
    parsed = parse_list_query(query(**{name: CAMERA.upper()}))
    assert getattr(parsed.filter, name) == CAMERA


@pytest.mark.parametrize(
    "value",
    [
        "not-a-uuid",
        "",
        CAMERA.replace("-", ""),  # no dashes
        "{" + CAMERA + "}",
        CAMERA + "\n",
        " " + CAMERA,
        CAMERA[:-1],
        CAMERA[:-1] + "g",
        "urn:uuid:" + CAMERA,
    ],
)
@pytest.mark.parametrize("name", ["camera_id", "site_id"])
def test_anything_but_a_canonical_uuid_is_refused(name: str, value: str) -> None:
    assert problems(**{name: value}) == {name: "must be a uuid"}


# -- enums -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", TRIGGER_TYPES)
def test_each_trigger_type_filters(value: str) -> None:
    assert parse_list_query(query(trigger_type=value)).filter.trigger_type == value


@pytest.mark.parametrize("value", AI_STATUSES)
def test_each_ai_status_filters(value: str) -> None:
    assert parse_list_query(query(ai_status=value)).filter.ai_status == value


@pytest.mark.parametrize(
    ("name", "value"),
    [("trigger_type", "smoke"), ("trigger_type", "Motion"), ("trigger_type", ""), ("ai_status", "done")],
)
def test_enums_are_exact_and_name_their_values(name: str, value: str) -> None:
    allowed = {"trigger_type": TRIGGER_TYPES, "ai_status": AI_STATUSES}[name]
    assert problems(**{name: value}) == {name: f"must be one of {', '.join(allowed)}"}


# -- dates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-21T13:45:22Z", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-21t13:45:22z", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-21T15:45:22+02:00", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-20T23:00:00-05:00", datetime(2026, 4, 21, 4, 0, tzinfo=UTC)),
        ("2026-04-21T13:45:22.5Z", datetime(2026, 4, 21, 13, 45, 22, 500000, tzinfo=UTC)),
    ],
)
@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_rfc3339_bounds_with_any_offset_are_utc(name: str, text: str, expected: datetime) -> None:
    bound = getattr(parse_list_query(query(**{name: text})).filter, name)
    assert bound == expected and bound.tzinfo == UTC


def test_a_plain_date_from_is_the_first_microsecond_of_that_utc_day() -> None:
    assert parse_list_query(query(date_from="2026-04-20")).filter.date_from == datetime(
        2026, 4, 20, tzinfo=UTC
    )


def test_a_plain_date_to_covers_the_whole_utc_day() -> None:
    date_to = parse_list_query(query(date_to="2026-04-20")).filter.date_to
    assert date_to == datetime(2026, 4, 20, 23, 59, 59, 999999, tzinfo=UTC)


def test_the_same_plain_date_on_both_sides_is_that_whole_day() -> None:
    parsed = parse_list_query(query(date_from="2026-02-28", date_to="2026-02-28")).filter
    assert parsed.date_from == datetime(2026, 2, 28, tzinfo=UTC)
    assert parsed.date_to == datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-21T13:45:22",  # no offset
        "2026-04-21 13:45:22Z",
        "2026-04-21T13:45Z",
        "2026-13-01",
        "2026-02-30",
        "2026-4-1",
        "21/04/2026",
        "1745243122",
        "",
        "2026-04-21T25:00:00Z",
        "2026-04-21T13:45:22+0200",
    ],
)
@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_anything_but_rfc3339_or_a_date_is_refused(name: str, text: str) -> None:
    assert problems(**{name: text}) == {name: "must be RFC3339 (2026-04-21T13:45:22Z) or a date (2026-04-21)"}


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        ("2026-04-22", "2026-04-21"),
        ("2026-04-21T13:45:22.000001Z", "2026-04-21T13:45:22Z"),
        ("2026-04-21T12:00:00Z", "2026-04-21T13:00:00+02:00"),  # 11:00 UTC
    ],
)
def test_date_from_after_date_to_is_refused(date_from: str, date_to: str) -> None:
    assert problems(date_from=date_from, date_to=date_to) == {"date_from": "must not be after date_to"}


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        ("2026-04-21T13:45:22Z", "2026-04-21T13:45:22Z"),  # inclusive: one instant
        ("2026-04-21T23:59:59Z", "2026-04-21"),  # inside the day date_to covers
        ("2026-04-21T15:00:00+02:00", "2026-04-21T13:00:00Z"),  # the same instant
    ],
)
def test_equal_or_ordered_bounds_are_accepted(date_from: str, date_to: str) -> None:
    parsed = parse_list_query(query(date_from=date_from, date_to=date_to)).filter
    assert parsed.date_from is not None and parsed.date_to is not None
    assert parsed.date_from <= parsed.date_to


# -- limit -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("20", 20), ("99", 99), ("100", MAX_LIMIT)])
def test_a_limit_from_1_to_100(text: str, value: int) -> None:
    assert parse_list_query(query(limit=text)).limit == value


@pytest.mark.parametrize("text", ["0", "101", "1000", "-1", "+5", "1.5", "1e2", "abc", "", " 5", "5 ", "٣"])
def test_any_other_limit_is_refused(text: str) -> None:
    assert problems(limit=text) == {"limit": "must be an integer from 1 to 100"}


def test_the_export_has_no_default_limit_and_its_own_maximum() -> None:
    assert parse_list_query({}, default_limit=None, max_limit=10_000).limit is None
    assert parse_list_query(query(limit="10000"), default_limit=None, max_limit=10_000).limit == 10_000
    with pytest.raises(ValidationError) as refused:
        parse_list_query(query(limit="10001"), default_limit=None, max_limit=10_000)
    assert refused.value.fields == {"limit": "must be an integer from 1 to 10000"}


# -- starred and cursor ----------------------------------------------------------------------------------


def test_starred_true_keeps_only_starred_events() -> None:
    assert parse_list_query(query(starred="true")).filter.starred is True


def test_starred_false_does_not_filter() -> None:
    parsed = parse_list_query(query(starred="false"))
    assert parsed.filter.starred is None
    assert parsed.filter == EventFilter()
    assert parsed.filter.fingerprint() == EventFilter().fingerprint()


@pytest.mark.parametrize("text", ["True", "1", "yes", "", "false "])
def test_starred_takes_only_true_or_false(text: str) -> None:
    assert problems(starred=text) == {"starred": "must be true or false"}


def test_a_cursor_is_passed_through_and_must_not_be_empty() -> None:
    assert parse_list_query(query(cursor="opaque.text")).cursor == "opaque.text"
    assert problems(cursor="") == {"cursor": "must not be empty"}
