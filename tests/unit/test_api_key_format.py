"""The API key format: prefix, about 190 random bits, a checksum keyed by the deployment's secret that
refuses a made-up, mistyped or forged key before any store read; the id is the hash's first 16 hex
digits."""

from __future__ import annotations

import hashlib
import zlib

import pytest

from shared.edge.api_keys import (
    ALPHABET,
    CHECK_CHARS,
    RANDOM_CHARS,
    key_hash,
    key_id_of,
    new_key,
    unkeyed_key,
    well_formed,
)

SECRET = b"unit-api-key-secret-0123456789"


@pytest.mark.parametrize("prefix", ["sk_live_", "sk_test_"])
def test_a_new_key_is_well_formed_for_its_prefix_only(prefix: str) -> None:
    key = new_key(prefix, SECRET)
    other = "sk_test_" if prefix == "sk_live_" else "sk_live_"
    assert key.startswith(prefix) and len(key) == len(prefix) + RANDOM_CHARS + CHECK_CHARS
    assert well_formed(key, prefix, SECRET) and not well_formed(key, other, SECRET)
    assert key.removeprefix(prefix).isalnum()


def test_keys_are_random() -> None:
    keys = {new_key("sk_test_", SECRET) for _ in range(500)}
    assert len(keys) == 500


def test_any_change_breaks_the_checksum() -> None:
    key = new_key("sk_test_", SECRET)
    body = key.removeprefix("sk_test_")
    for index in range(len(body)):
        changed = "0" if body[index] != "0" else "1"
        assert not well_formed("sk_test_" + body[:index] + changed + body[index + 1 :], "sk_test_", SECRET)
    assert not well_formed(key + "x", "sk_test_", SECRET) and not well_formed(key[:-1], "sk_test_", SECRET)
    assert not well_formed(key + "\n", "sk_test_", SECRET) and not well_formed("sk_test_", "sk_test_", SECRET)


def test_only_the_deployments_secret_makes_a_key_that_passes() -> None:
    """A key another deployment (or an attacker without the secret) made fails the checksum."""
    key = new_key("sk_test_", SECRET)
    assert not well_formed(key, "sk_test_", b"another-deployments-secret-0123")
    forged = new_key("sk_test_", b"an-attackers-guess-at-the-secret")
    assert not well_formed(forged, "sk_test_", SECRET)


def _crc_key(prefix: str) -> str:
    """A key as they were made before checksums were keyed: CRC32 of what precedes the checksum."""
    body = prefix + "A" * RANDOM_CHARS
    value, digits = zlib.crc32(body.encode()), []
    for _ in range(CHECK_CHARS):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return body + "".join(reversed(digits))


def test_a_key_with_the_old_unkeyed_checksum_is_recognised_and_refused() -> None:
    old = _crc_key("sk_test_")
    assert not well_formed(old, "sk_test_", SECRET)
    assert unkeyed_key(old, "sk_test_") and not unkeyed_key(old, "sk_live_")
    assert not unkeyed_key(new_key("sk_test_", SECRET), "sk_test_")


def test_the_id_and_hash() -> None:
    key = new_key("sk_live_", SECRET)
    assert key_hash(key) == hashlib.sha256(key.encode()).hexdigest()
    assert key_id_of(key) == key_hash(key)[:16]
