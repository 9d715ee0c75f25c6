"""Properties of the parsers that take outside input, checked with Hypothesis on generated input.

For every input each parser gives a value or its validation error (``ValueError`` where its contract
says so, :class:`~shared.errors.ValidationError` otherwise), never another exception: the date parser
(``shared.timefmt`` and the list query's ``date_from``/``date_to``), the cursor decoder, the PATCH
body, the loader's line parser and the loader's per-line handling. The CSV export reads back, cell for
cell, with Python's ``csv`` module, and no free-text cell starts like a formula. A JWT whose numeric
claim is a numeric string is refused.

Examples are bounded (``max_examples``) so the module runs in seconds, and no example database is kept
(``database=None``): a failure prints its minimal example and a ``@reproduce_failure`` blob. Inputs that
must always be tried (extreme dates, 100,000-deep JSON, lone surrogates) are ``@example``s.
"""

from __future__ import annotations

import base64
import calendar
import contextlib
import csv
import io
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar, cast

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import Headers

from devstack.loader import load_lines
from devstack.tokens import mint_token
from shared.api.cursor import _signature, decode, encode, scope_digest
from shared.api.patch import parse_patch
from shared.api.query import parse_list_query
from shared.edge.auth import Role, authenticate_user
from shared.errors import AuthRequired, ValidationError
from shared.exports.csv_format import COLUMNS, FREE_TEXT, csv_chunks
from shared.model.changes import UNSET, EventChanges
from shared.model.event import AI_STATUSES, NOTES_MAX_CHARS, TRIGGER_TYPES, Event, Position
from shared.model.filter import EventFilter
from shared.model.scope import Scope
from shared.pipeline import parse_pipeline_event
from shared.store.events import EventStore, LoadCounts
from shared.timefmt import format_rfc3339, parse_bound, parse_rfc3339

T = TypeVar("T")
E = TypeVar("E", bound=Exception)

# Function-scoped fixtures (the settings in the environment) are the same for every example.
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

ORG = "org-props"
FORMULA_CHARACTERS = ("=", "+", "-", "@", "\t", "\r", "\n")
FIRST_MICROSECOND = datetime.min.replace(tzinfo=UTC)
LAST_MICROSECOND = datetime.max.replace(tzinfo=UTC)


def outcome(call: Callable[[], T], refusal: type[E]) -> T | E:
    """What ``call`` gives: its value, or the refusal its contract allows. Any other exception
    propagates and fails the property with its traceback."""
    try:
        return call()
    except refusal as exc:
        return exc


def assert_utc(moment: object) -> datetime:
    assert isinstance(moment, datetime), moment
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0), moment
    return moment


# -- generated values ------------------------------------------------------------------------------------

# Any text: control characters, separators, formula starts, any Unicode, lone surrogates included (a JSON
# "\ud800" escape makes one). VALID_TEXT is the same without lone surrogates: text Firestore can store.
NASTY = "=+-@\t\r\n'\",; \x00\x0b\x0c\x1c\x85\u2028\u2029\ufeff\\.Zz:T0123456789"
TEXT = st.text(alphabet=st.one_of(st.sampled_from(NASTY), st.characters()), max_size=40)
VALID_CHARACTERS = st.characters(codec="utf-8")
VALID_TEXT = st.text(alphabet=st.one_of(st.sampled_from(NASTY), VALID_CHARACTERS), max_size=40)
UUIDS = st.uuids().map(str)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    TEXT,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
UTC_DATETIMES = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999), timezones=st.just(UTC)
)

OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda minutes: timedelta(minutes=minutes))


@st.composite
def _moments(draw: st.DrawFn) -> datetime:
    moment = draw(UTC_DATETIMES)
    if draw(st.booleans()):
        with contextlib.suppress(OverflowError):  # that instant with this offset is past year 1 or 9999
            moment = moment.astimezone(timezone(draw(OFFSETS)))
    return moment


MOMENTS = _moments()  # any instant of years 1-9999 UTC, written in UTC or with an offset


@dataclass(frozen=True)
class Stamp:
    """A generated time text and what parsing it must give.

    ``instant``: the UTC instant it names, when it is valid and Python can hold that instant;
    ``valid``: whether it is valid at all (a valid time may still name an instant outside years 1-9999);
    ``leap``: a leap second (:60), which parsers may take or refuse; ``day``: a plain ``YYYY-MM-DD``.
    """

    text: str
    valid: bool
    instant: datetime | None = None
    leap: bool = False
    day: bool = False


AFFIXES = st.sampled_from(["\n", "\r\n", "\r", " ", "\t", "\x00", "\x0b", "\u2028", "\ufeff", "Z", "0", "x"])


@st.composite
def affixed(draw: st.DrawFn) -> tuple[str, str]:
    """A prefix and a suffix: usually none, else something a whole-value pattern must refuse."""
    if draw(st.booleans()):
        return "", ""
    prefix = draw(st.one_of(st.just(""), AFFIXES, st.text(max_size=2)))
    suffix = draw(st.one_of(AFFIXES, st.text(min_size=1, max_size=2))) if not prefix else ""
    return prefix, suffix


def _field(
    low: int, high: int, edges: list[int], *, in_range: bool, beyond: int = 1
) -> st.SearchStrategy[int]:
    """A number from ``low`` to ``high`` (often one of ``edges``), or ``beyond`` past either end."""
    numbers = st.integers(low, high) if in_range else st.integers(max(0, low - beyond), high + beyond)
    return st.one_of(st.sampled_from(edges), numbers)


