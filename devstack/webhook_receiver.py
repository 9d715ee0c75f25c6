"""A webhook receiver on loopback for the tests and benchmarks (the local stack lets loopback endpoints
in): records every request it gets (headers, body, when) and answers each with the next of its
planned statuses (then 200), after an optional delay."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request a receiver got."""

    headers: dict[str, str]  # names in lowercase
    body: bytes
    at: float  # time.time() when it arrived

    def message(self) -> dict[str, Any]:
        """The body, parsed (unverified)."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    """Listens on 127.0.0.1 (a free port, or ``port``), answering each POST with the next of
    ``statuses`` (then 200) after ``delay`` seconds, with ``headers`` and ``body``."""

    def __init__(
        self,
        statuses: Sequence[int] = (),
        delay: float = 0.0,
        port: int = 0,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.extra_headers = headers or {}
        self.body = body  # what every answer holds (default: {"ok": <2xx>})
        self.received: list[Received] = []
        self.answered: list[float] = []  # time.time() of each answer sent
        self.lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver.lock:
                    receiver.received.append(Received(headers, body, time.time()))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.lock.notify_all()
                time.sleep(receiver.delay)
                answer = (
                    receiver.body if receiver.body is not None else json.dumps({"ok": status < 300}).encode()
                )
                self.send_response(status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                with receiver.lock:
                    receiver.answered.append(time.time())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        """The first ``count`` requests, once they have arrived (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} webhook requests arrived")
                self.lock.wait(left)
            return list(self.received[:count])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
