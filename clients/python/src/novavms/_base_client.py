"""What the sync and async clients share: settings, headers, URLs, errors of answers and logging.

Logging goes to the ``novavms`` logger (quiet unless the application configures it): each request at
DEBUG, each retry at INFO. The ``Authorization`` header is never logged, nor shown by ``repr``.
"""

from __future__ import annotations

import copy
import logging
import os
import platform
from typing import Any, Generic, TypeVar, Union

import httpx

from ._errors import APIConnectionError, APIError, APITimeoutError, NovaVMSError, error_for_status
from ._operations import Call
from ._retries import retry_after_seconds
from ._version import __version__

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "BaseClient", "log"]

log = logging.getLogger("novavms")
log.addHandler(logging.NullHandler())

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
Timeout = Union[float, httpx.Timeout]
HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)
C = TypeVar("C", bound="BaseClient[Any]")


def _setting(given: str | None, variable: str, what: str) -> str:
    value = given if given is not None else os.environ.get(variable)
    if not value:
        raise NovaVMSError(f"no {what}: pass {what}=... or set {variable}")
    return value


class BaseClient(Generic[HttpT]):
    """Settings of a client: the API key (or bearer JWT), the tenant's base URL, timeout, retries and
    its connection pool (``http_client``: yours, which ``close`` leaves open, or one of its own)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: dict[str, str] | None = None,
        http_client: HttpT | None = None,
    ) -> None:
        self._api_key = _setting(api_key, "NOVAVMS_API_KEY", "api_key")
        self.base_url = _setting(base_url, "NOVAVMS_BASE_URL", "base_url").rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self._default_headers = dict(default_headers or {})
        self._http: HttpT = http_client or self._default_http(timeout)
        self._owns_http = http_client is None
        self._bind()

    def _default_http(self, timeout: Timeout) -> HttpT:
        """A connection pool of the client's own."""
        raise NotImplementedError

    def _bind(self) -> None:
        """Attach the resources (``events``, ``keys``) to this client."""
        raise NotImplementedError

    def with_options(self: C, *, timeout: Timeout | None = None, max_retries: int | None = None) -> C:
        """A client sharing this one's connections with another timeout or retry count."""
        other = copy.copy(self)
        other.timeout = self.timeout if timeout is None else timeout
        other.max_retries = self.max_retries if max_retries is None else max_retries
        other._owns_http = False
        other._bind()
        return other

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def user_agent(self) -> str:
        return f"novavms-python/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"

    def _headers(self, call: Call, accept: str) -> dict[str, str]:
        headers = {
            "User-Agent": self.user_agent,
            "Accept": accept,
            **self._default_headers,
            "Authorization": f"Bearer {self._api_key}",
        }
        if call.idempotency_key is not None:
            headers["Idempotency-Key"] = call.idempotency_key
        return headers

    def _request_args(self, call: Call, accept: str) -> dict[str, Any]:
        """The arguments of ``build_request`` for one attempt of ``call``."""
        args: dict[str, Any] = {
            "method": call.operation.method,
            "url": self.base_url + call.path,
            "params": call.params,
            "headers": self._headers(call, accept),
            "timeout": self.timeout,
        }
        if call.json is not None:
            args["json"] = call.json
        return args

    @staticmethod
    def _transport_error(exc: httpx.TransportError) -> APIConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"request timed out: {exc}")
        return APIConnectionError(f"connection error: {type(exc).__name__}: {exc}")

    @staticmethod
    def _status_error(response: httpx.Response) -> APIError:
        """The error of a non-2xx answer whose body has been read."""
        return error_for_status(
            response.status_code, response.headers, response.content, retry_after_seconds(response.headers)
        )

    @staticmethod
    def _log_answer(what: str, response: httpx.Response, attempt: int) -> None:
        log.debug(
            "%s -> %d request_id=%s%s%s",
            what,
            response.status_code,
            response.headers.get("x-request-id"),
            " (replayed)" if response.headers.get("idempotent-replayed") == "true" else "",
            f" attempt {attempt + 1}" if attempt else "",
        )

    @staticmethod
    def _log_retry(what: str, error: APIError, delay: float, attempt: int, max_retries: int) -> None:
        log.info(
            "%s failed (%s); retry %d of %d in %.2f s",
            what,
            error,
            attempt + 1,
            max_retries,
            delay,
        )
