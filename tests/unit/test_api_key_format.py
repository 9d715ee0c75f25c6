"""The API key format: prefix, about 190 random bits, a CRC32 checksum that refuses a made-up or
mistyped key before any store read; the id is the hash's first 16 hex digits."""

from __future__ import annotations

import hashlib

import pytest

from shared.edge.api_keys import CHECK_CHARS, RANDOM_CHARS, key_hash, key_id_of, new_key, well_formed


@pytest.mark.parametrize("prefix", ["sk_live_", "sk_test_"])
def test_a_new_key_is_well_formed_for_its_prefix_only(prefix: str) -> None:
    key = new_key(prefix)
    other = "sk_test_" if prefix == "sk_live_" else "sk_live_"
    assert key.startswith(prefix) and len(key) == len(prefix) + RANDOM_CHARS + CHECK_CHARS
    assert well_formed(key, prefix) and not well_formed(key, other)
    assert key.removeprefix(prefix).isalnum()


def test_keys_are_random() -> None:
    keys = {new_key("sk_test_") for _ in range(500)}
    assert len(keys) == 500


def test_any_change_breaks_the_checksum() -> None:
    key = new_key("sk_test_")
    body = key.removeprefix("sk_test_")
    for index in range(len(body)):
        changed = "0" if body[index] != "0" else "1"
        assert not well_formed("sk_test_" + body[:index] + changed + body[index + 1 :], "sk_test_")
    assert not well_formed(key + "x", "sk_test_") and not well_formed(key[:-1], "sk_test_")
    assert not well_formed(key + "\n", "sk_test_") and not well_formed("sk_test_", "sk_test_")


def test_the_id_and_hash() -> None:
    key = new_key("sk_live_")
    assert key_hash(key) == hashlib.sha256(key.encode()).hexdigest()
    assert key_id_of(key) == key_hash(key)[:16]
