"""Cloud Tasks and the webhook sweeper's Cloud Scheduler job, locally: a task runner.

It serves, on a free loopback port, ``POST /enqueue`` (``{"org_id", "delivery_id", "at"}``: what
:mod:`shared.store.webhook_queue` sends when ``EVENTS_WEBHOOK_LOCAL_RUNNER`` names it) and the
``deliver_webhook`` and ``sweep_webhooks`` functions themselves (functions-framework's apps, under
``/functions/<name>``). At each task's time it calls ``deliver_webhook`` over HTTP with a Google-style
OIDC token the function verifies (as Cloud Tasks would), each call on a thread of its own, so a slow
endpoint never holds up another's delivery; every ``sweep_seconds`` it calls ``sweep_webhooks`` the same
way (as Cloud Scheduler would), which enqueues again whatever is overdue: a runner stopped mid-flight
loses nothing, the next one's sweep finds it. ``make dev`` runs one; the tests and benchmarks start
their own.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devstack.document_server import DocumentServer
from devstack.gateway import function_app
from devstack.scheduler import LOCAL_ACCOUNT, LOCAL_AUDIENCE, make_key, oidc_token

FUNCTIONS = ("deliver_webhook", "sweep_webhooks")
CALL_TIMEOUT_SECONDS = 120.0


class TaskRunner:
    """The local queue of webhook attempts and the sweeper's schedule."""

    def __init__(self, sweep_seconds: float = 60.0, workers: int = 64) -> None:
        self.sweep_seconds = sweep_seconds
        self.key = make_key("local-tasks")
        self.certs = DocumentServer({self.key.kid: self.key.cert_pem.decode()})
        self.apps = {name: function_app(name) for name in FUNCTIONS}
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook-task")
        self.due: list[tuple[float, int, dict[str, str]]] = []
        self.order = itertools.count()
        self.wake = threading.Condition()
        self.stopped = threading.Event()
        self.calls = 0  # deliver_webhook calls made (benchmarks and tests read it)

    def environment(self) -> dict[str, str]:
        """The settings under which the functions accept this runner's tokens and enqueue on it."""
        return {
            "EVENTS_WEBHOOK_LOCAL_RUNNER": self.url,
            "EVENTS_SCHEDULER_SERVICE_ACCOUNT": LOCAL_ACCOUNT,
            "EVENTS_SCHEDULER_AUDIENCE": LOCAL_AUDIENCE,
            "EVENTS_SCHEDULER_CERTS_URL": self.certs.url,
        }

    def start(self) -> TaskRunner:
        """Apply :meth:`environment` to this process, serve, and run the queue and the sweeper."""
        from shared.config import settings

        os.environ.update(self.environment())
        settings.cache_clear()
        for target in (self.server.serve_forever, self._dispatch, self._sweep):
            threading.Thread(target=target, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop at once: tasks not yet run are dropped (the sweeper of a later runner finds them)."""
        self.stopped.set()
        with self.wake:
            self.wake.notify_all()
        self.server.shutdown()
        self.server.server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.certs.stop()

    def __enter__(self) -> TaskRunner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def enqueue(self, org_id: str, delivery_id: str, at: float | None = None) -> None:
        """Run an attempt of the delivery at ``at`` (epoch seconds; None: now)."""
        with self.wake:
            task = {"org_id": org_id, "delivery_id": delivery_id}
            heapq.heappush(self.due, (at or time.time(), next(self.order), task))
            self.wake.notify()

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        name = request.path.removeprefix("/functions/")
        if name in self.apps:  # the function at its own URL's root, as deployed
            return self.apps[name]({**environ, "PATH_INFO": "/"}, start_response)
        if request.path == "/enqueue" and request.method == "POST":
            body = json.loads(request.get_data() or b"{}")
            at = datetime.fromisoformat(body["at"]).timestamp() if body.get("at") else None
            self.enqueue(str(body["org_id"]), str(body["delivery_id"]), at)
            return Response(status=204)(environ, start_response)
        return Response("not found", status=404)(environ, start_response)

    def call(self, function: str, body: dict[str, Any]) -> requests.Response:
        """POST ``body`` to a function with an OIDC token, as Cloud Tasks and Cloud Scheduler do."""
        token = oidc_token(self.key, audience=LOCAL_AUDIENCE, account=LOCAL_ACCOUNT)
        return requests.post(
            f"{self.url}/functions/{function}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=CALL_TIMEOUT_SECONDS,
        )

    def _attempt(self, task: dict[str, str]) -> None:
        self.calls += 1
        with contextlib.suppress(requests.RequestException):  # as a lost task: the sweeper finds it
            self.call("deliver_webhook", task)

    def _dispatch(self) -> None:
        while not self.stopped.is_set():
            with self.wake:
                wait = self.due[0][0] - time.time() if self.due else None
                if wait is None or wait > 0:
                    self.wake.wait(timeout=wait)
                    continue
                _, _, task = heapq.heappop(self.due)
            if not self.stopped.is_set():
                self.pool.submit(self._attempt, task)

    def _sweep(self) -> None:
        while not self.stopped.is_set():
            with contextlib.suppress(requests.RequestException):
                self.call("sweep_webhooks", {})
            self.stopped.wait(self.sweep_seconds)
