"""Faults for export tests: a storage emulator proxy that fails an upload midway, and one function
served by ``functions-framework`` in its own process (so a failure inside it breaks a real HTTP
transfer). Used by the export tests and the clients' broken-transfer tests."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import requests

from devstack.emulators import free_port
from devstack.processes import spawn, stopping
from tests.integration.conftest import ROOT
from tests.integration.local_http import local_server, reply

FUNCTIONS_DIR = ROOT / "functions"
VENV_BIN = ROOT / ".venv" / "bin"


class FailingStorageProxy:
    """A proxy to the storage emulator that forwards everything (rewriting upload session URLs to
    itself) except the second chunk PUT of a resumable upload, which it answers 403 (not retried)."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.seen: list[tuple[str, str, int]] = []
        self._puts = 0
        self._lock = threading.Lock()
        self.server = local_server(self.handle)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if handler.command == "PUT" and "upload_id=" in handler.path:
            with self._lock:
                self._puts += 1
                number = self._puts
            if number == 2:
                self.seen.append((handler.command, handler.path, 403))
                reply(handler, 403, {"Content-Type": "application/json"}, b'{"error":{"code":403}}')
                return
        headers = {
            name: value
            for name, value in handler.headers.items()
            if name.lower() not in {"host", "content-length", "connection", "accept-encoding"}
        }
        answer = requests.request(
            handler.command,
            self.target + handler.path,
            headers=headers,
            data=body,
            timeout=30,
            allow_redirects=False,
        )
        self.seen.append((handler.command, handler.path, answer.status_code))
        passed = {
            name: value.replace(self.target, self.url)
            for name, value in answer.headers.items()
            if name.lower() not in {"content-length", "transfer-encoding", "connection", "content-encoding"}
        }
        reply(handler, answer.status_code, passed, answer.content)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def function_process(target: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """``functions-framework`` serving one function in its own process group; yields its base URL."""
    port = free_port()
    command = [
        str(VENV_BIN / "functions-framework"), "--target", target,
        "--source", str(FUNCTIONS_DIR / f"{target}.py"), "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with (
        log.open("wb") as output,
        stopping(spawn(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)) as process,
    ):
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # only ends a hang: a loaded machine starts slowly
        while True:
            assert process.poll() is None, f"functions-framework exited: {log.read_text()}"
            try:
                requests.get(base + "/", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, f"functions-framework did not start: {log.read_text()}"
                time.sleep(0.1)
        yield base
