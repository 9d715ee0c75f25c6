"""Structured logs: one JSON object per line on stdout, with the fields Cloud Logging reads
(``severity``, ``message``, ``httpRequest``, ``logging.googleapis.com/trace``)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from werkzeug.wrappers import Request

from shared.config import settings


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


def log_request(request: Request, status: int, started: float, fields: dict[str, Any]) -> None:
    """The one log line of a request: Cloud Logging's ``httpRequest`` plus ``fields``."""
    structured: dict[str, Any] = {
        "httpRequest": {
            "requestMethod": request.method,
            "requestUrl": request.url,
            "status": status,
            "userAgent": request.headers.get("User-Agent", ""),
            "remoteIp": request.headers.get("X-Forwarded-For", request.remote_addr or ""),
            "latency": f"{time.perf_counter() - started:.6f}s",
        },
        **fields,
    }
    trace = request.headers.get("X-Cloud-Trace-Context", "").split("/")[0]
    project = settings().project if trace else None
    if trace and project:
        structured["logging.googleapis.com/trace"] = f"projects/{project}/traces/{trace}"
    severity = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    logger().log(severity, f"{request.method} {request.path} {status}", extra={"structured": structured})


def log_error(message: str, **fields: Any) -> None:
    """A structured error log line (for failures after the response has started)."""
    logger().error(message, extra={"structured": fields})


def log_exception(message: str, **fields: Any) -> None:
    """A structured error log line with the current exception's stack trace."""
    logger().exception(message, extra={"structured": fields})
