"""Idempotency-Key rules (shared/edge/idempotency.py ``parse_key``) and the request fingerprint
(shared/store/idempotency.py ``fingerprint``); the records themselves are tested on the emulator."""

from __future__ import annotations

import hashlib

import pytest

from shared.edge.idempotency import MAX_KEY_LENGTH, parse_key
from shared.errors import ValidationError
from shared.store.idempotency import KEY_HEADER, fingerprint

PATH = "/api/v1/events/550e8400-e29b-41d4-a716-446655440000"


@pytest.mark.parametrize(
    "key",
    [
        "a",
        "0",
        "8f14e45f-ceea-467a-9575-1b2f1c3a7d9e",
        " ",  # printable ASCII includes the space...
        "~",  # ...up to the tilde
        "with spaces and !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        "k" * MAX_KEY_LENGTH,
    ],
)
def test_one_to_255_printable_ascii_characters_are_a_key(key: str) -> None:
    assert parse_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "k" * (MAX_KEY_LENGTH + 1),
        "tab\there",
        "new\nline",
        "nul\x00",
        "del\x7f",
        "caf\u00e9",
        "\u2603",
    ],
)
def test_anything_else_is_refused_naming_the_header(key: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_key(key)
    assert refused.value.status == 400
    assert refused.value.fields == {KEY_HEADER: "must be 1-255 printable ASCII characters"}
    assert KEY_HEADER == "Idempotency-Key"


def test_the_fingerprint_is_sha256_of_length_prefixed_method_path_and_body() -> None:
    digest = hashlib.sha256()
    for part in (b"PATCH", PATH.encode(), b'{"starred":true}'):
        digest.update(len(part).to_bytes(8, "big") + part)
    assert fingerprint("PATCH", PATH, b'{"starred":true}') == digest.hexdigest()


def test_the_same_request_has_the_same_fingerprint_and_the_method_is_case_blind() -> None:
    first = fingerprint("PATCH", PATH, b'{"starred":true}')
    assert fingerprint("PATCH", PATH, b'{"starred":true}') == first
    assert fingerprint("patch", PATH, b'{"starred":true}') == first
    assert len(first) == 64 and set(first) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", PATH, b'{"starred":true}'),
        ("PATCH", PATH.upper(), b'{"starred":true}'),
        ("PATCH", PATH + "?x=1", b'{"starred":true}'),
        ("PATCH", PATH, b'{"starred": true}'),  # the body's bytes, not its meaning
        ("PATCH", PATH, b'{"starred":false}'),
        ("PATCH", PATH, b""),
    ],
)
def test_any_other_method_path_or_body_is_another_request(method: str, path: str, body: bytes) -> None:
    assert fingerprint(method, path, body) != fingerprint("PATCH", PATH, b'{"starred":true}')


def test_parts_cannot_run_into_each_other() -> None:
    """Moving bytes from the path to the body changes the fingerprint (the parts are length-framed)."""
    assert fingerprint("PATCH", "/a/b", b"c") != fingerprint("PATCH", "/a/", b"bc")
    assert fingerprint("PATCH", "", b"/x") != fingerprint("PATCH", "/x", b"")
