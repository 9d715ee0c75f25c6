"""Cloud Scheduler, locally: Google-style OIDC tokens signed by a local key, a certs endpoint that
serves its certificate, and the scheduled export function run with them, its auth check included.

``novavms-events scheduled-export`` uses it to run a job against the local stack; the tests use it to
prove the function's OIDC rules (a good token, an impostor's key, an unknown kid).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from devstack.document_server import DocumentServer

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
LOCAL_ACCOUNT = "scheduler@novavms-dev.iam.gserviceaccount.com"
LOCAL_AUDIENCE = "http://127.0.0.1/scheduled-export"


@dataclass(frozen=True)
class SigningKey:
    """An RSA key (PEM) and a self-signed certificate of it, under key id ``kid``."""

    kid: str
    private_pem: bytes
    cert_pem: bytes


def make_key(kid: str) -> SigningKey:
    """A fresh RSA key and a self-signed certificate of it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"scheduler-{kid}")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningKey(kid, private, cert.public_bytes(serialization.Encoding.PEM))


@contextlib.contextmanager
def certs_endpoint(*keys: SigningKey) -> Iterator[str]:
    """A Google-style certs document (``{kid: PEM certificate}``) served on a free local port; yields
    its URL."""
    with DocumentServer({key.kid: key.cert_pem.decode() for key in keys}) as server:
        yield server.url


def oidc_token(key: SigningKey, *, audience: str, account: str, **claims: Any) -> str:
    """A Google-style OIDC token of ``account`` for ``audience`` signed by ``key``; ``claims``
    override (None drops a claim)."""
    import google.auth.crypt
    import google.auth.jwt

    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": "https://accounts.google.com",
        "aud": audience,
        "email": account,
        "email_verified": True,
        "sub": "123",
        "iat": now,
        "exp": now + 600,
    }
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    signer = google.auth.crypt.RSASigner.from_string(key.private_pem, key_id=key.kid)
    token: bytes = google.auth.jwt.encode(signer, payload)
    return token.decode()


def scheduled_export_client() -> Any:
    """The scheduled export function in-process (functions-framework's own app), as a test client."""
    import functions_framework

    source = str(FUNCTIONS_DIR / "scheduled_export.py")
    return functions_framework.create_app("scheduled_export", source, "http").test_client()


def run_locally(body: dict[str, Any]) -> tuple[int, Any, str]:
    """Run one scheduled export job as Cloud Scheduler would: a POST with an OIDC token the function
    verifies (against a local certs endpoint). Returns (status, JSON answer, the function's log)."""
    from shared.config import settings

    key = make_key("local-scheduler")
    with certs_endpoint(key) as certs_url:
        os.environ.update(
            EVENTS_SCHEDULER_SERVICE_ACCOUNT=LOCAL_ACCOUNT,
            EVENTS_SCHEDULER_AUDIENCE=LOCAL_AUDIENCE,
            EVENTS_SCHEDULER_CERTS_URL=certs_url,
        )
        settings.cache_clear()
        token = oidc_token(key, audience=LOCAL_AUDIENCE, account=LOCAL_ACCOUNT)
        logs = io.StringIO()
        with contextlib.redirect_stdout(logs), contextlib.redirect_stderr(logs):  # kept apart
            answer = scheduled_export_client().post(
                "/",
                data=json.dumps(body),
                headers={"Authorization": f"Bearer {token}"},
                content_type="application/json",
            )
        return answer.status_code, answer.get_json(), logs.getvalue()
