"""Cloud Storage V4 signed URLs (Google's published algorithm), signed by one of three signers.

A V4 URL is a canonical request (method, object path, the ``X-Goog-*`` query, the signed headers:
``host`` and any others the URL binds, ``UNSIGNED-PAYLOAD``) whose SHA-256 goes into a string to sign
(``algorithm, timestamp, scope, hash``); the signature is appended as ``X-Goog-Signature``. A header
signed besides ``host`` (an upload's ``Content-Type`` and ``x-goog-content-length-range``) must be
sent with exactly the signed value, or Cloud Storage refuses the request:

- :class:`HmacSigner` (``GOOG4-HMAC-SHA256``): an HMAC key of a service account, signed here with no
  network call. The key is derived as ``GOOG4<secret> -> date -> "auto" -> "storage" ->
  "goog4_request"``, each step an HMAC-SHA256, as the published algorithm says.
- :class:`RsaKeySigner` (``GOOG4-RSA-SHA256``): a service account key file, RSA-SHA256 here (local
  stacks).
- :class:`IamSigner` (``GOOG4-RSA-SHA256``): IAM ``signBlob`` as the function's own account, one
  network round trip per URL (the fallback that needs no secret).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

SCOPE_SUFFIX = "auto/storage/goog4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_TTL = timedelta(days=7)  # the V4 limit


class Signer(Protocol):
    """Signs a V4 string to sign; ``algorithm`` and ``credential_id`` name it in the URL."""

    algorithm: str
    credential_id: str
    remote: bool  # each signature is a network call

    def sign(self, string_to_sign: bytes, datestamp: str) -> str:
        """The hex signature of ``string_to_sign``."""
        ...


class HmacSigner:
    """``GOOG4-HMAC-SHA256`` with an HMAC key (access id and secret) of a service account."""

    algorithm = "GOOG4-HMAC-SHA256"
    remote = False

    def __init__(self, access_id: str, secret: str) -> None:
        self.credential_id = access_id
        self._secret = secret.encode("utf-8")
        self._keys: dict[str, bytes] = {}  # datestamp -> signing key (one derivation a day)

    def signing_key(self, datestamp: str) -> bytes:
        key = self._keys.get(datestamp)
        if key is None:
            key = b"GOOG4" + self._secret
            for part in (datestamp, "auto", "storage", "goog4_request"):
                key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
            self._keys = {datestamp: key}
        return key

    def sign(self, string_to_sign: bytes, datestamp: str) -> str:
        return hmac.new(self.signing_key(datestamp), string_to_sign, hashlib.sha256).hexdigest()


class RsaKeySigner:
    """``GOOG4-RSA-SHA256`` with a service account key (a key file; local stacks)."""

    algorithm = "GOOG4-RSA-SHA256"
    remote = False

    def __init__(self, email: str, private_key_pem: str) -> None:
        from cryptography.hazmat.primitives import serialization

        self.credential_id = email
        self._key: Any = serialization.load_pem_private_key(private_key_pem.encode(), password=None)

    def sign(self, string_to_sign: bytes, datestamp: str) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signature: bytes = self._key.sign(string_to_sign, padding.PKCS1v15(), hashes.SHA256())
        return binascii.hexlify(signature).decode()


class IamSigner:
    """``GOOG4-RSA-SHA256`` through IAM ``signBlob`` as ``email`` (needs token creator on it)."""

    algorithm = "GOOG4-RSA-SHA256"
    remote = True

    def __init__(self, email: str, credentials: Any) -> None:
        import google.auth.transport.requests
        from google.auth import iam

        self.credential_id = email
        self._signer = iam.Signer(google.auth.transport.requests.Request(), credentials, email)

    def sign(self, string_to_sign: bytes, datestamp: str) -> str:
        return binascii.hexlify(self._signer.sign(string_to_sign)).decode()


def _encode(value: str) -> str:
    return quote(value, safe="~-._")


def canonical_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers as V4 signs them: names lower-cased, values trimmed with inner runs of spaces made
    one, sorted by name."""
    lowered = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
    return dict(sorted(lowered.items()))


@dataclass(frozen=True)
class V4Signing:
    """The part of a V4 URL that every object shares for one signer, endpoint, bucket, time and
    lifetime (the canonical query, the host, the string to sign's head), built once by :meth:`of`;
    :meth:`url` then signs one object at a time."""

    signer: Signer
    base: str  # the endpoint without its trailing slash
    bucket_path: str  # "/" + the encoded bucket
    method: str
    canonical_query: str
    datestamp: str
    request_tail: str  # the canonical request after the query: its headers, their names, payload
    head: str  # the string to sign before the canonical request's hash

    @classmethod
    def of(
        cls,
        signer: Signer,
        endpoint: str,
        bucket: str,
        issued: datetime,
        ttl: timedelta,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
    ) -> V4Signing:
        """The shared part of URLs of ``method`` on ``bucket``'s objects, valid ``ttl`` from
        ``issued`` (UTC), binding ``headers`` besides ``host`` (the request must carry each with its
        value); ValueError outside V4's 1 s to 7 days."""
        if not timedelta(seconds=1) <= ttl <= MAX_TTL:
            raise ValueError("a V4 signed URL lives 1 s to 7 days")
        timestamp = issued.strftime("%Y%m%dT%H%M%SZ")
        datestamp = timestamp[:8]
        host = endpoint.split("://", 1)[-1].rstrip("/")
        bound = canonical_headers({**(headers or {}), "host": host})
        signed_headers = ";".join(bound)
        query = {
            "X-Goog-Algorithm": signer.algorithm,
            "X-Goog-Credential": f"{signer.credential_id}/{datestamp}/{SCOPE_SUFFIX}",
            "X-Goog-Date": timestamp,
            "X-Goog-Expires": str(int(ttl.total_seconds())),
            "X-Goog-SignedHeaders": signed_headers,
        }
        return cls(
            signer=signer,
            base=endpoint.rstrip("/"),
            bucket_path="/" + _encode(bucket) + "/",
            method=method,
            canonical_query="&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(query.items())),
            datestamp=datestamp,
            request_tail="".join(f"{name}:{value}\n" for name, value in bound.items())
            + f"\n{signed_headers}\n{UNSIGNED_PAYLOAD}",
            head=f"{signer.algorithm}\n{timestamp}\n{datestamp}/{SCOPE_SUFFIX}\n",
        )

    def string_to_sign(self, name: str) -> tuple[str, bytes]:
        """(resource path, string to sign) of object ``name``."""
        resource = self.bucket_path + quote(name, safe="/~-._")
        canonical_request = f"{self.method}\n{resource}\n{self.canonical_query}\n{self.request_tail}"
        digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
        return resource, (self.head + digest).encode("utf-8")

    def url(self, name: str) -> str:
        """The signed URL of object ``name``."""
        resource, to_sign = self.string_to_sign(name)
        signature = self.signer.sign(to_sign, self.datestamp)
        return f"{self.base}{resource}?{self.canonical_query}&X-Goog-Signature={signature}"


def signed_url(
    signer: Signer,
    endpoint: str,
    bucket: str,
    name: str,
    issued: datetime,
    ttl: timedelta,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
) -> str:
    """The V4 signed URL of ``method`` on ``gs://bucket/name``, valid ``ttl`` from ``issued`` (UTC),
    binding ``headers`` (one URL; many at once share a :class:`V4Signing`)."""
    return V4Signing.of(signer, endpoint, bucket, issued, ttl, method, headers).url(name)
