"""The JavaScript/TypeScript client (``clients/js``, npm package ``novavms``) against the real local
stack: each compiled ``clients/js/test/*.test.ts`` runs under ``node --test`` as one pytest test, and a
headless Chromium loads the built module from a local page and lists events over CORS.

Beside them: the committed ``dist/`` is the build of ``src/`` (``npm install <path to clients/js>``
links the folder as it is, so a clean clone must hold the build), that install works in an empty
project with no other step, and ``npm publish --dry-run`` packs the built package with its exports.

The JS tests get their stack from a small fixture server started here (``NOVAVMS_TEST_FIXTURES``):
``POST /org`` seeds a fresh org and answers its tokens, ``POST /env`` changes the gateway's settings
(this process's environment) and answers the previous values so the test can put them back. The client
is built into a temporary copy of ``clients/js`` (its ``node_modules`` linked), so the repository's
tree is not written to and xdist workers do not race.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from devstack.browser import ensure_chromium
from devstack.seed import EXAMPLE_EVENT_ID, SITES, seed
from devstack.tokens import stack_token
from tests.integration.conftest import ROOT, TEST_ENV, reset_caches

CLIENT = ROOT / "clients" / "js"
JS_TESTS = sorted(path.name.removesuffix(".ts") for path in (CLIENT / "test").glob("*.test.ts"))
COPIED = (
    "src",
    "test",
    "scripts",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "tsconfig.test.json",
    "README.md",
)
NODE_TIMEOUT_SECONDS = 300
TSC = CLIENT / "node_modules" / "typescript" / "bin" / "tsc"


def _run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=NODE_TIMEOUT_SECONDS, check=False
    )


def _source_copy(parent: Path) -> Path:
    """``parent/js``: the client's sources (no ``dist/``), its ``node_modules`` linked."""
    modules = CLIENT / "node_modules"
    if not (modules / "typescript").is_dir():
        pytest.fail(f"{modules} is missing: run `npm ci --prefix clients/js` (make install does)")
    copy = parent / "js"
    copy.mkdir()
    for name in COPIED:
        source = CLIENT / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        else:
            shutil.copy2(source, copy / name)
    (copy / "node_modules").symlink_to(modules, target_is_directory=True)
    return copy


@pytest.fixture(scope="session")
def js_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built copy of ``clients/js``: ``dist/`` (the package, built afresh) and ``build-test/``."""
    copy = _source_copy(tmp_path_factory.mktemp("client-js"))
    for config in ("tsconfig.json", "tsconfig.test.json"):
        built = _run(["node", str(TSC), "-p", config], copy)
        assert built.returncode == 0, f"tsc -p {config} failed:\n{built.stdout}\n{built.stderr}"
    return copy


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
    }


def test_the_committed_dist_is_a_fresh_build_of_src(js_client: Path) -> None:
    """``clients/js/dist`` is committed for installs from the repository: it must be exactly what
    ``src/`` builds to, file for file (else run ``npm run build --prefix clients/js`` and commit)."""
    committed, fresh = _files(CLIENT / "dist"), _files(js_client / "dist")
    assert sorted(committed) == sorted(fresh), "dist/ has other files than a build of src/"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert stale == [], (
        f"dist/ differs from a build of src/: {stale}; run `npm run build --prefix clients/js`"
    )


def test_npm_install_of_the_folder_works_in_an_empty_project(
    tmp_path: Path, gateway_url: str, org: str
) -> None:
    """What a clean clone holds of ``clients/js`` (the files git tracks or would add, so never an
    ignored ``dist/``), installed with ``npm install <folder>`` and nothing else: ``import NovaVMS
    from 'novavms'`` lists and walks events, and the types check under ``tsc --strict``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
        cwd=CLIENT, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    clone = tmp_path / "clone" / "js"
    for name in filter(None, listed.split("\0")):
        if (CLIENT / name).is_file():  # a tracked file deleted in the tree is not in the clone
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CLIENT / name, clone / name)
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "app", "private": True, "type": "module"}))
    installed = _run(["npm", "install", "--offline", "--no-audit", "--no-fund", str(clone)], project)
    assert installed.returncode == 0, installed.stderr
    assert (project / "node_modules" / "novavms").resolve() == clone.resolve()

    seed(org, 0)
    program = """
        import NovaVMS from 'novavms';
        const novavms = new NovaVMS({ apiKey: process.env.TOKEN, baseUrl: process.env.BASE_URL });
        const page = await novavms.events.list({ limit: 2 });
        let walked = 0;
        for await (const _ of novavms.events.list({ limit: 10 })) walked++;
        const answer = { first: page.data[0].id, onPage: page.data.length, total: page.total, walked };
        console.log(JSON.stringify(answer));
    """
    (project / "main.mjs").write_text(program)
    token = stack_token(org, "viewer", env=TEST_ENV, sub="clone-user", site_ids=SITES, ttl=600)
    ran = _run(["node", "main.mjs"], project, {**os.environ, "TOKEN": token, "BASE_URL": gateway_url})
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert answer["first"] == EXAMPLE_EVENT_ID and answer["onPage"] == 2
    assert answer["walked"] == answer["total"] > 10, answer  # every item, across pages

    typed = """
        import NovaVMS, { type EventListItem, type Page } from 'novavms';
        const novavms = new NovaVMS({ apiKey: 'sk_live_abc123', baseUrl: 'http://localhost:8080' });
        export async function main(): Promise<number> {
          const page: Page<EventListItem> = await novavms.events.list({ triggerType: 'ai_tag' });
          for await (const event of novavms.events.list()) { const e: EventListItem = event; void e; }
          return page.data.length + (await novavms.keys.list()).data.length;
        }
    """
    (project / "main.ts").write_text(typed)
    options = {"strict": True, "noEmit": True, "module": "nodenext", "moduleResolution": "nodenext",
               "target": "es2022", "lib": ["es2022", "dom", "dom.iterable"], "types": []}  # fmt: skip
    (project / "tsconfig.json").write_text(json.dumps({"compilerOptions": options, "files": ["main.ts"]}))
    checked = _run(["node", str(TSC), "-p", "tsconfig.json"], project)
    assert checked.returncode == 0, f"tsc --strict:\n{checked.stdout}"


