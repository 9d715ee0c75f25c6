"""What deploys is generated from the repo's own definitions; here it is proven as far as a machine
without Google Cloud allows: bundles run from their own requirements only, the API Gateway config is
valid and routes every route, the plan deploys every function once per tenant, Cloud Build parses."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from openapi_spec_validator import validate

from deploy.__main__ import render_files
from deploy.bundle import build_bundle, closure
from deploy.gateway_config import render as render_gateway
from deploy.plan import ALL_FUNCTIONS, steps
from deploy.tenants import load_tenants
from devstack.emulators import Emulators, free_port
from devstack.processes import spawn, stop_group
from shared.edge.routes import API_ROUTES
from shared.model.scope import Scope
from shared.pubsub.message import MESSAGE_PUBLISHED
from shared.store.events import EventStore
from tests.contract import check_response
from tests.integration.conftest import Token, event_line

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".venv" / "bin" / "uv"
TENANTS = load_tenants()


def gateway_config() -> dict[str, Any]:
    tenant = TENANTS["acme"]
    return render_gateway(
        {function: tenant.function_name(function) for function in ALL_FUNCTIONS},
        region=tenant.region,
        project=tenant.project,
        title="NovaVMS Events acme",
        jwt_issuer="https://auth.novavms.com/",
        jwt_jwks_url="https://auth.novavms.com/.well-known/jwks.json",
        jwt_audiences=["novavms-events"],
    )


def test_gateway_config_is_valid_and_routes_every_route() -> None:
    config = gateway_config()
    validate(config)  # raises on an invalid OpenAPI 2.0 document
    tenant = TENANTS["acme"]
    for route in API_ROUTES:
        operation = config["paths"][route.path][route.method.lower()]
        backend = operation["x-google-backend"]
        assert operation["operationId"] == route.function
        assert backend["address"].endswith("/" + tenant.function_name(route.function))
        assert backend["path_translation"] == "APPEND_PATH_TO_ADDRESS"
        assert operation["security"] == [], "the functions authenticate (API keys are no JWTs)"
        for name in re.findall(r"\{(\w+)\}", route.path):
            assert any(
                p["name"] == name and p["in"] == "path" and p["required"] for p in operation["parameters"]
            )
    assert config["paths"]["/api/v1/events/export"]["get"]["x-google-backend"]["deadline"] >= 600
    scheme = config["securityDefinitions"]["novavms_jwt"]
    assert scheme["x-google-issuer"] and scheme["x-google-jwks_uri"] and scheme["x-google-audiences"]
    addresses = {
        op["x-google-backend"]["address"] for item in config["paths"].values() for op in item.values()
    }
    assert not any("scheduled-export" in address for address in addresses), "the gateway must not route it"
    for path in {route.path for route in API_ROUTES}:
        assert config["paths"][path]["options"]["security"] == []


def test_plan_deploys_every_function_once_per_tenant() -> None:
    for tenant in TENANTS.values():
        plan = steps(tenant)
        for function in ALL_FUNCTIONS:
            deploys = [
                line
                for line in plan
                if line.startswith(f"gcloud functions deploy {tenant.function_name(function)} ")
            ]
            assert len(deploys) == 1, (tenant.name, function)
            argv = shlex.split(deploys[0])
            assert f"--entry-point={function}" in argv and "--no-allow-unauthenticated" in argv
            assert f"--service-account={tenant.account('fn')}" in argv
            invokers = [
                line
                for line in plan
                if "add-invoker-policy-binding " + tenant.function_name(function) + " " in line
            ]
            invoker = {
                "scheduled_export": "sched", "sweep_webhooks": "sched", "deliver_webhook": "tasks",
                "ingest_pubsub": "trigger",
            }  # fmt: skip
            expected = tenant.account(invoker.get(function, "gw"))
            assert len(invokers) == 1 and f"serviceAccount:{expected}" in invokers[0]
        assert sum("scheduler jobs create http" in line for line in plan) == 2  # the export, the sweeper
        assert any("--enable-pitr" in line for line in plan)
        assert any("backups schedules create" in line for line in plan)


def _hmac_key_made_once(plan: list[str], account: str, secret: str) -> None:
    """The plan makes ``account``'s HMAC key exactly once, only while ``secret`` has no version, and
    puts both halves into Secret Manager."""
    (made,) = [line for line in plan if f"storage hmac create {account} " in line]
    assert made.startswith(f"gcloud secrets versions describe latest --secret={secret}")
    assert " || { " in made and made.count("gcloud secrets versions add") == 2


def _deployed_secrets(plan: list[str]) -> dict[str, str]:
    """Each deployed function's ``--set-secrets`` and ``--set-env-vars``, by entry point."""
    found = {}
    for line in plan:
        if line.startswith("gcloud functions deploy "):
            argv = shlex.split(line)
            entry = next(arg for arg in argv if arg.startswith("--entry-point=")).split("=", 1)[1]
            env = next(arg for arg in argv if arg.startswith("--set-env-vars="))
            found[entry] = env + " " + next(arg for arg in argv if arg.startswith("--set-secrets="))
    return found


