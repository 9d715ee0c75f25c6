"""Both clients' webhook verifiers (``novavms.Webhook`` in Python, ``Webhook`` of the JS package run by
node from the committed ``dist/``) against messages signed by the PyPI ``standardwebhooks`` library, an
independent implementation of the scheme: a good message gives its payload; a tampered body, a wrong
secret, a timestamp more than five minutes off either way, a missing header or a malformed timestamp
is refused; several signatures (a secret being rotated) verify with either secret."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import novavms
import pytest
import standardwebhooks

from tests.integration.conftest import ROOT

JS_DIST = ROOT / "clients" / "js" / "dist" / "index.js"
PAYLOAD = {
    "type": "event.updated",
    "timestamp": "2026-05-01T12:00:00.000Z",
    "data": {"id": "chg_01", "event_id": "evt_01", "summary": "Person at the gate, café door"},
}
BODY = json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":"))
SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
OLD_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
OTHER_SCHEME = "v1a," + base64.b64encode(b"x" * 64).decode()


@dataclass(frozen=True)
class Case:
    name: str
    secret: str
    body: str
    headers: dict[str, str]
    valid: bool


def _headers(secret: str, body: str, at: datetime, webhook_id: str = "chg_01") -> dict[str, str]:
    """A message's headers as ``standardwebhooks`` signs it."""
    signature = standardwebhooks.Webhook(secret).sign(webhook_id, at, body)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _cases() -> list[Case]:
    now = datetime.now(UTC)
    good = _headers(SECRET, BODY, now)
    rotated = {**good, "webhook-signature": f"{_headers(OLD_SECRET, BODY, now)['webhook-signature']} "
               f"{good['webhook-signature']}"}  # fmt: skip
    without = {name: {key: value for key, value in good.items() if key != name} for name in good}
    return [
        Case("good", SECRET, BODY, good, True),
        Case("headers in any case", SECRET, BODY, {key.title(): value for key, value in good.items()}, True),
        Case("secret without whsec_", SECRET.removeprefix("whsec_"), BODY, good, True),
        Case("four minutes old", SECRET, BODY, _headers(SECRET, BODY, now - timedelta(minutes=4)), True),
        Case("rotation, new secret", SECRET, BODY, rotated, True),
        Case("rotation, old secret", OLD_SECRET, BODY, rotated, True),
        Case(
            "another scheme's signature beside",
            SECRET,
            BODY,
            {
                **good,
                "webhook-signature": f"{OTHER_SCHEME} {good['webhook-signature']}",
            },
            True,
        ),
        Case("tampered body", SECRET, BODY.replace("gate", "gatE"), good, False),
        Case("body with a space added", SECRET, BODY + " ", good, False),
        Case("wrong secret", OLD_SECRET, BODY, good, False),
        Case("another webhook-id", SECRET, BODY, {**good, "webhook-id": "chg_02"}, False),
        Case(
            "timestamp changed",
            SECRET,
            BODY,
            {**good, "webhook-timestamp": str(int(now.timestamp()) + 1)},
            False,
        ),
        Case("six minutes old", SECRET, BODY, _headers(SECRET, BODY, now - timedelta(minutes=6)), False),
        Case("six minutes ahead", SECRET, BODY, _headers(SECRET, BODY, now + timedelta(minutes=6)), False),
        Case("missing webhook-id", SECRET, BODY, without["webhook-id"], False),
        Case("missing webhook-timestamp", SECRET, BODY, without["webhook-timestamp"], False),
        Case("missing webhook-signature", SECRET, BODY, without["webhook-signature"], False),
        Case("timestamp not seconds", SECRET, BODY, {**good, "webhook-timestamp": "1e9"}, False),
        Case(
            "signature unversioned",
            SECRET,
            BODY,
            {**good, "webhook-signature": good["webhook-signature"][3:]},
            False,
        ),
        Case("signature not base64", SECRET, BODY, {**good, "webhook-signature": "v1,***"}, False),
    ]


