"""The client's errors: one class per error of the API's contract, under :class:`APIError`.

Every answer that is not a 2xx becomes the class of its status, carrying the contract's error
envelope (``error`` -> :attr:`APIError.code`, ``message``, ``fields``, ``request_id``). The client
validates no value itself: a 400 from the server is the one source of truth.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._models import IngestResult

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "ConflictError",
    "GoneError",
    "IngestIncompleteError",
    "InternalServerError",
    "MethodNotAllowedError",
    "NotFoundError",
    "NovaVMSError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServiceUnavailableError",
    "UploadError",
    "ValidationError",
    "error_for_status",
]


class NovaVMSError(Exception):
    """Base of every error this package raises (a missing setting, an API error, a transport error)."""


class APIError(NovaVMSError):
    """An error of a call to the API.

    ``status`` is the HTTP status (None when no answer came back), ``code`` the contract's error code
    (``not_found``, ``rate_limited``, ...), ``message`` the server's explanation, ``request_id`` the
    id to quote to support, ``retry_after`` the seconds the server asked to wait (when it said).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after
        self.body = body

    def __str__(self) -> str:
        head = " ".join(str(part) for part in (self.status, self.code) if part is not None)
        text = f"{head}: {self.message}" if head else self.message
        return f"{text} (request_id={self.request_id})" if self.request_id else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class ValidationError(APIError):
    """400 ``validation_error``: a bad parameter or body; :attr:`fields` maps each bad field to its
    problem."""

    @property
    def fields(self) -> dict[str, str]:
        fields = self.body.get("fields") if isinstance(self.body, dict) else None
        return dict(fields) if isinstance(fields, dict) else {}


class AuthenticationError(APIError):
    """401 ``auth_required``: the API key or token is missing, invalid, expired or revoked."""


class PermissionDeniedError(APIError):
    """403 ``forbidden``: the caller's role is insufficient, or a site is outside a viewer's access."""


class NotFoundError(APIError):
    """404 ``not_found``: no live event (or key) with this id in the caller's org."""


class MethodNotAllowedError(APIError):
    """405 ``method_not_allowed``: the path does not take this method."""


class ConflictError(APIError):
    """409 ``conflict``: a request with the same Idempotency-Key is still executing."""


class GoneError(APIError):
    """410 ``gone``: the change feed's cursor (or ``since``) is older than the changes the server
    keeps; read again from the oldest kept (no cursor) and resync what may have been missed."""


class PayloadTooLargeError(APIError):
    """413 ``payload_too_large``: an export matching more rows than the cap, or a body over 64 KiB."""


class RateLimitError(APIError):
    """429 ``rate_limited``: the org's (or the key's) budget is spent; :attr:`retry_after` says for
    how long."""


class InternalServerError(APIError):
    """500 ``internal`` (and other 5xx but 503): the server failed."""


class ServiceUnavailableError(APIError):
    """503 ``unavailable``: the service cannot answer now; retry after :attr:`retry_after`."""


class APIConnectionError(APIError):
    """No answer: the connection failed or broke (also a transfer that broke midway)."""

    def __init__(self, message: str = "connection error", *, request_id: str | None = None) -> None:
        super().__init__(message, request_id=request_id)


class APITimeoutError(APIConnectionError):
    """No answer within the timeout."""

    def __init__(self, message: str = "request timed out", *, request_id: str | None = None) -> None:
        super().__init__(message, request_id=request_id)


class IngestIncompleteError(APIError):
    """An ingest sent in several requests stopped: the request carrying the events from input
    position :attr:`sent` on failed with :attr:`error` (also ``__cause__``, and the source of
    ``status``, ``code`` and ``retry_after``) after the earlier requests were written.
    :attr:`result` reports those first :attr:`sent` events. Ingest is idempotent by id: sending
    the events again, or those from :attr:`sent` on, is safe."""

    def __init__(self, error: APIError, result: IngestResult, sent: int) -> None:
        super().__init__(
            f"ingest stopped after {sent} events were written: {error.message}",
            status=error.status,
            code=error.code,
            request_id=error.request_id,
            retry_after=error.retry_after,
            body=error.body,
        )
        self.error = error
        self.result = result
        self.sent = sent


class UploadError(APIError):
    """Cloud Storage refused an upload to a signed URL: :attr:`status` is its HTTP status and
    :attr:`message` its error text. A 400 or 403 there means the URL expired or the bytes broke what
    it binds (content type, size range); ask for new upload URLs."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    410: GoneError,
    413: PayloadTooLargeError,
    429: RateLimitError,
    500: InternalServerError,
    503: ServiceUnavailableError,
}


def error_for_status(
    status: int, headers: Mapping[str, str], content: bytes, retry_after: float | None
) -> APIError:
    """The error of a non-2xx answer: its class by status, its fields from the error envelope (a body
    that is not the envelope, such as a proxy's HTML page, still gives a readable message)."""
    try:
        body: Any = json.loads(content) if content else None
    except ValueError:
        body = None
    envelope = body if isinstance(body, dict) else {}
    text = content[:200].decode("utf-8", errors="replace").strip()
    message = str(envelope.get("message") or text or f"HTTP {status}")
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIError)
    return cls(
        message,
        status=status,
        code=envelope.get("error") if isinstance(envelope.get("error"), str) else None,
        request_id=headers.get("x-request-id") or envelope.get("request_id"),
        retry_after=retry_after,
        body=body,
    )