@st.composite
def _day(draw: st.DrawFn, *, in_range: bool) -> tuple[int, int, int]:
    """Year, month and day: often the first or the last day Python has; a calendar day when
    ``in_range``, else any two-digit month and day (0, 13, 32, February 30...)."""
    end = draw(st.sampled_from(["any", "first", "last", "any"]))
    if end == "first":
        return 1, 1, 1
    if end == "last":
        return 9999, 12, 31
    year = draw(_field(1, 9999, [1, 2, 1969, 1970, 2024, 2026, 9998, 9999], in_range=in_range))
    month = draw(_field(1, 12, [1, 2, 12], in_range=in_range))
    last = calendar.monthrange(max(year, 1), month)[1] if in_range else 31
    return year, month, draw(_field(1, last, [1, 28, last], in_range=in_range))


@st.composite
def plain_dates(draw: st.DrawFn) -> Stamp:
    """``YYYY-MM-DD`` texts around and inside the calendar."""
    year, month, day = draw(_day(in_range=draw(st.booleans())))
    prefix, suffix = draw(affixed())
    text = f"{prefix}{year:04d}-{month:02d}-{day:02d}{suffix}"
    try:
        day_value = date(year, month, day)
    except ValueError:
        return Stamp(text, valid=False, day=True)
    if prefix or suffix:
        return Stamp(text, valid=False, day=True)
    return Stamp(text, valid=True, instant=datetime.combine(day_value, datetime.min.time(), UTC), day=True)


@st.composite
def rfc3339_texts(draw: st.DrawFn) -> Stamp:
    """RFC3339-shaped texts, in range and out, with any offset, fraction and case: every field in its
    range half the time, else any of them just past it (hour 24, minute 60, offset +24:00 or +00:60...)."""
    in_range = draw(st.booleans())
    year, month, day = draw(_day(in_range=in_range))
    hour = draw(_field(0, 23, [0, 23], in_range=in_range))
    minute = draw(_field(0, 59, [0, 59], in_range=in_range))
    second = draw(_field(0, 59, [0, 59], in_range=in_range, beyond=2))
    fraction = draw(st.none() | st.text("0123456789", min_size=1, max_size=9 if in_range else 11))
    zone = draw(
        st.one_of(
            st.sampled_from(["Z", "z"]),
            st.tuples(
                st.sampled_from("+-"),
                _field(0, 23, [0, 1, 23], in_range=in_range, beyond=2),
                _field(0, 59, [0, 59], in_range=in_range),
            ),
        )
    )
    separator = draw(st.sampled_from("Tt"))
    prefix, suffix = draw(affixed())
    zone_text = zone if isinstance(zone, str) else f"{zone[0]}{zone[1]:02d}:{zone[2]:02d}"
    text = (
        f"{prefix}{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}"
        f"{'' if fraction is None else '.' + fraction}{zone_text}{suffix}"
    )
    if prefix or suffix or (fraction is not None and len(fraction) > 9):
        return Stamp(text, valid=False)
    if isinstance(zone, str):
        offset = timedelta(0)
    elif zone[1] > 23 or zone[2] > 59:
        return Stamp(text, valid=False)
    else:
        offset = (1 if zone[0] == "+" else -1) * timedelta(hours=zone[1], minutes=zone[2])
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        local = datetime(year, month, day, hour, minute, second, micros)
    except ValueError:
        return Stamp(text, valid=False, leap=second == 60 and _exists(year, month, day, hour, minute))
    try:
        return Stamp(text, valid=True, instant=(local - offset).replace(tzinfo=UTC))
    except OverflowError:
        return Stamp(text, valid=True)  # valid RFC3339, but before year 1 or after 9999 in UTC


def _exists(year: int, month: int, day: int, hour: int, minute: int) -> bool:
    try:
        datetime(year, month, day, hour, minute)
    except ValueError:
        return False
    return True


WHOLE_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
WHOLE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_LIKE = r"\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2}))?"
# Any text; text containing something date-like anywhere; date-like text with any digits (``\d`` is
# Unicode: Arabic-Indic digits match it).
ANY_TIME_TEXT = st.one_of(TEXT, st.text(), st.from_regex(DATE_LIKE), st.from_regex(DATE_LIKE, fullmatch=True))


def _stamp(text: str, instant: datetime | None, *, valid: bool = True, day: bool = False) -> Stamp:
    return Stamp(text, valid=valid, instant=instant, day=day)


