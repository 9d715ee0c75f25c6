"""V4 signed URLs: the RSA path equals Google's own implementation (google-cloud-storage) byte for byte,
the HMAC path equals a computation written here from Google's published algorithm, and the
per-instance cache serves a URL only while at least half its lifetime remains."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared import media
from shared.errors import ConfigurationError
from shared.url_signing import HmacSigner, RsaKeySigner, signed_url
from tests.conftest import reset_caches

ISSUED = datetime(2026, 4, 21, 13, 45, 22, 123456, tzinfo=UTC)
TTL = timedelta(minutes=15)
NAMES = ["org-1/c1d2e3f4/snapshot.jpg", "org 2/ünïcode/clip (1).mp4", "a/b~c_d-e.f/g+h=i&j.jpg"]


def rsa_key() -> tuple[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("endpoint", ["https://storage.googleapis.com", "http://127.0.0.1:4443"])
def test_the_rsa_path_equals_googles_implementation(name: str, endpoint: str) -> None:
    from google.cloud.storage import _signing
    from google.oauth2 import service_account

    pem, _ = rsa_key()
    email = "signer@proj.iam.gserviceaccount.com"
    credentials = service_account.Credentials.from_service_account_info(
        {"type": "service_account", "client_email": email, "private_key": pem, "token_uri": "https://t"}
    )
    theirs = _signing.generate_signed_url_v4(
        credentials,
        resource=f"/media-bucket/{quote(name, safe='/~')}",
        expiration=TTL,
        api_access_endpoint=endpoint,
        method="GET",
        _request_timestamp=ISSUED.strftime("%Y%m%dT%H%M%SZ"),
    )
    ours = signed_url(RsaKeySigner(email, pem), endpoint, "media-bucket", name, ISSUED, TTL)
    assert ours == theirs


def published_hmac_url(access_id: str, secret: str, host: str, bucket: str, name: str) -> str:
    """Google's V4 algorithm as its documentation lays it out, step by step, for ISSUED and TTL."""
    timestamp, date = "20260421T134522Z", "20260421"
    scope = f"{date}/auto/storage/goog4_request"
    query = (
        "X-Goog-Algorithm=GOOG4-HMAC-SHA256"
        f"&X-Goog-Credential={quote(access_id, safe='')}%2F{date}%2Fauto%2Fstorage%2Fgoog4_request"
        f"&X-Goog-Date={timestamp}&X-Goog-Expires=900&X-Goog-SignedHeaders=host"
    )
    path = f"/{bucket}/{quote(name, safe='/~')}"
    canonical = f"GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    to_sign = f"GOOG4-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    k_date = hmac.new(("GOOG4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    k_region = hmac.new(k_date, b"auto", hashlib.sha256).digest()
    k_service = hmac.new(k_region, b"storage", hashlib.sha256).digest()
    k_signing = hmac.new(k_service, b"goog4_request", hashlib.sha256).digest()
    signature = hmac.new(k_signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"https://{host}{path}?{query}&X-Goog-Signature={signature}"


@pytest.mark.parametrize("name", NAMES)
def test_the_hmac_path_equals_the_published_algorithm(name: str) -> None:
    access_id, secret = "GOOG1EXAMPLEACCESSID0123456789", "bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ"
    ours = signed_url(
        HmacSigner(access_id, secret), "https://storage.googleapis.com", "media", name, ISSUED, TTL
    )
    assert ours == published_hmac_url(access_id, secret, "storage.googleapis.com", "media", name)
    other = signed_url(
        HmacSigner(access_id, secret + "x"), "https://storage.googleapis.com", "media", name, ISSUED, TTL
    )
    assert (
        parse_qs(urlparse(other).query)["X-Goog-Signature"]
        != parse_qs(urlparse(ours).query)["X-Goog-Signature"]
    )


def test_a_url_lives_one_second_to_seven_days() -> None:
    signer = HmacSigner("id", "secret")
    with pytest.raises(ValueError, match="7 days"):
        signed_url(signer, "https://storage.googleapis.com", "b", "o", ISSUED, timedelta(days=8))


def test_the_cache_serves_a_url_while_half_its_life_remains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTS_MEDIA_BUCKET", "media")
    monkeypatch.setenv("EVENTS_SIGNING_HMAC_ACCESS_ID", "GOOG1EUNIT")
    monkeypatch.setenv("EVENTS_SIGNING_HMAC_SECRET", "unit-secret")
    monkeypatch.setenv("EVENTS_SIGNED_URL_TTL_SECONDS", str(int(TTL.total_seconds())))
    reset_caches()
    media.CACHE.clear()
    clock = [1000.0]
    monkeypatch.setattr("shared.caches.time.monotonic", lambda: clock[0])
    monkeypatch.setattr(media.CACHE, "entries", 2)
    (first,) = media.signed_urls(["a.jpg"])
    clock[0] += TTL.total_seconds() / 2 - 1
    assert media.signed_urls(["a.jpg"]) == [first], "more than half its life left: served again"
    clock[0] += 1
    assert media.CACHE.get(media_key("a.jpg")) == (False, None), "past half its life: signed again"
    media.signed_urls(["a.jpg", "b.jpg", "c.jpg"])  # over 2 entries: the least recently used go
    assert media.CACHE.get(media_key("a.jpg")) == (False, None)
    assert media.CACHE.get(media_key("c.jpg"))[0]
    media.CACHE.clear()


def media_key(name: str) -> tuple[str, str, str]:
    return (media.endpoint(), "media", name)


def test_signed_urls_use_the_configured_signer_and_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTS_MEDIA_BUCKET", "media")
    monkeypatch.setenv("EVENTS_SIGNING_HMAC_ACCESS_ID", "GOOG1EUNIT")
    monkeypatch.setenv("EVENTS_SIGNING_HMAC_SECRET", "unit-secret")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443")
    monkeypatch.delenv("EVENTS_URL_SIGNER", raising=False)
    reset_caches()
    media.CACHE.clear()
    signed: list[bytes] = []
    original = HmacSigner.sign

    def counting(self: HmacSigner, string_to_sign: bytes, datestamp: str) -> str:
        signed.append(string_to_sign)
        return original(self, string_to_sign, datestamp)

    monkeypatch.setattr(HmacSigner, "sign", counting)
    first = media.signed_urls(["o/1.jpg", None, "o/2.jpg"])
    assert first[1] is None
    assert all(url and url.startswith("http://127.0.0.1:4443/media/o/") for url in (first[0], first[2]))
    assert parse_qs(urlparse(first[0] or "").query)["X-Goog-Algorithm"] == ["GOOG4-HMAC-SHA256"]
    again = media.signed_urls(["o/2.jpg", "o/1.jpg", "o/3.jpg"])
    assert again[:2] == [first[2], first[0]] and len(signed) == 3, "two came from the cache"
    media.CACHE.clear()


def test_the_signer_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import settings

    for name in ("EVENTS_URL_SIGNER", "EVENTS_SIGNING_HMAC_ACCESS_ID", "EVENTS_SIGNING_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    reset_caches()
    assert settings().url_signer == "iam"
    monkeypatch.setenv("EVENTS_SIGNING_KEY_FILE", "/k.json")
    reset_caches()
    assert settings().url_signer == "key-file"
    monkeypatch.setenv("EVENTS_SIGNING_HMAC_ACCESS_ID", "GOOG1E")
    reset_caches()
    assert settings().url_signer == "hmac"
    monkeypatch.setenv("EVENTS_URL_SIGNER", "iam")
    reset_caches()
    assert settings().url_signer == "iam"
    monkeypatch.setenv("EVENTS_URL_SIGNER", "aws")
    reset_caches()
    with pytest.raises(ConfigurationError, match="EVENTS_URL_SIGNER"):
        settings()
    reset_caches()
