"""What runs in production is what the tests run: the functions deploy on the tests' Python, their
dependencies (direct and indirect) are the locked versions the dev venv has, and the idempotency
records expire by a Firestore TTL policy that deploys with the indexes."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deploy.__main__ import render_files
from deploy.bundle import BundleError, build_bundle, closure, requirements
from deploy.lock import (
    LOCK_FILE,
    PROJECT_ROOT,
    Lock,
    LockError,
    normalize,
    parse_lock,
    problems,
    project_pins,
    read_lock,
)
from deploy.plan import ALL_FUNCTIONS, build_dir, function_deploy, steps
from deploy.runtime import PLATFORM, RuntimeMismatch, python_version, runtime_name
from deploy.tenants import TenantError, load_tenants
from shared.store import idempotency
from shared.store.client import firestore_client
from tests.integration.conftest import Api, Token, event_line

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
UV = ROOT / ".venv" / "bin" / "uv"
TENANTS = load_tenants()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


# The runtime -------------------------------------------------------------------------------------


def test_tests_run_on_the_deployed_python() -> None:
    version = python_version()
    assert sys.version_info[:2] == version, "the tests must run on the Python the functions deploy on"
    for tenant in TENANTS.values():
        assert tenant.runtime == runtime_name(version) == "python311", tenant.name
        for function in ALL_FUNCTIONS:
            assert f"--runtime={tenant.runtime}" in function_deploy(tenant, function)
    assert PYPROJECT["tool"]["mypy"]["python_version"] == f"{version[0]}.{version[1]}"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == f"py{version[0]}{version[1]}"


@pytest.mark.parametrize("runtime", ["python312", "python310", "python3", "nodejs20", "python311 "])
def test_the_plan_refuses_another_runtime(runtime: str) -> None:
    tenant = dataclasses.replace(TENANTS["acme"], runtime=runtime)
    with pytest.raises(TenantError, match=r"tenant acme: runtime .*python311|not a Cloud Functions Python"):
        steps(tenant)
    with pytest.raises(TenantError):
        function_deploy(tenant, "get_event")


def test_the_tenants_file_refuses_another_runtime(tmp_path: Path) -> None:
    text = (ROOT / "deploy" / "tenants.toml").read_text()
    wrong = tmp_path / "tenants.toml"
    wrong.write_text(text.replace('runtime = "python311"', 'runtime = "python312"', 1))
    with pytest.raises(TenantError, match=r"runtime 'python312' is not Python 3\.11.*deploy python311"):
        load_tenants(wrong)
    assert set(load_tenants()) == set(TENANTS)


@pytest.mark.parametrize(
    ("requires", "version"),
    [(">=3.11", (3, 11)), (">=3.12,<4", (3, 12)), ("~=3.11", (3, 11)), ("==3.11.*", (3, 11)),
     (">= 3.11.4", (3, 11)), ("<4", None), (">=2.7", None)],
)  # fmt: skip
def test_the_python_is_the_floor_of_requires_python(
    tmp_path: Path, requires: str, version: tuple[int, int] | None
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[project]\nname = "x"\nrequires-python = "{requires}"\n')
    if version is None:
        with pytest.raises(RuntimeMismatch):
            python_version(pyproject)
    else:
        assert python_version(pyproject) == version


# The lock ----------------------------------------------------------------------------------------


def test_the_lock_agrees_with_pyproject() -> None:
    lock = read_lock()
    assert problems(lock) == []
    assert lock.target == (3, 11, PLATFORM)
    assert len(lock.versions) > len(PYPROJECT["project"]["dependencies"])  # the indirect ones too
    for name, version in project_pins().items():
        assert lock.versions[name] == version, name
        assert PROJECT_ROOT in lock.required_by[name]
    dev = PYPROJECT["project"]["optional-dependencies"]["dev"]
    dev_names = {normalize(re.split(r"[\[=<>!~ ]", line)[0]) for line in dev}
    assert not dev_names & set(lock.versions), "the lock is the runtime's, not the dev extras'"
    text = LOCK_FILE.read_text()
    assert "python -m deploy lock" in text.splitlines()[1]
    assert "# via" in text, "the dependency graph is recorded"


def test_the_dev_venv_has_exactly_the_locked_versions() -> None:
    """``make install`` installs with the lock as constraints: the tests run on these versions."""
    lock = read_lock()
    wrong = {}
    for name, version in lock.versions.items():
        installed = importlib.metadata.version(name)
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"(locked, installed): {wrong}: run make install"
    stamp = re.search(r"^\$\(STAMP\):.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert stamp and "deploy/requirements.lock" in stamp.group(0).splitlines()[0]
    assert "pip install --quiet -c deploy/requirements.lock -e '.[dev]'" in stamp.group(1)


def test_the_lock_check_finds_what_disagrees(tmp_path: Path) -> None:
    text = LOCK_FILE.read_text()
    pyproject = tmp_path / "pyproject.toml"
    original = (ROOT / "pyproject.toml").read_text()
    pyproject.write_text(original.replace('"flask==3.1.3"', '"flask==3.1.2"'))
    assert any("flask==3.1.2" in problem for problem in problems(parse_lock(text), pyproject))
    pyproject.write_text(original.replace('"flask==3.1.3"', '"flask>=3"'))
    assert any("flask is not pinned" in problem for problem in problems(parse_lock(text), pyproject))
    pyproject.write_text(original.replace('requires-python = ">=3.11"', 'requires-python = ">=3.12"'))
    assert any("targets" in problem for problem in problems(parse_lock(text), pyproject))
    dropped = re.sub(r"^google-api-core==.*\n(?:    #.*\n)+", "", text, flags=re.M)
    found = problems(parse_lock(dropped))
    assert any("required by google-api-core, which is not locked" in problem for problem in found)
    extra = text + "left-pad==1.0\n    # via nobody-at-all\n"
    assert any("nobody-at-all" in problem for problem in problems(parse_lock(extra)))
    with pytest.raises(LockError, match="line"):
        parse_lock(text + "flask>=3\n")
    done = subprocess.run(
        [str(PYTHON), "-m", "deploy", "lock", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


SMALL_LOCK = """\
# header
# target: python 3.11 on x86_64-unknown-linux-gnu
a==1
    # via novavms-events (pyproject.toml)