def test_plan_signs_media_urls_with_a_read_only_signers_hmac_key() -> None:
    for tenant in TENANTS.values():
        plan = steps(tenant)
        signer = tenant.account("signer")
        bindings = [line for line in plan if f"serviceAccount:{signer}" in line]
        assert len(bindings) == 1, "the signer account gets one role, on one bucket"
        assert (
            f"gs://{tenant.media_bucket} " in bindings[0]
            and "--role=roles/storage.objectViewer" in bindings[0]
        )
        _hmac_key_made_once(plan, signer, tenant.secret("signing-hmac-secret"))
        for function, deployed in _deployed_secrets(plan).items():
            assert "|EVENTS_URL_SIGNER=hmac" in deployed, function
            assert f"EVENTS_SIGNING_HMAC_SECRET={tenant.secret('signing-hmac-secret')}:latest" in deployed


def test_plan_signs_upload_urls_with_a_create_only_uploaders_hmac_key_given_to_one_function() -> None:
    for tenant in TENANTS.values():
        plan = steps(tenant)
        uploader, signer = tenant.account("upload"), tenant.account("signer")
        assert uploader != signer
        bindings = [line for line in plan if f"serviceAccount:{uploader}" in line]
        assert len(bindings) == 1, "the uploader account gets one role, on one bucket"
        assert (
            f"gs://{tenant.media_bucket} " in bindings[0]
            and "--role=roles/storage.objectCreator" in bindings[0]
        )
        signer_roles = [line for line in plan if f"serviceAccount:{signer}" in line]
        assert not any("objectCreator" in line or "objectUser" in line for line in signer_roles), (
            "the read signer stays read-only"
        )
        _hmac_key_made_once(plan, uploader, tenant.secret("upload-hmac-secret"))
        upload_secret = f"EVENTS_UPLOAD_HMAC_SECRET={tenant.secret('upload-hmac-secret')}:latest"
        upload_id = f"EVENTS_UPLOAD_HMAC_ACCESS_ID={tenant.secret('upload-hmac-access-id')}:latest"
        for function, deployed in _deployed_secrets(plan).items():
            given = upload_secret in deployed and upload_id in deployed
            assert given == (function == "create_upload_urls"), function


def test_dry_run_prints_the_plan() -> None:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "deploy", "--all", "--dry-run"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    expected = "\n".join(line for tenant in TENANTS.values() for line in steps(tenant)) + "\n"
    assert done.stdout == expected


def test_rendered_files_cover_what_the_plan_reads(tmp_path: Path) -> None:
    tenant = TENANTS["globex"]
    render_files(tenant, tmp_path / "build" / tenant.name, "https://iss/", "https://iss/jwks", "aud")
    referenced = set()
    for line in steps(tenant):
        referenced.update(re.findall(r"build/[\w./-]+", line))
    assert referenced
    for path in referenced:
        assert (tmp_path / path).exists(), path
    rules = (tmp_path / "build" / tenant.name / "firebase" / "firestore.rules").read_text()
    assert "allow read, write: if false;" in rules
    config_id = (tmp_path / "build" / tenant.name / "gateway-config-id").read_text().strip()
    assert re.fullmatch(r"events-globex-[0-9a-f]{10}", config_id)


