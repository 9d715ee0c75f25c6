"""API keys (``sk_test_...`` on test stacks): accepted wherever a JWT is, with the same scoping and
checks; managed by admins' JWTs only; stored only as a hash; revoked, expired, unknown and made-up keys
are 401; the CLI creates, lists and revokes them."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.edge.api_keys import key_secret, new_key
from shared.store.client import firestore_client
from tests.integration.conftest import SITE_A, SITE_B, Api, Token, event_line, reset_caches

ROOT = Path(__file__).resolve().parents[2]
CLI = str(ROOT / ".venv" / "bin" / "novavms-events")
KEYS, EVENTS = "/api/v1/keys", "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]


def create(api: Api, admin: str, **body: Any) -> dict[str, Any]:
    answer = api.call("POST", KEYS, admin, json={"name": "test key", **body})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def stored(key_id: str) -> dict[str, Any]:
    snap = firestore_client().collection("api_keys").document(key_id).get()
    assert snap.exists
    data: dict[str, Any] = snap.to_dict() or {}
    return data


def test_each_roles_key_works_like_its_jwt(api: Api, token: Token, add_events: AddEvents) -> None:
    at_a, at_b = add_events([event_line(0, site_id=SITE_A), event_line(1, site_id=SITE_B)])
    admin_jwt = token("admin")
    viewer = create(api, admin_jwt, role="viewer", site_ids=[SITE_A])["secret"]
    operator = create(api, admin_jwt, role="operator")
    admin = create(api, admin_jwt, role="admin")["secret"]
    assert viewer.startswith("sk_test_") and len(viewer) == len("sk_test_") + 38

    assert [item["id"] for item in api.get(EVENTS, viewer).json()["data"]] == [at_a["id"]]
    assert api.get(f"{EVENTS}/{at_b['id']}", viewer).status_code == 403  # outside the key's sites
    assert api.patch(f"{EVENTS}/{at_a['id']}", viewer, json={"starred": True}).status_code == 403
    assert api.get(f"{EVENTS}/export", viewer).status_code == 403

    patched = api.patch(f"{EVENTS}/{at_a['id']}", operator["secret"], json={"acknowledged": True})
    assert patched.status_code == 200 and patched.json()["acknowledged_by"] == f"key:{operator['id']}"
    assert api.get(f"{EVENTS}/export", operator["secret"]).status_code == 200
    assert api.delete(f"{EVENTS}/{at_b['id']}", operator["secret"]).status_code == 403
    assert api.delete(f"{EVENTS}/{at_b['id']}", admin).status_code == 204
    # A key cannot manage keys: a leaked key must not mint keys.
    assert api.call("POST", KEYS, admin, json={"name": "x", "role": "admin"}).status_code == 401
    assert api.get(KEYS, admin).status_code == 401
    assert api.get(KEYS, token("operator")).status_code == 403


def test_keys_belong_to_their_org(api: Api, org: str, token: Token, add_events: AddEvents) -> None:
    mine = add_events([event_line(0)])[0]
    other_org = f"{org}-other"
    theirs = add_events([event_line(0)], org_id=other_org)[0]
    key = create(api, token("admin", org_id=other_org), role="admin")
    assert api.get(f"{EVENTS}/{mine['id']}", key["secret"]).status_code == 404
    assert [item["id"] for item in api.get(EVENTS, key["secret"]).json()["data"]] == [theirs["id"]]
    assert api.delete(f"{KEYS}/{key['id']}", token("admin")).status_code == 404  # not this org's key
    assert api.get(EVENTS, key["secret"]).status_code == 200


def test_stored_only_as_a_hash_and_listed_without_secrets(api: Api, org: str, token: Token) -> None:
    admin = token("admin", sub="admin-1")
    created = create(api, admin, role="operator", name="bridge")
    secret = created.pop("secret")
    digest = hashlib.sha256(secret.encode()).hexdigest()
    assert created["id"] == digest[:16] and created["last4"] == secret[-4:]
    document = stored(created["id"])
    assert document["hash"] == digest and document["org_id"] == org
    assert secret not in repr(document) and secret[8:] not in repr(document)
    listed = api.get(KEYS, admin).json()["data"]
    assert listed == [created] and all("secret" not in key and "hash" not in key for key in listed)
    assert created["created_by"] == "admin-1"


def test_a_replayed_creation_never_returns_the_secret(api: Api, token: Token) -> None:
    admin = token("admin")
    body, headers = {"name": "once", "role": "operator"}, {"Idempotency-Key": "create-once"}
    first = api.call("POST", KEYS, admin, json=body, headers=headers)
    again = api.call("POST", KEYS, admin, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["secret"].startswith("sk_test_") and again.json()["secret"] is None
    assert again.headers["Idempotent-Replayed"] == "true"
    assert {k: v for k, v in again.json().items() if k != "secret"} == {
        k: v for k, v in first.json().items() if k != "secret"
    }
    assert len(api.get(KEYS, admin).json()["data"]) == 1
    records = firestore_client().collection_group("idempotency").stream()
    assert all(first.json()["secret"] not in repr(record.to_dict()) for record in records)


def test_revoked_expired_unknown_and_made_up_keys_are_401(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    add_events([event_line(0)])
    admin = token("admin")
    revoked = create(api, admin, role="viewer", site_ids=[SITE_A])
    assert api.get(EVENTS, revoked["secret"]).status_code == 200
    assert api.delete(f"{KEYS}/{revoked['id']}", admin).status_code == 204
    answer = api.get(EVENTS, revoked["secret"])  # at once on the instance that revoked it
    assert answer.status_code == 401 and answer.json()["error"] == "auth_required"
    assert api.get(KEYS, admin).json()["data"][0]["revoked_at"]

    os.environ["EVENTS_KEY_CACHE_SECONDS"] = "0"
    reset_caches()
    expiring = create(
        api, admin, role="operator", expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()
    )
    assert api.get(EVENTS, expiring["secret"]).status_code == 200
    firestore_client().collection("api_keys").document(expiring["id"]).update(
        {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}
    )
    assert api.get(EVENTS, expiring["secret"]).status_code == 401

    unknown = new_key("sk_test_", key_secret())  # well formed, never stored
    assert api.get(EVENTS, unknown).status_code == 401
    made_up = "sk_test_" + "a" * 38  # the checksum is wrong
    live = new_key("sk_live_", key_secret())  # the other prefix: refused by a test stack
    for bad in (made_up, live, unknown[:-1] + ("A" if unknown[-1] != "A" else "B"), "sk_test_"):
        assert api.get(EVENTS, bad).status_code == 401, bad


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "v", "role": "viewer"}, {"site_ids"}),
        ({"name": "o", "role": "operator", "site_ids": [SITE_A]}, {"site_ids"}),
        ({"name": "", "role": "boss"}, {"name", "role"}),
        ({"name": "x", "role": "admin", "expires_at": "2001-01-01T00:00:00Z"}, {"expires_at"}),
        ({"name": "x", "role": "admin", "extra": 1}, {"extra"}),
    ],
)
def test_bad_creations_are_400_naming_the_field(
    api: Api, token: Token, body: dict[str, Any], fields: set[str]
) -> None:
    answer = api.call("POST", KEYS, token("admin"), json=body)
    assert answer.status_code == 400 and set(answer.json()["fields"]) == fields, answer.text


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "keys", *args], capture_output=True, text=True, env=dict(os.environ), cwd=ROOT, timeout=60
    )


def test_the_cli_creates_lists_and_revokes(api: Api, org: str, add_events: AddEvents) -> None:
    add_events([event_line(0, site_id=SITE_A)])
    created = run_cli("create", "--org", org, "--role", "viewer", "--sites", SITE_A, "--name", "wall display")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("sk_test_") and api.get(EVENTS, secret).json()["total"] == 1
    key_id = hashlib.sha256(secret.encode()).hexdigest()[:16]
    listed = run_cli("list", "--org", org)
    assert listed.returncode == 0 and key_id in listed.stdout and "wall display" in listed.stdout
    assert secret not in listed.stdout and secret[8:] not in listed.stdout
    assert run_cli("revoke", "--org", org, key_id).returncode == 0
    assert "revoked" in run_cli("list", "--org", org).stdout
    assert run_cli("revoke", "--org", f"{org}-x", key_id).returncode == 1  # not a key of that org
    assert run_cli("revoke", "--org", org, "bad!").returncode == 2
    refused = run_cli("create", "--org", org, "--role", "viewer")
    assert refused.returncode == 2 and "needs --sites" in refused.stderr and "Traceback" not in refused.stderr
