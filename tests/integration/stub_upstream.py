"""A stub upstream in front of the real local gateway, for the clients' retry and transfer tests.

Each request it receives takes the next :class:`Step` of its script; when the script is spent it
forwards to the gateway unchanged. A step answers on its own (a 429 or a 503 the gateway would not
give on demand), forwards and then answers something else (a response lost on the way back), waits
(a timeout), or forwards and cuts the body midway (a broken transfer). Every request is recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import requests

from tests.integration.local_http import local_server, reply

HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding", "keep-alive"}


@dataclass(frozen=True)
class Step:
    """What to do with one request: answer ``status`` (with ``headers`` and an error envelope)
    without forwarding; with ``forward=True`` forward first and answer ``status`` anyway; ``delay``
    seconds before answering; with ``cut_after`` forward and send only that many body bytes of the
    gateway's answer, then close the connection (chunked, no final chunk)."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    forward: bool = False
    delay: float = 0.0
    cut_after: int | None = None


def error_step(status: int, code: str, retry_after: int | None = None, **options: Any) -> Step:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Step(status=status, headers={**headers, "X-Stub-Code": code}, **options)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    forwarded_status: int | None = None
    forwarded_headers: dict[str, str] = field(default_factory=dict)


class StubUpstream:
    """``with stub_upstream(gateway_url, [steps]) as stub: ...`` then ``stub.url`` and ``stub.seen``."""

    def __init__(self, target: str, script: list[Step]) -> None:
        self.target = target.rstrip("/")
        self.script = list(script)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self.server = local_server(self.handle)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _next_step(self) -> Step | None:
        with self._lock:
            return self.script.pop(0) if self.script else None

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> requests.Response:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
        return requests.request(
            handler.command, self.target + handler.path, headers=headers, data=body, timeout=60
        )

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        step = self._next_step()
        answer = self._forward(handler, body) if step is None or step.forward or step.cut_after else None
        self.seen.append(
            Seen(
                handler.command,
                handler.path,
                dict(handler.headers.items()),
                body,
                answer.status_code if answer is not None else None,
                dict(answer.headers) if answer is not None else {},
            )
        )
        if step is not None and step.delay:
            time.sleep(step.delay)
        if step is not None and step.cut_after is not None and answer is not None:
            self._cut(handler, answer, step.cut_after)
        elif step is not None and step.status is not None:
            code = step.headers.get("X-Stub-Code", "unavailable")
            envelope = (
                f'{{"error":"{code}","message":"stub upstream answered {step.status}",'
                f'"request_id":"stub{len(self.seen):04d}"}}'
            ).encode()
            headers = {
                **step.headers,
                "Content-Type": "application/json",
                "X-Request-Id": f"stub{len(self.seen):04d}",
            }
            reply(handler, step.status, headers, envelope)
        elif answer is not None:
            passed = {
                k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS | {"content-encoding"}
            }
            reply(handler, answer.status_code, passed, answer.content)

    @staticmethod
    def _cut(handler: BaseHTTPRequestHandler, answer: requests.Response, keep: int) -> None:
        handler.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in HOP_HEADERS | {"content-encoding"}:
                handler.send_header(name, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")
        handler.end_headers()
        part = answer.content[:keep]
        handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")  # no final 0-chunk
        handler.wfile.flush()
        handler.close_connection = True

    def requests_of(self, method: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.method == method]


@contextmanager
def stub_upstream(target: str, script: list[Step]) -> Iterator[StubUpstream]:
    stub = StubUpstream(target, script)
    stub.thread.start()
    try:
        yield stub
    finally:
        stub.server.shutdown()
        stub.server.server_close()