# Extreme but valid times (the instant when Python can hold it in UTC, else None), and near misses.
EXTREME_STAMPS = (
    _stamp("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    _stamp("9999-12-31T23:59:59.999999999Z", LAST_MICROSECOND),
    _stamp("9999-12-31T23:59:59+01:00", datetime(9999, 12, 31, 22, 59, 59, tzinfo=UTC)),
    _stamp("0001-01-01T00:00:00Z", FIRST_MICROSECOND),
    _stamp("0001-01-01T00:00:00-01:00", datetime(1, 1, 1, 1, tzinfo=UTC)),
    _stamp("9999-12-31T23:59:59-01:00", None),
    _stamp("9999-12-31T23:00:00-23:59", None),
    _stamp("0001-01-01T00:00:00+01:00", None),
    _stamp("0001-01-01T00:59:59.999999+01:00", None),
    _stamp("9999-12-31", LAST_MICROSECOND.replace(hour=0, minute=0, second=0, microsecond=0), day=True),
    _stamp("0001-01-01", FIRST_MICROSECOND, day=True),
    _stamp("2024-02-29", datetime(2024, 2, 29, tzinfo=UTC), day=True),
    _stamp("2026-04-21\n", None, valid=False, day=True),
    _stamp("2026-04-21T13:45:22Z\n", None, valid=False),
    _stamp("2026-04-21T13:45:22Z\r\n", None, valid=False),
    _stamp("\n2026-04-21", None, valid=False, day=True),
    _stamp("2026-04-21T00:00:00+00:60", None, valid=False),  # offset minutes are 00-59
    _stamp("2026-04-21T00:00:00-05:99", None, valid=False),
)


def with_examples(*stamps: Stamp, bounds: bool) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Always try these stamps before the generated ones (as lower and upper bounds when ``bounds``)."""

    def wrap(test: Callable[..., None]) -> Callable[..., None]:
        for stamp in reversed(stamps):
            test = example(stamp, True)(example(stamp, False)(test)) if bounds else example(stamp)(test)
        return test

    return wrap


@dataclass(frozen=True)
class Repeated:
    """Big input, printed small when a property fails: ``head + unit * count + middle + closer * count
    + tail`` (``Repeated("", "[", 1000, "", "]", "")`` is JSON nested 1,000 deep)."""

    head: str
    unit: str
    count: int
    middle: str = ""
    closer: str = ""
    tail: str = ""

    def encode(self) -> bytes:
        return (
            self.head + self.unit * self.count + self.middle + self.closer * self.count + self.tail
        ).encode()


def deep(opener: str, depth: int, *, closed: bool = True) -> Repeated:
    """JSON nested ``depth`` levels: ``[[[...]]]`` or ``{"a":{"a":...1}}`` (unterminated unless closed)."""
    closer = ("]" if opener == "[" else "}") if closed else ""
    return Repeated("", opener, depth, "" if opener == "[" else "1", closer)


def huge_number(head: str, digits: int, tail: str) -> Repeated:
    """JSON with a number of ``digits`` digits (past Python's 4,300-digit int limit when large)."""
    return Repeated(head, "9", digits, tail=tail)


def raw_bytes(value: bytes | Repeated) -> bytes:
    return value.encode() if isinstance(value, Repeated) else value


NESTINGS = ("[", '{"a":', '{"t":', '{"notes":', '{"acknowledged":')
DEEP = st.builds(deep, st.sampled_from(NESTINGS), st.integers(1, 3_000), closed=st.booleans())


# -- times: shared/timefmt.py -------------------------------------------------------------------------


@PROPERTY
@with_examples(*(stamp for stamp in EXTREME_STAMPS if not stamp.day), bounds=False)
@given(rfc3339_texts())
def test_rfc3339_text_is_its_utc_instant_or_a_value_error(stamp: Stamp) -> None:
    result = outcome(lambda: parse_rfc3339(stamp.text), ValueError)
    if stamp.instant is not None:
        assert assert_utc(result) == stamp.instant
    elif not stamp.leap:  # invalid, or valid but outside years 1-9999 once in UTC: nothing to return
        assert isinstance(result, ValueError), result


@PROPERTY
@with_examples(*EXTREME_STAMPS, bounds=True)
@given(st.one_of(rfc3339_texts(), plain_dates()), st.booleans())
def test_a_bound_is_its_instant_or_its_day_or_a_value_error(stamp: Stamp, end_of_day: bool) -> None:
    result = outcome(lambda: parse_bound(stamp.text, end_of_day=end_of_day), ValueError)
    if stamp.day and stamp.instant is not None:  # the first or the last microsecond of that UTC day
        expected = stamp.instant + timedelta(days=1, microseconds=-1) if end_of_day else stamp.instant
        assert assert_utc(result) == expected
    elif stamp.instant is not None:
        assert assert_utc(result) == stamp.instant
    elif stamp.valid:  # a time outside years 1-9999 in UTC: refused, or the range's end as a bound
        assert isinstance(result, ValueError) or assert_utc(result) in (FIRST_MICROSECOND, LAST_MICROSECOND)
    elif not stamp.leap:
        assert isinstance(result, ValueError), result


@PROPERTY
@example("2026-04-21\n", True)
@example("2026-04-21T13:45:22Z\n", True)
@example("2026-04-21T13:45:22Z\x00", False)
@example("\u0662\u0660\u0662\u0666-\u0660\u0664-\u0662\u0661", False)  # Arabic-Indic digits match \d
@example("2026-04-21T13:45:22.\u0661Z", True)
@given(ANY_TIME_TEXT, st.booleans())
def test_any_text_is_a_time_or_a_value_error_and_patterns_match_whole_values(
    text: str, end_of_day: bool
) -> None:
    moment = outcome(lambda: parse_rfc3339(text), ValueError)
    if not isinstance(moment, ValueError):
        assert_utc(moment)
        assert WHOLE_RFC3339.fullmatch(text), f"took {text!r}"
    bound = outcome(lambda: parse_bound(text, end_of_day=end_of_day), ValueError)
    if not isinstance(bound, ValueError):
        assert_utc(bound)
        assert WHOLE_RFC3339.fullmatch(text) or WHOLE_DATE.fullmatch(text), f"took {text!r}"


@PROPERTY
@example(datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC))
@example(FIRST_MICROSECOND)
@example(LAST_MICROSECOND)
@given(MOMENTS)
def test_a_formatted_time_is_rfc3339_that_parses_back_to_the_same_instant(moment: datetime) -> None:
    """What the API and the export write, the API reads back: four-digit years, Z, no lost digits."""
    text = format_rfc3339(moment)
    assert text is not None and WHOLE_RFC3339.fullmatch(text) and text.endswith("Z"), text
    assert parse_rfc3339(text) == moment


BOUND_TEXTS = st.one_of(
    rfc3339_texts().map(lambda stamp: stamp.text),
    plain_dates().map(lambda stamp: stamp.text),
    st.sampled_from([stamp.text for stamp in EXTREME_STAMPS]),
    ANY_TIME_TEXT,
)


@PROPERTY
@example("0001-01-01T00:00:00+01:00", "9999-12-31")
@example("0001-01-01", "9999-12-31T23:59:59-01:00")
@example("9999-12-31", "9999-12-31")
@example("2026-04-21\n", None)
@example(None, "2026-04-21\n")
@given(st.none() | BOUND_TEXTS, st.none() | BOUND_TEXTS)
def test_list_query_dates_are_a_filter_or_a_validation_error_naming_them(
    date_from: str | None, date_to: str | None
) -> None:
    given_args = {
        name: [value] for name, value in (("date_from", date_from), ("date_to", date_to)) if value is not None
    }
    result = outcome(lambda: parse_list_query(given_args), ValidationError)
    if isinstance(result, ValidationError):
        assert result.fields and set(result.fields) <= set(given_args), result.fields
        for name, (text,) in given_args.items():
            if not (WHOLE_RFC3339.fullmatch(text) or WHOLE_DATE.fullmatch(text)):
                assert name in result.fields, (name, text, result.fields)
        return
    low, high = result.filter.date_from, result.filter.date_to
    for name, value in given_args.items():
        text = value[0]
        assert WHOLE_RFC3339.fullmatch(text) or WHOLE_DATE.fullmatch(text), f"{name} took {text!r}"
        assert assert_utc(low if name == "date_from" else high) == parse_bound(
            text, end_of_day=name == "date_to"
        )
    assert low is None or high is None or low <= high


# -- cursors: shared/api/cursor.py ------------------------------------------------------------------------

FILTERS = st.builds(
    EventFilter,
    camera_id=st.none() | UUIDS,
    site_id=st.none() | UUIDS,
    date_from=st.none() | UTC_DATETIMES,
    date_to=st.none() | UTC_DATETIMES,
    trigger_type=st.none() | st.sampled_from(TRIGGER_TYPES),
    ai_status=st.none() | st.sampled_from(AI_STATUSES),
    starred=st.none() | st.just(True),
)
FILTER = EventFilter(trigger_type="motion", starred=True)
SCOPE, ROLE = Scope(ORG), "OPERATOR"
DIGEST = scope_digest(SCOPE, ROLE)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@st.composite
def positions(draw: st.DrawFn) -> Position:
    """Positions of stored events: any time in years 1-9999 (UTC or an offset), a uuid id."""
    return Position(draw(MOMENTS), draw(UUIDS))


@PROPERTY
@example("")
@example(".")
@example("\ud800")  # a lone surrogate: a Python str can hold one (werkzeug's query decoding makes none)
@example("e30.\udfff")
@given(st.one_of(TEXT, st.text(), st.from_regex(r"[A-Za-z0-9_=-]*\.[A-Za-z0-9_=-]*", fullmatch=True)))
def test_any_string_is_refused_as_a_cursor(settings_env: dict[str, str], text: str) -> None:
    result = outcome(lambda: decode(text, SCOPE, ROLE, FILTER), ValidationError)
    assert isinstance(result, ValidationError), result
    assert set(result.fields) == {"cursor"}


@PROPERTY
@given(positions(), FILTERS)
def test_a_cursor_decodes_to_its_position_for_its_org_and_filter_only(
    settings_env: dict[str, str], position: Position, event_filter: EventFilter
) -> None:
    cursor = encode(position, SCOPE, ROLE, event_filter)
    decoded = decode(cursor, SCOPE, ROLE, event_filter)
    assert decoded == position and decoded.event_id == position.event_id
    assert assert_utc(decoded.triggered_at) == position.triggered_at
    other_filter = EventFilter(site_id=str(uuid.UUID(int=7)), starred=True)
    viewer = Scope(ORG, frozenset({str(uuid.UUID(int=7))}))
    for scope, role, other in (
        (Scope(f"{ORG}-other"), ROLE, event_filter),
        (SCOPE, ROLE, other_filter),
        (SCOPE, "ADMIN", event_filter),
        (viewer, "VIEWER", event_filter),
    ):
        if (scope, role, other) != (SCOPE, ROLE, event_filter):
            refused = outcome(lambda: decode(cursor, scope, role, other), ValidationError)  # noqa: B023
            assert isinstance(refused, ValidationError), refused


@PROPERTY
@given(positions(), st.data())
def test_a_cursor_with_a_changed_payload_or_signature_is_refused(
    settings_env: dict[str, str], position: Position, data: st.DataObject
) -> None:
    payload, _, signature = encode(position, SCOPE, ROLE, FILTER).partition(".")
    index = data.draw(st.integers(0, len(payload)))
    changed = data.draw(
        st.one_of(
            st.builds(lambda c: payload[:index] + c + payload[index + 1 :], VALID_CHARACTERS),
            st.builds(lambda more: payload[:index] + more, st.text(VALID_CHARACTERS, max_size=5)),
            st.builds(lambda t, i: b64(json.dumps({"t": t, "i": i}).encode()), st.integers(), UUIDS),
            VALID_TEXT,
        ).filter(lambda text: text != payload)
    )
    result = outcome(lambda: decode(f"{changed}.{signature}", SCOPE, ROLE, FILTER), ValidationError)
    assert isinstance(result, ValidationError), result
    other_signature = data.draw(st.text(VALID_CHARACTERS, max_size=50).filter(lambda text: text != signature))
    result = outcome(lambda: decode(f"{payload}.{other_signature}", SCOPE, ROLE, FILTER), ValidationError)
    assert isinstance(result, ValidationError), result


MICROS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([2**63, -(2**63), 10**18, -(10**18), 253402300800 * 10**6, -62135596800 * 10**6 - 1]),
    JSON_SCALARS,
)
SIGNED_PAYLOADS = st.one_of(
    st.builds(
        lambda t, i: b64(json.dumps({"t": t, "i": i, "s": DIGEST}).encode()),
        MICROS,
        st.one_of(UUIDS, JSON_VALUES),
    ),
    st.builds(lambda value: b64(json.dumps(value).encode()), JSON_VALUES),
    st.builds(b64, st.binary(max_size=40)),
    VALID_TEXT,  # signable text: lone surrogates are the any-string test's
)


