"""A newcomer's first hour: the examples of the README and of the guides (docs/), verbatim, in reading
order, against a real ``novavms-events dev`` (what ``make dev`` runs) on its demo data; and the
contract's examples.

Reading order is the README, then the guides in the order of ``mkdocs.yml``'s nav. What runs, as one
shell script (later blocks use what earlier ones set, as a reader's shell would): every ``sh`` block
that calls the local stack (its URL, or ``.venv/bin/novavms-events``); every ``sh`` block of the
README but its ``make`` commands (``make dev`` is the stack), so the quickstart's setup too; and the
README's Python and JavaScript quickstart programs, saved where the README says and run as it says.
Only the base URL is the test stack's; every curl fails on an HTTP error. The contract's calls run
through the test client, which also holds every answer to the OpenAPI document.
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
import yaml

from devstack.docs_site import repo_path
from devstack.emulators import Emulators
from devstack.seed import EXAMPLE_EVENT_ID
from tests.conftest import TEST_ENV
from tests.integration.conftest import PROJECTS_USED, Api
from tests.integration.dev_process import CLI, DevStack, dev_stack
from tests.integration.test_client_js import js_client  # noqa: F401 (a fixture: the built JS client)

ROOT = Path(__file__).resolve().parents[2]
README_BASE = "http://127.0.0.1:8080"
EVENT = f"/api/v1/events/{EXAMPLE_EVENT_ID}"
# Where the README tells the reader to save its quickstart programs, and how to run them.
QUICKSTART = {
    "python": ("quickstart/quickstart.py", ".venv/bin/python quickstart/quickstart.py"),
    "js": ("quickstart/quickstart.mjs", "node quickstart/quickstart.mjs"),
}
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
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def reading_order() -> list[Path]:
    """The README, then every guide, in the order of the docs site's nav (``mkdocs.yml``)."""

    def pages(nav: Any) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, dict):
            return [page for value in nav.values() for page in pages(value)]
        return [page for item in nav for page in pages(item)]

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    return [ROOT / repo_path(page) for page in pages(nav) if page.endswith(".md")]


def calls_local_stack(block: str) -> bool:
    return README_BASE in block or ".venv/bin/novavms-events " in block


def quickstart_program(language: str, block: str) -> str:
    """A README program as the reader runs it: saved to its file, then run."""
    path, command = QUICKSTART[language]
    return f"cat > {path} <<'NOVAVMS_EXAMPLE'\n{block}NOVAVMS_EXAMPLE\n{command}\n"


def examples() -> list[tuple[str, str]]:
    """Every example that runs, in reading order: (where it is, the shell that runs it)."""
    readme = (ROOT / "README.md").read_text()
    for path, command in QUICKSTART.values():
        assert f"`{command}`" in readme, f"the README no longer says to save and run {path} so"
    found: list[tuple[str, str]] = []
    for page in reading_order():
        is_readme = page.name == "README.md" and page.parent == ROOT
        for language, block in FENCE.findall(page.read_text()):
            where = str(page.relative_to(ROOT))
            if language == "sh" and not block.startswith("make ") and (is_readme or calls_local_stack(block)):
                found.append((where, block))
            elif is_readme and language in QUICKSTART:
                found.append((where, quickstart_program(language, block)))
    return found


def run_shell(blocks: list[tuple[str, str]], base: str, env: dict[str, str], workdir: Path) -> str:
    """Run the blocks as one script, in ``workdir`` where ``.venv`` is the repository's and
    ``clients/js`` the built JavaScript client; every curl fails on an HTTP error."""
    script = 'curl() { command curl --fail-with-body -sS "$@"; }\nset -x\n' + "\n".join(
        f": '--- {where}'\n{block}" for where, block in blocks
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(README_BASE, base)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (
        f"an example failed (the last '--- <file>' line says whose):\n{done.stderr[-4000:]}\n"
        f"stdout: {done.stdout[-1500:]}"
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


def test_readme_guides_and_contract_examples_work_verbatim(
    demo: tuple[DevStack, dict[str, str], dict[str, str], Path],
    js_client: Path,  # noqa: F811 (the fixture imported above)
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

    # The README's and the guides' examples as written, in reading order.
    blocks = examples()
    pages = [where for where, _ in blocks]
    assert pages[0] == "README.md" and len(set(pages)) >= 8, f"the docs lost their examples: {pages}"
    assert sum(1 for _, block in blocks if "NOVAVMS_EXAMPLE" in block) == 2, "a quickstart program is gone"
    for name, target in ((".venv", ROOT / ".venv"), ("clients", workdir / "built-clients")):
        (workdir / name).unlink(missing_ok=True)
        (workdir / name).symlink_to(target)
    (workdir / "built-clients").mkdir(exist_ok=True)
    (workdir / "built-clients" / "js").unlink(missing_ok=True)
    (workdir / "built-clients" / "js").symlink_to(js_client)  # what npm installs: the client with its build
    output = run_shell(blocks, base, env, workdir)
    assert '"next_cursor"' in output and "Confirmed courier" in output
    assert "AI-tagged events since 2026-04-20; the newest:" in output, "the Python or JS quickstart"
    assert "starred: True notes: Checked from Python" in output
    assert re.search(r"^\d+ events wait for an operator$", output, re.MULTILINE), output[-2000:]
    assert (workdir / "events-april.csv").read_text().startswith(CONTRACT_CSV_HEADER)
    assert "Idempotent-Replayed: true" in output
    assert re.search(r"exported \d+ rows of org demo \(", output), "the scheduled export ran"
    restored = api.get(EVENT, admin)
    assert restored.status_code == 200, "the guides restore what they dismiss"
    history = api.get(f"{EVENT}/history", admin).json()["data"]
    assert [entry["action"] for entry in history].count("restore") >= 2, history

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
