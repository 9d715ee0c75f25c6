"""Upload URLs bind their content type and size range: a verifier written here from Google's published
V4 algorithm (what Cloud Storage does with a signed request: rebuild the canonical request from the
request it received, with the headers ``X-Goog-SignedHeaders`` names, and compare signatures) accepts
the PUT the answer describes and refuses one with another type, another range or a header left out.
The storage emulator checks none of this, so this is the proof."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from shared.errors import ConfigurationError
from shared.uploads import CLIP, SNAPSHOT, Upload, new_objects, upload_targets
from tests.conftest import reset_caches

ACCESS_ID, SECRET = "GOOG1EUPLOADERUNIT", "unit-upload-secret-0123456789"
READ_ID, READ_SECRET = "GOOG1EREADERUNIT", "unit-read-secret-0123456789"
EVENT = "c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
ISSUED = datetime(2026, 4, 21, 13, 45, 22, 123456, tzinfo=UTC)


@pytest.fixture(autouse=True)
def upload_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTS_MEDIA_BUCKET", "media-bucket")
    monkeypatch.setenv("EVENTS_UPLOAD_HMAC_ACCESS_ID", ACCESS_ID)
    monkeypatch.setenv("EVENTS_UPLOAD_HMAC_SECRET", SECRET)
    monkeypatch.setenv("EVENTS_SIGNING_HMAC_ACCESS_ID", READ_ID)
    monkeypatch.setenv("EVENTS_SIGNING_HMAC_SECRET", READ_SECRET)
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    reset_caches()


def verifies(method: str, url: str, sent: Mapping[str, str], secret: str) -> bool:
    """Whether Cloud Storage would accept ``method url`` sent with headers ``sent``: the V4 check,
    step by step as Google documents it (canonical request, string to sign, HMAC signing key)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    signature = query.pop("X-Goog-Signature")
    signed_names = query["X-Goog-SignedHeaders"].split(";")
    received = {name.lower(): value for name, value in sent.items()}
    received["host"] = parts.netloc
    if any(name not in received for name in signed_names):
        return False
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    canonical_headers = "".join(f"{name}:{received[name].strip()}\n" for name in sorted(signed_names))
    signed = ";".join(sorted(signed_names))
    canonical_request = "\n".join(
        [method, parts.path, canonical_query, canonical_headers, signed, "UNSIGNED-PAYLOAD"]
    )
    timestamp = query["X-Goog-Date"]
    scope = query["X-Goog-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        [query["X-Goog-Algorithm"], timestamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = ("GOOG4" + secret).encode()
    for part in (timestamp[:8], "auto", "storage", "goog4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), signature)


@pytest.mark.parametrize("upload", [SNAPSHOT, CLIP], ids=lambda upload: upload.kind)
def test_the_signed_headers_bind_the_content_type_and_the_size_range(upload: Upload) -> None:
    target = upload_targets(new_objects(EVENT), ISSUED)[upload.kind]
    url, headers = target["url"], target["headers"]
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["X-Goog-SignedHeaders"] == "content-type;host;x-goog-content-length-range"
    assert query["X-Goog-Algorithm"] == "GOOG4-HMAC-SHA256"
    assert query["X-Goog-Credential"].startswith(f"{ACCESS_ID}/20260421/")
    assert headers == {
        "Content-Type": upload.content_type,
        "x-goog-content-length-range": f"0,{upload.max_bytes}",
    }
    assert target["method"] == "PUT" and verifies("PUT", url, headers, SECRET)

    other_type = "video/mp4" if upload is SNAPSHOT else "image/jpeg"
    assert not verifies("PUT", url, {**headers, "Content-Type": other_type}, SECRET)
    assert not verifies("PUT", url, {**headers, "Content-Type": "text/html"}, SECRET)
    assert not verifies("PUT", url, {**headers, "x-goog-content-length-range": "0,1073741824"}, SECRET)
    assert not verifies("PUT", url, {"Content-Type": headers["Content-Type"]}, SECRET), "range left out"
    assert not verifies("GET", url, headers, SECRET), "a PUT URL reads nothing"
    assert not verifies("PUT", url, headers, READ_SECRET), "signed by the uploader, not the read signer"
    moved = url.replace(f"/uploads/{EVENT}/", "/uploads/00000000-0000-4000-8000-000000000000/")
    assert not verifies("PUT", moved, headers, SECRET), "the object's name is signed"


def test_the_sizes_and_the_lifetime() -> None:
    assert (SNAPSHOT.content_type, SNAPSHOT.max_bytes) == ("image/jpeg", 5 * 1024 * 1024)
    assert (CLIP.content_type, CLIP.max_bytes) == ("video/mp4", 200 * 1024 * 1024)
    targets = upload_targets(new_objects(EVENT), ISSUED)
    for target in targets.values():
        query = dict(parse_qsl(urlsplit(target["url"]).query))
        assert (query["X-Goog-Date"], query["X-Goog-Expires"]) == ("20260421T134522Z", "900")
        assert target["expires_at"] == "2026-04-21T14:00:22Z"
        assert datetime.fromisoformat(target["expires_at"]) - ISSUED < timedelta(minutes=15)


def test_objects_are_fresh_and_unguessable_under_the_events_prefix() -> None:
    names = [name for _ in range(50) for name in new_objects(EVENT).values()]
    assert len(set(names)) == len(names)
    for name in names:
        prefix, random = name.rsplit("/", 1)
        assert prefix == f"uploads/{EVENT}" and len(random) == 32
        assert set(random) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    target = upload_targets({"snapshot": names[0], "clip": names[1]}, ISSUED)["snapshot"]
    assert target["object"] == names[0]
    assert urlsplit(target["url"]).path == f"/media-bucket/{names[0]}"
    assert target["url"].startswith("https://storage.googleapis.com/")


def test_without_the_uploaders_key_nothing_is_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTS_UPLOAD_HMAC_SECRET")
    reset_caches()
    with pytest.raises(ConfigurationError, match="EVENTS_UPLOAD_HMAC"):
        upload_targets(new_objects(EVENT), ISSUED)