def test_npm_publish_dry_run_packs_the_built_package(tmp_path: Path) -> None:
    """``npm publish --dry-run`` (its ``prepack`` build included) passes and packs ``dist/`` with the
    types; every target of the ``exports`` map, ``main`` and ``types`` is in the package."""
    copy = _source_copy(tmp_path)
    env = {**os.environ, "NOVAVMS_OPENAPI": str(ROOT / "shared" / "openapi.json")}
    command = ["npm", "publish", "--dry-run", "--json", "--registry", "http://127.0.0.1:9/"]  # never reached
    published = _run(command, copy, env)
    assert published.returncode == 0, f"npm publish --dry-run failed:\n{published.stdout}\n{published.stderr}"
    report = json.loads(published.stdout)
    files = {entry["path"] for entry in report.get("novavms", report)["files"]}
    assert {"package.json", "README.md", "dist/index.js", "dist/index.d.ts"} <= files, sorted(files)
    assert all(name.startswith("dist/") or name in {"package.json", "README.md"} for name in files), sorted(
        files
    )
    assert not any(name.endswith(".map") for name in files)

    manifest = json.loads((copy / "package.json").read_text())
    targets = [manifest["main"], manifest["types"]]
    for condition in manifest["exports"].values():
        targets += condition.values() if isinstance(condition, dict) else [condition]
    assert targets and all(target.removeprefix("./") in files for target in targets), (targets, sorted(files))
    resolved = _run(["node", "-e", "import('novavms').then((m) => console.log(typeof m.default))"], copy)
    assert resolved.stdout.strip() == "function", resolved.stderr  # the package resolves its own exports


