"""The API's errors: each maps to one status code and one ``error`` code of the contract.

Every error leaves a function as ``{"error": <code>, "message": <text>, "request_id": <id>}``, plus
``"fields"`` (field name -> problem) for validation errors; ``request_id`` equals the response's
``X-Request-Id``. The wire formats (``shared.api``, ``shared.exports``, ``shared.pipeline``), the edge
and the functions raise these; ``shared.edge.endpoint`` turns them into responses. The model and the
store never do: they raise :mod:`shared.model.errors`, which ``shared.edge.errors`` maps to these in
one place (``tests/unit/test_layers.py`` holds them to it).
"""

from __future__ import annotations

from collections.abc import Mapping


class ConfigurationError(RuntimeError):
    """The deployment is misconfigured (a server fault, never the caller's)."""


class ApiError(Exception):
    """An error answered to the caller with the contract's envelope."""

    status: int = 500
    code: str = "internal"

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.headers: dict[str, str] = {}

    def body(self, request_id: str) -> dict[str, object]:
        """The JSON envelope of this error, for the request ``request_id``."""
        payload: dict[str, object] = {"error": self.code, "message": self.message, "request_id": request_id}
        if self.fields:
            payload["fields"] = self.fields
        return payload


class ValidationError(ApiError):
    status, code = 400, "validation_error"

    @classmethod
    def field(cls, name: str, problem: str) -> ValidationError:
        """A validation error about one named field."""
        return cls(f"{name}: {problem}", {name: problem})

    @classmethod
    def of(cls, what: str, problems: Mapping[str, str]) -> ValidationError:
        """A validation error listing every bad field of ``what`` (a query, a body, an event)."""
        listed = "; ".join(f"{name}: {problem}" for name, problem in sorted(problems.items()))
        return cls(f"invalid {what}: {listed}", problems)


class AuthRequired(ApiError):
    status, code = 401, "auth_required"

    def __init__(self, message: str = "missing or invalid token") -> None:
        super().__init__(message)
        self.headers["WWW-Authenticate"] = 'Bearer realm="novavms-events"'


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"

    def __init__(self, message: str = "event not found") -> None:
        super().__init__(message)


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(f"{method} is not allowed here; allowed: {', '.join(allowed)}")
        self.headers["Allow"] = ", ".join(allowed)


class Conflict(ApiError):
    status, code = 409, "conflict"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class Gone(ApiError):
    """410: what was asked for existed once and is no longer kept (a change feed's cursor past the
    retention): start again from the oldest kept."""

    status, code = 410, "gone"


class RateLimited(ApiError):
    status, code = 429, "rate_limited"


class Unavailable(ApiError):
    """503: the service cannot answer now; always says when to retry (``Retry-After``, seconds)."""

    status, code = 503, "unavailable"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.headers["Retry-After"] = str(retry_after)


class InternalError(ApiError):
    status, code = 500, "internal"