@PROPERTY
@example(deep("[", 1_000))
@example(deep("[", 100_000))
@example(deep('{"t":', 100_000))
@example(huge_number('{"t": ', 5_000, ', "i": "x"}'))
@example(b64(b'{"t": 1e400, "i": "x"}'))
@example(b64(b'{"t": 1, "i": "\\ud800"}'))
@example(b64(b"\xff\xfe"))
@given(st.one_of(SIGNED_PAYLOADS, DEEP))
def test_a_signed_payload_of_anything_is_a_position_or_refused(
    settings_env: dict[str, str], signed: str | Repeated
) -> None:
    """What the signature check lets through (the key holder's own payloads, whatever they hold)."""
    payload = b64(signed.encode()) if isinstance(signed, Repeated) else signed
    cursor = f"{payload}.{_signature(payload, ORG, FILTER)}"
    result = outcome(lambda: decode(cursor, SCOPE, ROLE, FILTER), ValidationError)
    if isinstance(result, ValidationError):
        assert set(result.fields) == {"cursor"}
        return
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert isinstance(data["t"], int) and isinstance(data["i"], str), data
    assert assert_utc(result.triggered_at) == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        microseconds=data["t"]
    )
    assert result.event_id == data["i"]


# -- PATCH bodies: shared/api/patch.py --------------------------------------------------------------------