class _Fixtures(BaseHTTPRequestHandler):
    """The JS tests' stack: ``POST /org`` and ``POST /env`` (see the module's doc)."""

    gateway_url = ""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
        try:
            if self.path == "/org":
                answer = self._org(int(request.get("count", 0)))
            elif self.path == "/env":
                answer = self._env(request)
            else:
                self.send_error(404)
                return
        except Exception as exc:  # reported to the JS test, which fails with it
            self._send(500, {"error": repr(exc)})
            return
        self._send(200, answer)

    def _org(self, count: int) -> dict[str, Any]:
        org = f"org-{uuid.uuid4().hex[:12]}"
        events = seed(org, count)

        def token(role: str, org_id: str = org, sites: list[str] | None = None) -> str:
            return stack_token(org_id, role, env=TEST_ENV, sub=f"{role}-user", site_ids=sites, ttl=1800)

        return {
            "org": org,
            "baseUrl": self.gateway_url,
            "eventCount": events,
            "exampleEventId": EXAMPLE_EVENT_ID,
            "sites": SITES,
            "tokens": {
                "viewer": token("viewer", sites=[SITES[0]]),
                "operator": token("operator"),
                "admin": token("admin"),
            },
            "otherOrgToken": token("admin", org_id=f"org-{uuid.uuid4().hex[:12]}"),
        }

    def _env(self, changes: dict[str, str | None]) -> dict[str, str | None]:
        previous = {name: os.environ.get(name) for name in changes}
        for name, value in changes.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_caches()
        return previous

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fixtures_url(gateway_url: str) -> Iterator[str]:
    handler = type("Fixtures", (_Fixtures,), {"gateway_url": gateway_url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", JS_TESTS)
def test_js_client(name: str, js_client: Path, fixtures_url: str) -> None:
    """One JS test file under ``node --test``: every test in it passes, none is skipped."""
    env = {
        **os.environ,
        "NOVAVMS_TEST_FIXTURES": fixtures_url,
        "NOVAVMS_OPENAPI": str(ROOT / "shared" / "openapi.json"),
    }
    for name_ in ("NOVAVMS_API_KEY", "NOVAVMS_BASE_URL"):
        env.pop(name_, None)
    result = _run(["node", "--test", "--test-reporter=tap", f"build-test/{name}.js"], js_client, env)
    output = f"{_failures(result.stdout)}\n{result.stderr}"
    assert result.returncode == 0, f"node --test {name} failed:\n{output}"
    assert "\n# skipped 0" in result.stdout and "\n# todo 0" in result.stdout, f"tests skipped:\n{output}"
    assert "\n# fail 0" in result.stdout, output


def _failures(tap: str) -> str:
    """Node's TAP output cut to its failing tests and the summary."""
    kept: list[str] = []
    failing = False
    for line in tap.splitlines():
        stripped = line.strip()
        if stripped.startswith(("ok ", "not ok ", "# Subtest")):
            failing = stripped.startswith("not ok ")
        if failing or (line.startswith("# ") and not stripped.startswith("# Subtest")):
            kept.append(line)
    return "\n".join(kept)


def test_every_js_test_file_is_run() -> None:
    assert JS_TESTS, f"no test files in {CLIENT / 'test'}"


@pytest.fixture
def page_server(js_client: Path) -> Iterator[str]:
    """A local origin (not the gateway's) serving the built copy of clients/js: dist/ and test/smoke.html."""
    directory = str(js_client)

    class Static(_StaticFiles):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=directory, **kwargs)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Static)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class _StaticFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_browser_lists_events_with_a_jwt_over_cors(page_server: str, gateway_url: str, org: str) -> None:
    """Headless Chromium loads dist/index.js from a local page (another origin than the gateway, CORS
    on), lists and walks events with a JWT, and refuses an sk_ key unless dangerouslyAllowBrowser."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    seed(org, 0)
    os.environ["EVENTS_CORS_ORIGINS"] = page_server
    reset_caches()
    token = stack_token(org, "viewer", env=TEST_ENV, sub="browser-user", site_ids=SITES, ttl=600)
    chromium, driver_path = ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        params = json.dumps({"token": token, "baseUrl": gateway_url})
        driver.get(f"{page_server}/test/smoke.html#{quote(params, safe='')}")
        WebDriverWait(driver, 120).until(lambda d: d.title == "done")  # a hang bound
        result: dict[str, Any] = json.loads(driver.execute_script("return document.body.dataset.result"))
    finally:
        driver.quit()
    assert result["ok"], result
    assert result["ids"][0] == EXAMPLE_EVENT_ID and result["triggeredAt"] == "2026-04-21T13:45:22Z"
    assert result["total"] >= len(result["ids"]) >= 1 and result["walked"] == 41  # every event, across pages
    assert result["refused"] and "dangerouslyAllowBrowser" in result["refused"]
    name, status, request_id = result["status"]
    assert (name, status) == ("AuthenticationError", 401) and request_id
