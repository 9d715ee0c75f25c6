"""A newcomer's first ten minutes: the README's and the contract's examples, verbatim, against a real
``novavms-events dev`` (what ``make dev`` runs), on its demo data.

Verbatim: the same method, path, query and body, with the local base URL and a dev credential. The
README's shell blocks run as they are written (only the base URL is the test stack's), each curl
failing on an HTTP error; the DELETEs run last. The contract's calls run through the test client,
which also holds every answer to the OpenAPI document.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from devstack.emulators import Emulators
from devstack.seed import EXAMPLE_EVENT_ID
from tests.conftest import TEST_ENV
from tests.integration.conftest import PROJECTS_USED, Api
from tests.integration.dev_process import CLI, DevStack, dev_stack

ROOT = Path(__file__).resolve().parents[2]
README_BASE = "http://127.0.0.1:8080"
EVENT = f"/api/v1/events/{EXAMPLE_EVENT_ID}"
# The contract's example detail (../shared/spec/events-api.md), without what is computed per request.
CONTRACT_DETAIL = {
    "id": "c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "camera_id": "550e8400-e29b-41d4-a716-446655440000",
    "camera_name": "Loading Dock East", "camera_deleted": False, "trigger_type": "ai_tag",
    "triggered_at": "2026-04-21T13:45:22Z", "clip_start_at": "2026-04-21T13:45:12Z",
    "clip_end_at": "2026-04-21T13:45:42Z", "duration_sec": 30,
    "summary": "Person carrying package approaches dock door",
    "narrative": "A courier in an orange vest walked to the dock...",
    "tags": ["person", "package", "vest"], "ai_status": "completed",
    "acknowledged": False, "acknowledged_by": None, "acknowledged_at": None,
    "starred": False, "notes": None, "clip_codec": "h264", "recording_source": "gateway_ring_buffer",
}  # fmt: skip
CONTRACT_CSV_HEADER = (
    ",".join(
        ("id", "camera_id", "camera_name", "trigger_type", "triggered_at", "duration_sec", "summary", "tags"),
    )
    + ",ai_status,acknowledged,starred"
)


def readme_examples() -> tuple[list[str], list[str]]:
    """The README's API examples (shell blocks that call the local stack): (others, DELETEs)."""
    blocks = re.findall(r"^```sh\n(.*?)^```", (ROOT / "README.md").read_text(), re.MULTILINE | re.DOTALL)
    api = [block for block in blocks if "curl " in block or "novavms-events token" in block]
    return [b for b in api if "-X DELETE" not in b], [b for b in api if "-X DELETE" in b]


def run_shell(blocks: list[str], base: str, env: dict[str, str], workdir: Path) -> str:
    """Run the blocks as one script (later blocks use what earlier ones set, as a reader's shell
    would), in ``workdir`` where ``.venv`` is the repository's; every curl fails on an HTTP error."""
    (workdir / ".venv").unlink(missing_ok=True)
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    script = 'curl() { command curl --fail-with-body -sS "$@"; }\nset -x\n' + "\n".join(blocks)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(README_BASE, base)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"a README example failed:\n{done.stderr[-3000:]}\nstdout: {done.stdout[-1500:]}"
    )
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def demo(emulators: Emulators, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("verbatim")
    project = f"test-verbatim-{uuid.uuid4().hex[:8]}"
    PROJECTS_USED.add((project, "(default)"))
    env = {
        **os.environ,
        **TEST_ENV,
        **emulators.environment(),
        "GOOGLE_CLOUD_PROJECT": project,
        "NOVAVMS_DEVSTACK_DIR": str(tmp / "devstack"),
    }
    with dev_stack(env, tmp / "dev.log") as dev:
        printed = dev.wait_ready()
        yield dev, printed, env, tmp


def test_readme_and_contract_examples_work_verbatim(
    demo: tuple[DevStack, dict[str, str], dict[str, str], Path],
) -> None:
    dev, printed, env, workdir = demo
    base = f"http://127.0.0.1:{dev.port}"
    api = Api(base)
    operator, admin = printed["operator"], printed["admin"]

    # The contract's calls, before anything changes the example event.
    listed = api.get("/api/v1/events", operator, params={"trigger_type": "ai_tag", "date_from": "2026-04-20"})
    assert listed.status_code == 200 and listed.json()["data"], listed.text
    assert all(item["trigger_type"] == "ai_tag" for item in listed.json()["data"])
    detail = api.get(EVENT, operator)
    assert detail.status_code == 200, detail.text
    assert {k: v for k, v in detail.json().items() if k in CONTRACT_DETAIL} == CONTRACT_DETAIL
    exported = api.get(
        "/api/v1/events/export", operator, params={"date_from": "2026-04-01", "date_to": "2026-04-21"}
    )
    assert exported.status_code == 200 and exported.text.startswith(CONTRACT_CSV_HEADER)
    assert EXAMPLE_EVENT_ID in exported.text and int(exported.headers["X-Export-Rows"]) <= 50

    # The README's examples as written, the DELETEs last.
    others, deletes = readme_examples()
    assert len(others) >= 5 and len(deletes) >= 2, "the README lost its examples"
    output = run_shell([*others, *deletes], base, env, workdir)
    assert '"next_cursor"' in output and "Confirmed courier" in output
    assert (workdir / "events-april.csv").read_text().startswith(CONTRACT_CSV_HEADER)
    assert "Idempotent-Replayed: true" in output
    assert api.get(EVENT, admin).status_code == 404, "the README's dismissal took effect"

    # The contract's PATCH and DELETE, on the example event re-created by the seed (as each make dev does).
    reseeded = subprocess.run(
        [CLI, "seed", "--org", "demo"], env=env, cwd=workdir, capture_output=True, text=True, timeout=120
    )
    assert reseeded.returncode == 0, reseeded.stderr
    patched = api.patch(
        EVENT, operator, json={"acknowledged": True, "notes": "Confirmed courier, no action needed"}
    )
    assert patched.status_code == 200 and patched.json()["acknowledged_by"] == "demo-operator", patched.text
    assert api.delete(EVENT, admin).status_code == 204
    assert json.loads(api.get(EVENT, admin).text)["error"] == "not_found"