PATCH_FIELDS = ("acknowledged", "starred", "notes")
PATCH_KEYS = st.one_of(st.sampled_from([*PATCH_FIELDS, "id", "acknowledged_by", "acknowledged_at"]), TEXT)
LONG_NOTES = st.sampled_from(["n" * NOTES_MAX_CHARS, "n" * (NOTES_MAX_CHARS + 1), "é" * NOTES_MAX_CHARS])
LONE_SURROGATES = st.sampled_from(["\ud800", "a\udfff", "\udc00b"])
PATCH_VALUES = st.one_of(st.booleans(), st.none(), TEXT, LONG_NOTES, LONE_SURROGATES, JSON_VALUES)
PATCH_BODIES = st.one_of(
    JSON_VALUES,
    st.dictionaries(PATCH_KEYS, PATCH_VALUES, max_size=4),
    st.fixed_dictionaries({}, optional={name: PATCH_VALUES for name in PATCH_FIELDS}),
)


def _surrogate_free(text: str) -> bool:
    return not any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def expected_patch(value: Any) -> EventChanges | set[str]:
    """What the contract says a PATCH body gives: the changes, or the names of its bad fields."""
    if not isinstance(value, dict) or not value:
        return {"body"}
    bad = {name for name in value if name not in PATCH_FIELDS}
    bad |= {
        name for name in ("acknowledged", "starred") if name in value and not isinstance(value[name], bool)
    }
    notes = value.get("notes")
    if notes is not None and not (
        isinstance(notes, str) and len(notes) <= NOTES_MAX_CHARS and _surrogate_free(notes)
    ):
        bad.add("notes")
    if bad:
        return bad
    return EventChanges(
        acknowledged=value.get("acknowledged", UNSET),
        starred=value.get("starred", UNSET),
        notes=value.get("notes", UNSET),
    )


def assert_patch_refusal(result: EventChanges | Exception, names: Iterable[str]) -> None:
    assert isinstance(result, ValidationError), result
    assert result.fields and set(result.fields) <= {"body", *names}, result.fields


