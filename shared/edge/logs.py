"""Structured logs: one JSON object per line on stdout, with the fields Cloud Logging reads
(``severity``, ``message``, ``httpRequest``, ``logging.googleapis.com/trace``).

No credential reaches a log through a URL: every URL or path a log line records goes through
:func:`redact`, which replaces anything shaped like an API key (``sk_live_...``, ``sk_test_...``), a
JWT, a bearer token, and the value of any query parameter named like a credential
(:data:`CREDENTIAL_PARAMETERS`: ``api_key``, ``token``, ``ticket``, ...) with ``[redacted]``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from typing import Any

from werkzeug.wrappers import Request

from shared.config import settings

REDACTED = "[redacted]"
# Query parameter names that carry credentials (compared lower-cased, with "-" read as "_").
CREDENTIAL_PARAMETERS = frozenset(
    {
        "api_key", "apikey", "key", "access_token", "id_token", "refresh_token", "token", "auth",
        "authorization", "bearer", "ticket", "secret", "client_secret", "password", "signature",
        "sig", "x_goog_signature", "x_goog_credential", "jwt", "session",
    }
)  # fmt: skip
_API_KEY = re.compile(r"sk_(?:live|test)_[A-Za-z0-9]*")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer(?:\s|%20|\+)+)[^\s&#;,\"']+")
_PARAMETER = re.compile(r"([?&;]([^=&#;?]+)=)([^&#;]*)")


def credential_parameter(name: str) -> bool:
    """Whether a query parameter of this name carries a credential."""
    return name.strip().lower().replace("-", "_") in CREDENTIAL_PARAMETERS


def holds_credential(value: str) -> bool:
    """Whether ``value`` holds something shaped like an API key, a JWT or a bearer token."""
    return any(pattern.search(value) for pattern in (_API_KEY, _JWT, _BEARER))


def redact(text: str) -> str:
    """``text`` (a URL, a path, a request line) with every credential in it replaced by
    :data:`REDACTED`."""

    def parameter(match: re.Match[str]) -> str:
        return match.group(1) + REDACTED if credential_parameter(match.group(2)) else match.group(0)

    text = _PARAMETER.sub(parameter, text)
    text = _BEARER.sub(lambda match: match.group(1) + REDACTED, text)
    return _JWT.sub(REDACTED, _API_KEY.sub(REDACTED, text))


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"severity": record.levelname, "message": record.getMessage()}
        entry.update(getattr(record, "structured", {}))
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time of each record (runtimes may replace it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def logger() -> logging.Logger:
    """The service's logger (configured on first use)."""
    log = logging.getLogger("novavms.events")
    if not log.handlers:
        handler = _StdoutHandler()
        handler.setFormatter(_JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def client_address(request: Request) -> str:
    """The caller's address: the socket's peer locally; behind API Gateway (``EVENTS_FORWARDED_AUTH``)
    the ``X-Forwarded-For`` entry at ``EVENTS_FORWARDED_FOR_POSITION`` from the right (default 2).

    Google's front ends append the address each received the request from: the function's front end
    appends the gateway proxy's address (the rightmost entry), the gateway's front end appended the
    caller's (the one before it). Entries further left are whatever the caller sent, never trusted; a
    header with fewer entries than the position gives its leftmost one."""
    config = settings()
    forwarded = request.headers.get("X-Forwarded-For", "")
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if not config.forwarded_auth or not entries:
        return request.remote_addr or ""
    return entries[-min(config.forwarded_for_position, len(entries))]


def log_request(request: Request, status: int, started: float, fields: dict[str, Any]) -> None:
    """The one log line of a request: Cloud Logging's ``httpRequest`` (its URL redacted) plus
    ``fields``."""
    structured: dict[str, Any] = {
        "httpRequest": {
            "requestMethod": request.method,
            "requestUrl": redact(request.url),
            "status": status,
            "userAgent": request.headers.get("User-Agent", ""),
            "remoteIp": client_address(request),
            "latency": f"{time.perf_counter() - started:.6f}s",
        },
        **fields,
    }
    trace = request.headers.get("X-Cloud-Trace-Context", "").split("/")[0]
    project = settings().project if trace else None
    if trace and project:
        structured["logging.googleapis.com/trace"] = f"projects/{project}/traces/{trace}"
    severity = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    message = f"{request.method} {redact(request.path)} {status}"
    logger().log(severity, message, extra={"structured": structured})


def log_error(message: str, **fields: Any) -> None:
    """A structured error log line (for failures after the response has started)."""
    logger().error(message, extra={"structured": fields})


def log_exception(message: str, **fields: Any) -> None:
    """A structured error log line with the current exception's stack trace."""
    logger().exception(message, extra={"structured": fields})


_INDEXES_REPORTED: set[str] = set()
_INDEXES_LOCK = threading.Lock()


def log_index_not_ready(link: str | None, detail: str) -> None:
    """One error line per instance for each index a query found missing or still building, with the
    link Firestore gives to create or watch it (``index_link``) and its whole message."""
    with _INDEXES_LOCK:
        if (link or detail) in _INDEXES_REPORTED:
            return
        _INDEXES_REPORTED.add(link or detail)
    log_error(
        "a query needs a Firestore index that is missing or still building: create it at index_link "
        "(or wait for its build); until then the query answers 503",
        index_link=link,
        firestore_message=detail,
    )