def _python(case: Case, as_bytes: bool) -> dict[str, Any]:
    try:
        body: bytes | str = case.body.encode() if as_bytes else case.body
        return {"ok": True, "payload": novavms.Webhook(case.secret).verify(body, case.headers)}
    except novavms.WebhookVerificationError as exc:
        return {"ok": False, "error": type(exc).__name__, "message": str(exc)}


JS_VERIFY = """
import { Webhook, WebhookVerificationError, NovaVMSError } from %s;
const cases = JSON.parse(process.argv[1]);
const results = [];
for (const [i, c] of cases.entries()) {
  // Alternate the shapes a receiver has: Node's header record and a string, fetch's Headers and bytes.
  const headers = i %% 2 ? new Headers(c.headers) : c.headers;
  const body = i %% 2 ? new TextEncoder().encode(c.body) : c.body;
  try {
    results.push({ ok: true, payload: await new Webhook(c.secret).verify(body, headers) });
  } catch (error) {
    if (!(error instanceof WebhookVerificationError) || !(error instanceof NovaVMSError)) throw error;
    results.push({ ok: false, error: error.name, message: error.message });
  }
}
console.log(JSON.stringify(results));
"""


def _js(cases: list[Case]) -> list[dict[str, Any]]:
    script = JS_VERIFY % json.dumps(JS_DIST.as_uri())
    argument = json.dumps([case.__dict__ for case in cases])
    ran = subprocess.run(
        ["node", "--input-type=module", "-e", script, argument],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    results: list[dict[str, Any]] = json.loads(ran.stdout)
    return results


VERIFIERS: dict[str, Callable[[list[Case]], list[dict[str, Any]]]] = {
    "python-str": lambda cases: [_python(case, as_bytes=False) for case in cases],
    "python-bytes": lambda cases: [_python(case, as_bytes=True) for case in cases],
    "js": _js,
}


@pytest.mark.parametrize("verifier", sorted(VERIFIERS))
def test_each_client_verifies_what_standardwebhooks_signs_and_refuses_the_rest(verifier: str) -> None:
    cases = _cases()
    results = VERIFIERS[verifier](cases)
    assert len(results) == len(cases)
    for case, result in zip(cases, results, strict=True):
        if case.valid:
            assert result == {"ok": True, "payload": PAYLOAD}, case.name
        else:
            assert result["ok"] is False and result["error"] == "WebhookVerificationError", (
                case.name,
                result,
            )
    messages = {case.name: result.get("message", "") for case, result in zip(cases, results, strict=True)}
    assert messages["six minutes old"] == "webhook-timestamp is more than 5 minutes old"
    assert messages["six minutes ahead"] == "webhook-timestamp is more than 5 minutes in the future"
    assert messages["missing webhook-signature"] == "missing header webhook-signature"
    assert messages["tampered body"] == "no matching signature"


def test_the_clients_sign_as_standardwebhooks_does() -> None:
    at = datetime.now(UTC)
    expected = standardwebhooks.Webhook(SECRET).sign("chg_01", at, BODY)
    assert novavms.Webhook(SECRET).sign("chg_01", int(at.timestamp()), BODY.encode()) == expected
    script = (
        f"import {{ Webhook }} from {json.dumps(JS_DIST.as_uri())};"
        "const [secret, at, body] = JSON.parse(process.argv[1]);"
        "console.log(await new Webhook(secret).sign('chg_01', at, body));"
    )
    argument = json.dumps([SECRET, int(at.timestamp()), BODY])
    ran = subprocess.run(
        ["node", "--input-type=module", "-e", script, argument],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == expected


@pytest.mark.parametrize("secret", ["whsec_", "", "whsec_not base64!"])
def test_a_secret_that_is_not_base64_or_empty_is_refused_at_once(secret: str) -> None:
    with pytest.raises(ValueError):
        novavms.Webhook(secret)