@PROPERTY
@example(b"")
@example(b" \r\n\t")
@example(b"\xff")
@example(b"\xef\xbb\xbf{}")
@example(b"null")
@example(b'{"notes": "\\ud800"}')
@example(huge_number('{"starred": ', 5_000, "}"))
@example(b'{"starred": true, "starred": 1}')
@example(deep("[", 1_000, closed=False))
@example(deep('{"a":', 1_000, closed=False))
@given(st.one_of(st.binary(max_size=200), DEEP))
def test_any_bytes_are_changes_or_a_validation_error_naming_body_or_a_field(
    given_body: bytes | Repeated,
) -> None:
    body = raw_bytes(given_body)
    result = outcome(lambda: parse_patch(body), ValidationError)
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(result, EventChanges):
        assert isinstance(parsed, dict) and parsed and set(parsed) <= set(PATCH_FIELDS), parsed
    else:
        assert_patch_refusal(result, parsed if isinstance(parsed, dict) else ())


@PROPERTY
@example({})
@example({"notes": "\ud800"})
@example({"notes": "n" * (NOTES_MAX_CHARS + 1)})
@example({"acknowledged": 1, "starred": "true"})
@example({"id": "x", "notes": None})
@given(PATCH_BODIES)
def test_any_json_value_gives_exactly_the_contracts_changes_or_bad_fields(value: Any) -> None:
    result = outcome(lambda: parse_patch(json.dumps(value).encode()), ValidationError)
    expected = expected_patch(value)
    if isinstance(expected, EventChanges):
        assert result == expected
    else:
        assert isinstance(result, ValidationError), result
        assert set(result.fields) == expected, (result.fields, expected)


@PROPERTY
@example(deep("[", 1_000))
@example(deep('{"a":', 1_000))
@example(deep("[", 100_000))
@example(deep('{"a":', 100_000))
@example(deep('{"notes":', 100_000))
@example(deep("[", 100_000, closed=False))
@given(DEEP)
def test_deeply_nested_json_is_a_validation_error_naming_body_or_a_field(body: Repeated) -> None:
    result = outcome(lambda: parse_patch(body.encode()), ValidationError)
    assert_patch_refusal(result, ("a", "t", "notes", "acknowledged"))


# -- the CSV export: shared/exports/csv_format.py ----------------------------------------------------------

# Stored text is valid Unicode (the pipeline refuses lone surrogates; Firestore stores UTF-8).
CELL_TEXT = st.one_of(
    VALID_TEXT,
    st.sampled_from(["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx", "'x", "''", '"', ",", "\r\n", ""]),
)


@st.composite
def export_events(draw: st.DrawFn) -> Event:
    data: dict[str, Any] = {
        "camera_id": draw(UUIDS),
        "camera_name": draw(CELL_TEXT),
        "site_id": draw(UUIDS),
        "trigger_type": draw(st.sampled_from(TRIGGER_TYPES)),
        "triggered_at": draw(UTC_DATETIMES),
        "duration_sec": draw(st.none() | st.integers(0, 7 * 24 * 3600)),
        "summary": draw(st.none() | CELL_TEXT),
        "tags": draw(st.lists(CELL_TEXT, max_size=4)),
        "ai_status": draw(st.sampled_from(AI_STATUSES)),
    }
    for name in ("acknowledged", "starred"):
        if draw(st.booleans()):
            data[name] = draw(st.booleans())
    return Event(draw(UUIDS), data)


def free_text(event: Event, column: str) -> str:
    value: Any = event.data.get(column)
    if column == "tags":
        return ",".join(value)
    return cast(str, value or "")


