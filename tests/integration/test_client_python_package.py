"""The Python client as an integrator gets it: ``pip install ./clients/python`` into a clean venv brings
httpx and nothing of the server, a wheel builds with its ``py.typed``, and the example program runs
from that venv against the local stack."""

from __future__ import annotations

import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devstack.seed import EXAMPLE_EVENT, EXAMPLE_EVENT_ID
from tests.integration.conftest import ROOT, Token

UV = ROOT / ".venv" / "bin" / "uv"
CLIENT = ROOT / "clients" / "python"
SERVER_PACKAGES = {
    "flask",
    "werkzeug",
    "functions-framework",
    "google-cloud-firestore",
    "google-cloud-storage",
}
HTTPX_CLOSURE = {
    "novavms",
    "httpx",
    "httpcore",
    "anyio",
    "certifi",
    "idna",
    "h11",
    "sniffio",
    "typing-extensions",
}


def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=True, **options)


def test_installs_alone_builds_a_wheel_and_runs_the_example(
    tmp_path: Path, gateway_url: str, token: Token, org: str, add_events: Callable[..., Any]
) -> None:
    venv = tmp_path / "venv"
    run([str(UV), "venv", "--quiet", "--python", str(ROOT / ".venv" / "bin" / "python"), str(venv)])
    python = str(venv / "bin" / "python")
    run([str(UV), "pip", "install", "--quiet", "--python", python, str(CLIENT)])
    listed = run([str(UV), "pip", "list", "--python", python, "--format", "freeze"]).stdout
    installed = {line.split("==")[0].lower() for line in listed.splitlines() if "==" in line}
    assert "novavms" in installed and "httpx" in installed
    assert not installed & SERVER_PACKAGES and not any(name.startswith("google") for name in installed)
    assert installed <= HTTPX_CLOSURE, f"more than httpx's closure: {sorted(installed - HTTPX_CLOSURE)}"

    wheels = tmp_path / "dist"
    run([str(UV), "build", "--quiet", "--wheel", "--out-dir", str(wheels), str(CLIENT)])
    (wheel,) = wheels.glob("novavms-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "novavms/py.typed" in names and "novavms/resources/events.py" in names
    assert "Requires-Python: >=3.9" in metadata and "Requires-Dist: httpx" in metadata

    add_events([{**EXAMPLE_EVENT, "snapshot_object": f"{org}/{EXAMPLE_EVENT_ID}/snapshot.jpg"}])
    env = {"NOVAVMS_API_KEY": token("operator", sub="user-example"), "NOVAVMS_BASE_URL": gateway_url}
    output = run([python, str(CLIENT / "examples" / "quickstart.py")], env=env, cwd=tmp_path).stdout
    assert "1 AI-tagged events since 2026-04-20" in output
    assert "acknowledged by user-example at 20" in output
    assert output.splitlines()[3].startswith("id,camera_id,camera_name,trigger_type,triggered_at")
    assert "1 events since 2026-04-01" in output and "0 starred AI-tagged events" in output
