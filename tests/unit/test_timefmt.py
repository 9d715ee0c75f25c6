"""Times on the wire (shared/timefmt.py): RFC3339 in with any offset, RFC3339 UTC ``Z`` out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.timefmt import ONE_MICROSECOND, format_rfc3339, parse_bound, parse_rfc3339, utcnow


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-21T13:45:22Z", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-21t13:45:22z", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-21T13:45:22+00:00", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-21T13:45:22-00:00", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-21T15:45:22+02:00", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-21T00:30:00+05:30", datetime(2026, 4, 20, 19, 0, tzinfo=UTC)),
        ("2026-12-31T23:00:00-02:00", datetime(2027, 1, 1, 1, 0, tzinfo=UTC)),
        ("2026-04-21T13:45:22.1Z", datetime(2026, 4, 21, 13, 45, 22, 100000, tzinfo=UTC)),
        ("2026-04-21T13:45:22.123456Z", datetime(2026, 4, 21, 13, 45, 22, 123456, tzinfo=UTC)),
        # more digits than Python keeps: cut to microseconds, never rounded up
        ("2026-04-21T13:45:22.123456789Z", datetime(2026, 4, 21, 13, 45, 22, 123456, tzinfo=UTC)),
        ("2026-04-21T13:45:22.999999999+01:00", datetime(2026, 4, 21, 12, 45, 22, 999999, tzinfo=UTC)),
    ],
)
def test_rfc3339_with_any_offset_is_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0) and parsed.tzinfo == UTC


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-21",  # a date is only a bound
        "2026-04-21T13:45:22",
        "2026-04-21 13:45:22Z",
        "2026-04-21T13:45Z",
        "2026-04-21T13:45:22.Z",
        "2026-04-21T13:45:22.1234567890Z",  # at most nine fraction digits
        "2026-04-21T13:45:22+02",
        "2026-04-21T13:45:22+0200",
        "2026-04-21T24:00:00Z",
        "2026-02-29T00:00:00Z",  # 2026 is no leap year
        " 2026-04-21T13:45:22Z",
        "2026-04-21T13:45:22Z\n",
        "",
    ],
)
def test_anything_else_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_a_date_bound_is_the_first_or_last_microsecond_of_that_utc_day() -> None:
    start = parse_bound("2026-04-21", end_of_day=False)
    end = parse_bound("2026-04-21", end_of_day=True)
    assert start == datetime(2026, 4, 21, tzinfo=UTC)
    assert end == datetime(2026, 4, 21, 23, 59, 59, 999999, tzinfo=UTC)
    assert end + ONE_MICROSECOND == datetime(2026, 4, 22, tzinfo=UTC)
    assert parse_bound("2024-02-29", end_of_day=True) == datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize("end_of_day", [False, True])
def test_an_rfc3339_bound_is_that_instant_either_way(end_of_day: bool) -> None:
    assert parse_bound("2026-04-21T13:45:22+02:00", end_of_day=end_of_day) == datetime(
        2026, 4, 21, 11, 45, 22, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["2026-02-29", "2026-04-31", "2026-4-21", "20260421", "2026-04-21Z"])
def test_a_bad_date_bound_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bound(text, end_of_day=False)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC), "2026-04-21T13:45:22Z"),
        (datetime(2026, 4, 21, 13, 45, 22, 500000, tzinfo=UTC), "2026-04-21T13:45:22.5Z"),
        (datetime(2026, 4, 21, 13, 45, 22, 120, tzinfo=UTC), "2026-04-21T13:45:22.00012Z"),
        (datetime(2026, 4, 21, 13, 45, 22, 1, tzinfo=UTC), "2026-04-21T13:45:22.000001Z"),
        (datetime(2026, 4, 21, 15, 45, 22, tzinfo=timezone(timedelta(hours=2))), "2026-04-21T13:45:22Z"),
        (datetime(2026, 4, 20, 23, 0, tzinfo=timezone(timedelta(hours=-5))), "2026-04-21T04:00:00Z"),
    ],
)
def test_format_is_utc_with_z_and_microseconds_only_when_there_are_some(moment: datetime, text: str) -> None:
    assert format_rfc3339(moment) == text


def test_format_keeps_none() -> None:
    assert format_rfc3339(None) is None


@pytest.mark.parametrize("micro", [0, 1, 10, 500000, 999999])
def test_format_then_parse_is_the_same_instant(micro: int) -> None:
    moment = datetime(2026, 4, 21, 13, 45, 22, micro, tzinfo=UTC)
    text = format_rfc3339(moment)
    assert text is not None and parse_rfc3339(text) == moment


def test_utcnow_is_aware_utc_and_now() -> None:
    before = datetime.now(UTC)
    now = utcnow()
    assert now.tzinfo == UTC
    assert before <= now <= datetime.now(UTC)