@PROPERTY
@example([Event(str(uuid.UUID(int=1)), {
    "camera_id": str(uuid.UUID(int=2)), "camera_name": "=HYPERLINK(\"x\")", "site_id": str(uuid.UUID(int=3)),
    "trigger_type": "motion", "triggered_at": LAST_MICROSECOND, "summary": "'-1\r\n", "tags": ["+a", "b,c"],
    "ai_status": "completed",
})], 1)  # fmt: skip
@given(st.lists(export_events(), max_size=5), st.integers(1, 3))
def test_the_csv_reads_back_cell_for_cell_and_no_free_text_cell_starts_a_formula(
    events: list[Event], rows_per_chunk: int
) -> None:
    chunks = list(csv_chunks(events, rows_per_chunk))
    assert len(chunks) == max(1, -(-len(events) // rows_per_chunk))
    text = "".join(chunk.decode("utf-8") for chunk in chunks)  # each chunk is whole UTF-8 rows
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(COLUMNS)
    assert len(rows) == len(events) + 1 and all(len(row) == len(COLUMNS) for row in rows)
    for event, row in zip(events, rows[1:], strict=True):
        cells = dict(zip(COLUMNS, row, strict=True))
        for column in FREE_TEXT:
            cell = cells[column]
            assert not cell.startswith(FORMULA_CHARACTERS), (column, cell)
            assert cell.removeprefix("'") == free_text(event, column), (column, cell)
            assert cell.startswith("'") == free_text(event, column).startswith((*FORMULA_CHARACTERS, "'"))
        assert cells["id"] == event.id and cells["camera_id"] == event.data["camera_id"]
        assert cells["triggered_at"] == format_rfc3339(event.data["triggered_at"])
        duration = event.data.get("duration_sec")
        assert cells["duration_sec"] == ("" if duration is None else str(duration))
        assert cells["acknowledged"] == str(event.data.get("acknowledged", False)).lower()
        assert cells["starred"] == str(event.data.get("starred", False)).lower()


# -- the loader: shared/pipeline.py and devstack/loader.py -------------------------------------------------

KNOWN_FIELDS = {
    "id", "camera_id", "camera_name", "camera_deleted", "site_id", "trigger_type", "triggered_at",
    "clip_start_at", "clip_end_at", "duration_sec", "summary", "narrative", "tags", "ai_status", "clip_codec",
    "recording_source", "snapshot_object", "clip_object", "acknowledged", "acknowledged_by",
    "acknowledged_at", "starred", "notes", "deleted", "deleted_at", "deleted_by",
}  # fmt: skip
UUID_FIELDS = ("id", "camera_id", "site_id")
TIME_FIELDS = ("triggered_at", "clip_start_at", "clip_end_at", "acknowledged_at")
WHOLE_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
EDGES = ("\n", "\r\n", " ", "\t", "\x00", "\u2028")
VALID_TIMES = st.one_of(
    MOMENTS.map(datetime.isoformat),  # 0999-01-01T00:00:00+05:30: four-digit years, any offset
    st.sampled_from([stamp.text for stamp in EXTREME_STAMPS if stamp.instant and not stamp.day]),
)


@st.composite
def edged(draw: st.DrawFn, values: st.SearchStrategy[str]) -> str:
    value, edge = draw(values), draw(st.sampled_from(EDGES))
    return value + edge if draw(st.booleans()) else edge + value


FIELD_VALUES = st.one_of(
    JSON_VALUES,
    edged(UUIDS),
    edged(VALID_TIMES),
    UUIDS.map(str.upper),
    VALID_TIMES,
    st.sampled_from([stamp.text for stamp in EXTREME_STAMPS if stamp.valid and stamp.instant is None]),
    st.sampled_from(["2026-04-21", "", " ", "\ud800", "n" * 2001]),
    st.sampled_from(
        [10**30, -1, 7 * 24 * 3600 + 1, float("nan"), float("inf"), 1.5, True, [], {}, ["a", ""]]
    ),
    st.lists(st.one_of(TEXT, LONE_SURROGATES), max_size=3),
)


@st.composite
def valid_pipeline_events(draw: st.DrawFn) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": draw(UUIDS.map(str.upper) | UUIDS),
        "camera_id": draw(UUIDS),
        "camera_name": draw(st.text(VALID_CHARACTERS, min_size=1, max_size=200).filter(str.strip)),
        "site_id": draw(UUIDS),
        "trigger_type": draw(st.sampled_from(TRIGGER_TYPES)),
        "triggered_at": draw(VALID_TIMES),
        "ai_status": draw(st.sampled_from(AI_STATUSES)),
    }
    optional = {
        "clip_start_at": VALID_TIMES,
        "duration_sec": st.integers(0, 7 * 24 * 3600),
        "summary": st.text(VALID_CHARACTERS, max_size=50),
        "tags": st.lists(st.text(VALID_CHARACTERS, min_size=1, max_size=10)),
        "acknowledged": st.booleans(),
        "acknowledged_at": VALID_TIMES,
        "notes": st.text(VALID_CHARACTERS, max_size=50),
    }
    for name, values in optional.items():
        if draw(st.booleans()):
            raw[name] = draw(values)
    return raw


@st.composite
def pipeline_objects(draw: st.DrawFn) -> Any:
    """Anything JSON gives, mostly events with some fields changed, dropped or added."""
    if draw(st.integers(0, 4)) == 0:
        return draw(JSON_VALUES)
    raw = draw(valid_pipeline_events())
    for name in draw(st.lists(st.sampled_from(sorted(KNOWN_FIELDS)), max_size=3, unique=True)):
        raw[name] = draw(FIELD_VALUES)
    for name in draw(st.lists(st.sampled_from(sorted(raw)), max_size=2, unique=True)):
        del raw[name]
    raw.update(draw(st.dictionaries(TEXT, JSON_VALUES, max_size=2)))
    return raw


def assert_pipeline_outcome(raw: Any, result: Any) -> None:
    if isinstance(result, ValidationError):
        names = set(raw) if isinstance(raw, dict) else set()
        assert set(result.fields) <= KNOWN_FIELDS | names, result.fields
        assert result.fields or not isinstance(raw, dict)
        return
    assert isinstance(raw, dict)
    event_id, pipeline, operator = result
    for name in UUID_FIELDS:
        assert isinstance(raw[name], str) and WHOLE_UUID.fullmatch(raw[name]), (name, raw[name])
    assert event_id == raw["id"].lower()
    for name in TIME_FIELDS:
        moment = pipeline.get(name, operator.get(name))
        if raw.get(name) is None:
            assert moment is None
        else:
            assert isinstance(raw[name], str) and WHOLE_RFC3339.fullmatch(raw[name]), (name, raw[name])
            assert assert_utc(moment) == parse_rfc3339(raw[name])


EXTREME_EVENT = {
    "id": str(uuid.UUID(int=1)),
    "camera_id": str(uuid.UUID(int=2)),
    "camera_name": "Dock",
    "site_id": str(uuid.UUID(int=3)),
    "trigger_type": "motion",
    "ai_status": "completed",
}


@PROPERTY
@example({**EXTREME_EVENT, "triggered_at": "9999-12-31T23:59:59-01:00"})
@example({**EXTREME_EVENT, "triggered_at": "0001-01-01T00:00:00+01:00"})
@example(
    {**EXTREME_EVENT, "triggered_at": "2026-04-21T00:00:00Z", "clip_end_at": "9999-12-31T23:00:00-23:59"}
)
@example({**EXTREME_EVENT, "triggered_at": "2026-04-21T00:00:00Z\n"})
@example({**EXTREME_EVENT, "id": EXTREME_EVENT["id"] + "\n", "triggered_at": "2026-04-21T00:00:00Z"})
@given(pipeline_objects())
def test_any_json_object_is_a_pipeline_record_or_a_validation_error(raw: Any) -> None:
    assert_pipeline_outcome(raw, outcome(lambda: parse_pipeline_event(raw), ValidationError))


@PROPERTY
@given(valid_pipeline_events())
def test_a_valid_pipeline_event_is_taken_with_its_values(raw: dict[str, Any]) -> None:
    event_id, pipeline, operator = parse_pipeline_event(raw)
    assert event_id == raw["id"].lower()
    assert pipeline["camera_name"] == raw["camera_name"]
    assert assert_utc(pipeline["triggered_at"]) == parse_rfc3339(raw["triggered_at"])
    assert pipeline["tags"] == raw.get("tags", [])
    assert operator["notes"] == raw.get("notes") and operator["deleted"] is False


@PROPERTY
@example(EXTREME_EVENT | {"triggered_at": "2026-04-21T00:00:00Z"}, "id", "\n", True)
@given(
    valid_pipeline_events(),
    st.sampled_from(UUID_FIELDS + TIME_FIELDS),
    st.sampled_from(EDGES),
    st.booleans(),
)
def test_ids_and_times_with_a_trailing_newline_or_other_edge_are_refused(
    raw: dict[str, Any], name: str, edge: str, trailing: bool
) -> None:
    value = raw.get(name) or cast(str, format_rfc3339(datetime(2026, 4, 21, tzinfo=UTC)))
    raw = {**raw, name: value + edge if trailing else edge + value}
    result = outcome(lambda: parse_pipeline_event(raw), ValidationError)
    assert isinstance(result, ValidationError), result
    assert name in result.fields, result.fields


class LoadingStore:
    """Stands in for the EventStore: takes every record the loader yields, creating each."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def upsert_pipeline(self, records: Iterable[tuple[str, dict[str, Any], dict[str, Any]]]) -> LoadCounts:
        self.records.extend(records)
        return LoadCounts(created=len(self.records), changed=0, unchanged=0, superseded=0)


def _json_line(value: Any) -> bytes:
    return json.dumps(value).encode()


LINES = st.one_of(
    pipeline_objects().map(_json_line),
    st.binary(max_size=60),
    st.sampled_from(
        [b"", b"  ", b"\xff{}", deep("[", 100_000), huge_number('{"duration_sec": ', 5_000, "}")]
    ),
    DEEP,
)


@PROPERTY
@example([deep("[", 100_000)])
@example([deep('{"a":', 1_000, closed=False)])
@example([_json_line({**EXTREME_EVENT, "triggered_at": "9999-12-31T23:59:59-01:00"})])
@example([b"\xff", b"", _json_line({**EXTREME_EVENT, "triggered_at": "2026-04-21T00:00:00Z"})])
@given(st.lists(LINES, max_size=5))
def test_the_loader_writes_or_reports_every_line_and_never_stops(given_lines: list[bytes | Repeated]) -> None:
    lines = [raw_bytes(line) for line in given_lines]
    store = LoadingStore()
    report = load_lines(cast(EventStore, store), lines)
    numbers = [number for number, _ in report.errors]
    assert len(numbers) == len(set(numbers)) and set(numbers) <= set(range(1, len(lines) + 1))
    content = []
    for raw in lines:
        try:
            content.append(bool(raw.decode("utf-8").strip()))
        except UnicodeDecodeError:
            content.append(True)
    assert report.created + len(report.errors) == sum(content), (report, content)
    assert report.created == len(store.records)


# -- tokens: shared/edge/auth.py ----------------------------------------------------------------------------


def minted(env: dict[str, str], **extra: Any) -> str:
    return mint_token(
        secret=env["EVENTS_JWT_DEV_SECRET"],
        issuer=env["EVENTS_JWT_ISSUER"],
        audience=env["EVENTS_JWT_AUDIENCE"],
        org_id=ORG,
        role="admin",
        extra=extra,
    )


def numeric_claim(claim: str) -> int:
    now = int(time.time())
    return {"exp": now + 600, "iat": now - 10, "nbf": now - 10}[claim]


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_a_numeric_claim_as_a_number_is_taken(settings_env: dict[str, str], claim: str) -> None:
    token = minted(settings_env, **{claim: numeric_claim(claim)})
    assert authenticate_user(Headers({"Authorization": f"Bearer {token}"})).role is Role.ADMIN


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_a_numeric_claim_as_a_numeric_string_is_refused(settings_env: dict[str, str], claim: str) -> None:
    """RFC 7519: exp, iat and nbf are NumericDates (JSON numbers); "1767225600" is not one."""
    token = minted(settings_env, **{claim: str(numeric_claim(claim))})
    with pytest.raises(AuthRequired) as refused:
        authenticate_user(Headers({"Authorization": f"Bearer {token}"}))
    assert claim in refused.value.message
