"""What the API accepts as an id and as a key name, and that the OpenAPI document says the same: ids
are only what the API issues (reserved store ids never are), and key names refuse every control and
formatting character (Unicode categories Cc and Cf) by the code's rule and the document's pattern
alike, for every such code point."""

from __future__ import annotations

import json
import sys
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from shared.api.key_request import parse_key_request
from shared.edge.api_keys import key_id_of, new_key
from shared.edge.routes import ROUTES
from shared.errors import NotFound, ValidationError
from shared.ids import canonical_uuid, valid_key_id
from shared.store.webhooks import new_delivery_id, new_endpoint_id

DOCUMENT: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "shared" / "openapi.json").read_text()
)
NAME_SCHEMA = DOCUMENT["components"]["schemas"]["ApiKeyRequest"]["oneOf"][1]["properties"]["name"]
NAME_VALIDATOR = OAS30Validator(NAME_SCHEMA)
CONTROLS = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ("Cc", "Cf")]
# Printable characters of many scripts and planes, spaces between words, emoji: all fine in a name.
ACCEPTED = [
    "VMS bridge",
    "Überwachung Tor 3",
    "東京 カメラ",
    "камера",
    "دوربین",
    "😀 cam",
    "\U0001d518 math",
    "a\u00a0b",
]
RESERVED_IDS = ["______", "__name__", "__x__", ".", "..", "", "a/b"]
SECRET = b"unit-test-api-key-secret"  # the deployment secret that keys a key's checksum


def code_accepts(name: str) -> bool:
    try:
        parse_key_request(json.dumps({"name": name, "role": "admin"}).encode())
    except ValidationError as error:
        assert set(error.fields) == {"name"}
        return False
    return True


def document_accepts(name: str) -> bool:
    return bool(NAME_VALIDATOR.is_valid(name))


def test_every_control_and_format_character_is_refused_by_code_and_document_alike() -> None:
    assert len(CONTROLS) > 200  # Cc and Cf as this Python's Unicode database has them
    for char in CONTROLS:
        for name in (f"{char}name", f"na{char}me", f"name{char}", char):
            assert not code_accepts(name), (hex(ord(char)), name)
            assert not document_accepts(name), (hex(ord(char)), name)


@pytest.mark.parametrize("name", ACCEPTED)
def test_names_of_printable_characters_are_accepted_by_both(name: str) -> None:
    assert code_accepts(name) and document_accepts(name)


@pytest.mark.parametrize("name", [" ", "\u3000\u2003", "\u00a0"])
def test_blank_names_are_refused_by_both(name: str) -> None:
    assert not code_accepts(name) and not document_accepts(name)


def test_issued_ids_are_valid_and_reserved_ones_are_not() -> None:
    assert valid_key_id(key_id_of(new_key("sk_test_", SECRET)))
    event_id = str(uuid.uuid4())
    assert canonical_uuid(event_id.upper()) == event_id
    for reserved in RESERVED_IDS:
        assert not valid_key_id(reserved) and canonical_uuid(reserved) is None
    assert not valid_key_id(key_id_of(new_key("sk_test_", SECRET)).upper())
    assert canonical_uuid(f"{event_id}\n") is None and not valid_key_id(f"{'a' * 16}\n")


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if "{id}" in r.path], ids=lambda r: f"{r.method} {r.path}"
)
@pytest.mark.parametrize("reserved", RESERVED_IDS)
def test_every_route_with_an_id_refuses_reserved_ids_with_404(route: Any, reserved: str) -> None:
    with pytest.raises(NotFound):
        route.check_id({"id": reserved})
    issued = {
        "key": key_id_of(new_key("sk_test_", SECRET)),
        "webhook_endpoint": new_endpoint_id(),
        "webhook_delivery": new_delivery_id(),
    }.get(str(route.id_kind), str(uuid.uuid4()))
    route.check_id({"id": issued})