b==2
    # via
    #   a
    #   d
c==3
    # via b
d==4
    # via novavms-events (pyproject.toml)
"""


def test_the_closure_follows_the_lock_graph() -> None:
    lock = parse_lock(SMALL_LOCK)
    assert lock.requires("a") == {"b"} and lock.requires("c") == set()
    assert lock.closure({"a"}) == {"a", "b", "c"}
    assert lock.closure({"d"}) == {"d", "b", "c"}
    assert lock.pins({"c", "a"}) == ["a==1", "c==3"]
    with pytest.raises(LockError, match=r"not in requirements\.lock: e:"):
        lock.closure({"a", "e"})
    with pytest.raises(BundleError, match=r"delete_event: not in requirements\.lock"):
        requirements("delete_event", Lock({"flask": "3.1.3"}, {"flask": frozenset({PROJECT_ROOT})}, None))


def test_bundle_requirements_are_the_locked_closure() -> None:
    lock = read_lock()
    for function in ALL_FUNCTIONS:
        lines = requirements(function, lock)
        names = [line.split("==")[0] for line in lines]
        assert names == sorted(set(names)) and all(f"{n}=={lock.versions[n]}" in lines for n in names)
        _, direct = closure(function)
        assert direct <= set(names)
        # indirect ones: the JWT's crypto extra, Firestore's gRPC and protobuf, the framework's server
        assert {"cryptography", "grpcio", "protobuf", "google-api-core", "gunicorn"} <= set(names)
    delete = {line.split("==")[0] for line in requirements("delete_event", lock)}
    assert not {"google-cloud-storage", "google-resumable-media", "google-crc32c"} & delete
    # Media URLs are signed locally (HMAC): listing needs no Storage client; exporting does.
    listing = {line.split("==")[0] for line in requirements("list_events", lock)}
    assert not {"google-cloud-storage", "google-resumable-media", "google-crc32c"} & listing
    exporting = {line.split("==")[0] for line in requirements("export_events", lock)}
    assert {"google-cloud-storage", "google-resumable-media", "google-crc32c"} <= exporting


def _uv(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(UV), *args], capture_output=True, text=True, timeout=timeout, check=False)


def _install(venv: Path, requirements_file: Path) -> None:
    """Install exactly the file's lines, no dependency of theirs (from uv's cache; the index if the
    cache lacks a wheel)."""
    python = str(venv / "bin" / "python")
    install = ["pip", "install", "--quiet", "--no-deps", "--python", python, "-r", str(requirements_file)]
    done = _uv(*install, "--offline")
    if done.returncode != 0:
        done = _uv(*install, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
def test_bundle_requirements_install_alone_and_are_complete(function: str, tmp_path: Path) -> None:
    """Each line installed without its dependencies, then ``uv pip check``: nothing is missing."""
    bundle = build_bundle(function, tmp_path / "bundle")
    venv = tmp_path / "venv"
    assert _uv("venv", "--quiet", "--python", str(PYTHON), str(venv)).returncode == 0
    _install(venv, bundle / "requirements.txt")
    check = _uv("pip", "check", "--python", str(venv / "bin" / "python"))
    assert check.returncode == 0, check.stdout + check.stderr
    imported = subprocess.run(
        [str(venv / "bin" / "python"), "-c", f"import main; main.{function}"],
        cwd=bundle, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr


def test_an_incomplete_requirements_file_fails_the_check(tmp_path: Path) -> None:
    bundle = build_bundle("get_event", tmp_path / "bundle")
    lines = (bundle / "requirements.txt").read_text().splitlines()
    short = tmp_path / "short.txt"
    short.write_text("\n".join(line for line in lines if not line.startswith("protobuf==")) + "\n")
    venv = tmp_path / "venv"
    assert _uv("venv", "--quiet", "--python", str(PYTHON), str(venv)).returncode == 0
    _install(venv, short)
    check = _uv("pip", "check", "--python", str(venv / "bin" / "python"))
    assert check.returncode != 0 and "protobuf" in check.stdout + check.stderr


# The idempotency records' TTL --------------------------------------------------------------------


def _overrides() -> list[dict[str, Any]]:
    overrides: list[dict[str, Any]] = json.loads((ROOT / "deploy" / "firestore.indexes.json").read_text())[
        "fieldOverrides"
    ]
    return overrides


def test_the_index_file_sets_the_idempotency_ttl_and_exempts_its_big_fields() -> None:
    overrides = _overrides()
    by_field = {(o["collectionGroup"], o["fieldPath"]): o for o in overrides}
    assert len(by_field) == len(overrides), "one override per field"
    ttl = [o for o in overrides if o.get("ttl") is True]
    assert [(o["collectionGroup"], o["fieldPath"]) for o in ttl] == [
        ("idempotency", "expires_at"),
        ("rate_windows", "expires_at"),
        ("changes", "expires_at"),
        ("webhook_deliveries", "expires_at"),
        ("stream_slots", "expires_at"),
        ("stream_tickets", "expires_at"),
    ]
    assert idempotency.COLLECTION == "idempotency"
    for field in ("outcome", "fingerprint", "expires_at"):
        assert by_field[("idempotency", field)]["indexes"] == [], f"{field} is exempt from indexing"
    for field in ("event", "previous", "expires_at"):
        assert by_field[("changes", field)]["indexes"] == [], f"a change record's {field} is not indexed"
    for override in overrides:  # what the Firebase CLI's validator (validateField) accepts
        assert isinstance(override["collectionGroup"], str) and isinstance(override["fieldPath"], str)
        assert isinstance(override["indexes"], list)
        assert "ttl" not in override or isinstance(override["ttl"], bool), "ttl must be a JSON boolean"
        assert set(override) <= {"collectionGroup", "fieldPath", "ttl", "indexes"}
        for index in override["indexes"]:
            assert ("order" in index) != ("arrayConfig" in index)
    for group in {o["collectionGroup"] for o in overrides}:
        assert sum(o["collectionGroup"] == group and o.get("ttl") is True for o in overrides) <= 1


def test_records_carry_the_fields_the_overrides_name(
    api: Api, token: Token, org: str, add_events: Any
) -> None:
    """A record written through the API is at orgs/{org}/idempotency/{id} with a timestamp expires_at
    24 h on (what the TTL deletes by), the outcome map and the fingerprint."""
    line = add_events([event_line(0)])[0]
    headers = {"Content-Type": "application/json", "Idempotency-Key": f"key-{uuid.uuid4()}"}
    answer = api.patch(
        f"/api/v1/events/{line['id']}", token("admin"), data=json.dumps({"starred": True}), headers=headers
    )
    assert answer.status_code == 200, answer.text
    snaps = list(firestore_client().collection("orgs").document(org).collection("idempotency").stream())
    assert len(snaps) == 1
    record = snaps[0].to_dict() or {}
    assert snaps[0].reference.parent.id == _overrides()[0]["collectionGroup"]
    assert isinstance(record["expires_at"], datetime)
    assert record["expires_at"] - record["created_at"] == idempotency.RECORD_LIFETIME == timedelta(hours=24)
    assert isinstance(record["outcome"], dict) and record["outcome"]
    assert isinstance(record["fingerprint"], str)
    named = {o["fieldPath"] for o in _overrides() if o["collectionGroup"] == "idempotency"}
    assert named <= set(record), named - set(record)


def test_the_ttl_deploys_with_the_indexes(tmp_path: Path) -> None:
    """``firebase deploy --only=firestore`` of the rendered config: one mechanism, so the deploy that
    reconciles field overrides with the file never deletes a TTL policy made some other way."""
    for tenant in TENANTS.values():
        out = tmp_path / build_dir(tenant)
        render_files(tenant, out, "https://iss/", "https://iss/jwks", "aud")
        config = json.loads((out / "firebase" / "firebase.json").read_text())
        assert config["firestore"] == [
            {"database": tenant.database, "rules": "firestore.rules", "indexes": "firestore.indexes.json"}
        ]
        rendered = json.loads((out / "firebase" / "firestore.indexes.json").read_text())
        assert rendered["fieldOverrides"] == _overrides()
        plan = steps(tenant)
        deploys = [line for line in plan if line.startswith("firebase deploy ")]
        assert deploys == [
            f"firebase deploy --only=firestore --project={tenant.project} "
            f"--config={build_dir(tenant)}/firebase/firebase.json --non-interactive"
        ]
        assert not any("ttls" in line for line in plan)
        for function in ALL_FUNCTIONS:
            written = (out / "bundles" / function / "requirements.txt").read_text().splitlines()
            assert written == requirements(function)