def test_cloudbuild_parses_and_its_files_exist() -> None:
    build = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    ids = [step["id"] for step in build["steps"]]
    assert ids == ["lint", "test", "deploy"]
    script = "\n".join(" ".join(step["args"]) for step in build["steps"])
    assert "make test" in script and "-m deploy" in script
    targets = re.findall(r"^\s*make ([\w -]+)$", script, re.M)
    assert len(targets) == 3
    for target in targets:
        for name in target.split():
            assert re.search(rf"^{name}:", (ROOT / "Makefile").read_text(), re.M), name
    assert {"_TENANT", "_PROJECT"} <= set(build["substitutions"])


def test_project_override() -> None:
    command = ["-m", "deploy", "--tenant=acme", "--project=staging-1", "--dry-run"]
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), *command],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "--project=staging-1" in done.stdout and "--project=novavms-acme" not in done.stdout


def test_delete_needs_no_storage() -> None:
    shared_files, distributions = closure("delete_event")
    assert "google-cloud-storage" not in distributions
    assert not any(path.name in {"media.py", "gcs.py", "exports.py"} for path in shared_files)


@pytest.fixture(scope="module")
def bundle_python(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Each function's bundle with a fresh virtualenv built from its own requirements.txt only."""
    made = {}
    for function in ALL_FUNCTIONS:
        base = tmp_path_factory.mktemp(function)
        bundle = build_bundle(function, base / "bundle")
        venv = base / "venv"
        subprocess.run(
            [str(UV), "venv", "--quiet", "--python", str(ROOT / ".venv" / "bin" / "python"), str(venv)],
            check=True,
        )
        python = str(venv / "bin" / "python")
        requirements = str(bundle / "requirements.txt")
        install = [str(UV), "pip", "install", "--quiet", "--python", python, "-r", requirements]
        subprocess.run(install, check=True, timeout=300)
        made[function] = (bundle, venv)
    return made


def serve(
    bundle: Path, venv: Path, function: str, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [str(venv / "bin" / "functions-framework"), "--source", "main.py", "--target", function]
    process = spawn([*command, "--port", str(port)], cwd=bundle, env=env, stderr=subprocess.PIPE)
    return process, f"http://127.0.0.1:{port}"


def first_answer(process: subprocess.Popen[bytes], method: str, url: str, **kwargs: Any) -> requests.Response:
    deadline = time.monotonic() + 120  # only ends a hang: a loaded machine starts slowly
    while True:
        try:
            answer = requests.request(method, url, timeout=10, **kwargs)
            check_response(answer)  # a function served alone keeps the contract too
            return answer
        except requests.ConnectionError:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "exited") from None
            assert time.monotonic() < deadline, "the bundle did not start"
            time.sleep(0.2)


def wait_for_cloud_event(
    process: subprocess.Popen[bytes], base: str, headers: dict[str, str], body: dict[str, Any]
) -> requests.Response:
    """The answer of a CloudEvent function served from a bundle to a binary-mode CloudEvent."""
    deadline = time.monotonic() + 120  # only ends a hang: a loaded machine starts slowly
    while True:
        try:
            return requests.post(base + "/", headers=headers, json=body, timeout=30)
        except requests.ConnectionError:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "exited") from None
            assert time.monotonic() < deadline, "the bundle did not start"
            time.sleep(0.2)


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
def test_bundle_serves_from_its_own_requirements(
    function: str,
    bundle_python: dict[str, tuple[Path, Path]],
    emulators: Emulators,
    token: Token,
    add_events: Any,
    org: str,
) -> None:
    bundle, venv = bundle_python[function]
    line = add_events([event_line(0)])[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    env["EVENTS_SCHEDULER_SERVICE_ACCOUNT"] = "sched@example.iam.gserviceaccount.com"
    env["EVENTS_SCHEDULER_AUDIENCE"] = "https://example.invalid/scheduled-export"
    process, base = serve(bundle, venv, function, env)
    try:
        admin = {"Authorization": f"Bearer {token('admin')}"}
        path = f"/api/v1/events/{line['id']}"
        if function == "list_events":
            answer = first_answer(process, "GET", base + "/api/v1/events", headers=admin)
            assert answer.status_code == 200 and answer.json()["total"] == 1
        elif function == "get_event":
            answer = first_answer(process, "GET", base + path, headers=admin)
            assert answer.status_code == 200 and answer.json()["id"] == line["id"]
        elif function == "update_event":
            answer = first_answer(process, "PATCH", base + path, headers=admin, json={"starred": True})
            assert answer.status_code == 200 and answer.json()["starred"] is True
        elif function == "delete_event":
            answer = first_answer(process, "DELETE", base + path, headers=admin)
            assert answer.status_code == 204
        elif function == "export_events":
            answer = first_answer(process, "GET", base + "/api/v1/events/export", headers=admin)
            assert answer.status_code == 200 and line["id"] in answer.text
        elif function == "create_key":
            body = {"name": "bundle", "role": "operator"}
            answer = first_answer(process, "POST", base + "/api/v1/keys", headers=admin, json=body)
            assert answer.status_code == 201 and answer.json()["secret"].startswith("sk_")
        elif function == "list_changes":
            answer = first_answer(process, "GET", base + "/api/v1/events/changes", headers=admin)
            assert answer.status_code == 200 and answer.json()["next_cursor"]
        elif function == "list_keys":
            answer = first_answer(process, "GET", base + "/api/v1/keys", headers=admin)
            assert answer.status_code == 200 and answer.json() == {"data": [], "next_cursor": None}
        elif function == "revoke_key":
            answer = first_answer(process, "DELETE", base + "/api/v1/keys/nosuchkey", headers=admin)
            assert answer.status_code == 404
        elif function == "list_deleted_events":
            answer = first_answer(process, "GET", base + "/api/v1/events/deleted", headers=admin)
            assert answer.status_code == 200 and answer.json()["total"] == 0
        elif function == "restore_event":
            answer = first_answer(process, "POST", base + path + "/restore", headers=admin)
            assert answer.status_code == 200 and answer.json()["id"] == line["id"]
        elif function == "get_event_history":
            answer = first_answer(process, "GET", base + path + "/history", headers=admin)
            assert answer.status_code == 200 and answer.json() == {"data": [], "next_cursor": None}
        elif function == "create_upload_urls":
            answer = first_answer(process, "POST", base + path + "/upload-urls", headers=admin)
            assert answer.status_code == 200
            assert answer.json()["snapshot"]["object"].startswith(f"uploads/{line['id']}/")
        elif function in ("batch_update_events", "batch_delete_events"):
            selection: dict[str, Any] = {"ids": [line["id"]]}
            if function == "batch_update_events":
                url, selection = (
                    base + "/api/v1/events/batch-update",
                    {**selection, "changes": {"starred": True}},
                )
            else:
                url = base + "/api/v1/events/batch-delete"
            answer = first_answer(process, "POST", url, headers=admin, json=selection)
            assert answer.status_code == 200 and answer.json()["changed"] == 1
        elif function == "upsert_event":
            fresh = event_line(1)
            answer = first_answer(
                process, "PUT", f"{base}/api/v1/events/{fresh['id']}", headers=admin, json=fresh
            )
            assert answer.status_code == 201 and answer.json() == {"id": fresh["id"], "status": "created"}
        elif function == "ingest_events":
            batch: dict[str, Any] = {"events": [event_line(2), line]}
            answer = first_answer(process, "POST", base + "/api/v1/events/ingest", headers=admin, json=batch)
            counts = (answer.json()["created"], answer.json()["unchanged"])
            assert answer.status_code == 200 and counts == (1, 1)
        elif function == "create_webhook_endpoint":
            hook = {"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]}  # loopback: a test stack's
            answer = first_answer(
                process, "POST", base + "/api/v1/webhook-endpoints", headers=admin, json=hook
            )
            assert answer.status_code == 201 and answer.json()["secret"].startswith("whsec_")
        elif function == "list_webhook_endpoints":
            answer = first_answer(process, "GET", base + "/api/v1/webhook-endpoints", headers=admin)
            assert answer.status_code == 200 and answer.json() == {"data": [], "next_cursor": None}
        elif function == "list_event_types":  # the catalogue's schemas come from the bundle's document
            answer = first_answer(process, "GET", base + "/api/v1/event-types", headers=admin)
            assert answer.status_code == 200 and len(answer.json()["data"]) == 6
        elif function in (
            "list_webhook_deliveries",
            "replay_webhook_endpoint",
            "rotate_webhook_secret",
            "resend_webhook_delivery",
        ):  # an id of no endpoint or delivery
            method, path, sent = {
                "list_webhook_deliveries": ("GET", f"webhook-endpoints/ep_{'0' * 32}/deliveries", None),
                "replay_webhook_endpoint": (
                    "POST",
                    f"webhook-endpoints/ep_{'0' * 32}/replay",
                    {"since": datetime.now(UTC).isoformat()},
                ),
                "rotate_webhook_secret": ("POST", f"webhook-endpoints/ep_{'0' * 32}/rotate-secret", {}),
                "resend_webhook_delivery": ("POST", f"webhook-deliveries/{'0' * 32}/resend", None),
            }[function]
            answer = first_answer(process, method, f"{base}/api/v1/{path}", headers=admin, json=sent)
            assert answer.status_code == 404 and answer.json()["error"] == "not_found"
        elif function.endswith("_webhook_endpoint"):  # get, update, delete, test: an id of no endpoint
            method, suffix, patch = {
                "get_webhook_endpoint": ("GET", "", None),
                "update_webhook_endpoint": ("PATCH", "", {"description": "x"}),
                "delete_webhook_endpoint": ("DELETE", "", None),
                "test_webhook_endpoint": ("POST", "/test", None),
            }[function]
            url = f"{base}/api/v1/webhook-endpoints/ep_{'0' * 32}{suffix}"
            answer = first_answer(process, method, url, headers=admin, json=patch)
            assert answer.status_code == 404 and answer.json()["error"] == "not_found"
        elif function == "api_docs":  # the page and its assets come from the bundle's docs_assets/
            answer = first_answer(process, "GET", base + "/docs/swagger-ui-bundle.js")
            assert answer.status_code == 200 and "SwaggerUIBundle" in answer.text
            assert (bundle / "docs_assets" / "swagger-ui-bundle.js").is_file()
            assert requests.get(base + "/openapi.json", timeout=10).json()["openapi"].startswith("3.")
            live = requests.get(base + "/live/live.js", timeout=10)
            assert live.status_code == 200 and "EventSource" in live.text
            assert (bundle / "docs_assets" / "live.js").is_file()
        elif function == "stream_events":  # a test stack's streams close after 2 s
            answer = first_answer(process, "GET", base + "/api/v1/events/stream", headers=admin)
            assert answer.status_code == 200 and answer.text.startswith("retry: 2000")
            assert answer.headers["Content-Type"].startswith("text/event-stream")
        elif function == "create_stream_ticket":
            answer = first_answer(process, "POST", base + "/api/v1/stream-tickets", headers=admin)
            assert answer.status_code == 201 and answer.json()["ticket"].startswith("st_")
        elif function == "ingest_pubsub":  # a valid event needs no dead letter: no Pub/Sub here
            fresh = event_line(1)
            message: dict[str, Any] = {
                "data": base64.b64encode(json.dumps(fresh).encode()).decode(),
                "messageId": "1",
                "attributes": {"org_id": org},
            }
            headers = {
                "ce-id": "1", "ce-specversion": "1.0", "ce-type": MESSAGE_PUBLISHED,
                "ce-source": "//pubsub.googleapis.com/projects/p/topics/events-ingest",
            }  # fmt: skip
            answer = wait_for_cloud_event(process, base, headers, {"message": message})
            assert answer.status_code == 200, answer.text
            assert EventStore(Scope(org)).get(fresh["id"]) is not None
            return
        else:  # scheduled_export, deliver_webhook, sweep_webhooks: their OIDC path runs end to end in
            # test_export and test_webhooks; here, a request without one
            answer = first_answer(process, "POST", base + "/", json={})
            assert answer.status_code == 401 and answer.json()["error"] == "auth_required"
        assert answer.headers["X-Request-Id"]
    finally:
        stop_group(process)


def test_plan_makes_the_api_key_secret_once_and_gives_it_to_every_function() -> None:
    for tenant in TENANTS.values():
        plan = steps(tenant)
        secret = tenant.secret("api-key-secret")
        (made,) = [line for line in plan if f"versions add {secret}" in line]
        # Made once: a new version would invalidate every API key of the tenant.
        assert (
            made.startswith(f"gcloud secrets versions describe latest --secret={secret}") and " || " in made
        )
        assert "/dev/urandom" in made
        deploys = [shlex.split(line) for line in plan if line.startswith("gcloud functions deploy ")]
        assert deploys
        for argv in deploys:
            secrets = next(arg for arg in argv if arg.startswith("--set-secrets="))
            assert f"EVENTS_API_KEY_SECRET={secret}:latest" in secrets
