"""The contract checked by machine: every response the tests receive from the API is validated against
``shared/openapi.json`` (status, headers, body), and a request the API accepted (2xx) must be valid
by the document too, so code and document cannot drift apart unnoticed.

Paths the document does not describe (the docs page, the document itself, unknown paths) and the
gateway's own 414/431 are checked for the error envelope only.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator

DOCUMENT = Path(__file__).resolve().parents[1] / "shared" / "openapi.json"
# Answered by the gateway before any operation is chosen (the document says so in its description).
TRANSPORT_STATUSES = frozenset({414, 431})


@cache
def document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text())
    return document


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(document())


def _error_validator() -> OAS30Validator:
    """The document's Error schema (self-contained: it refers to nothing else)."""
    return OAS30Validator(document()["components"]["schemas"]["Error"])


def _operation(method: str, path: str) -> dict[str, Any] | None:
    """The document's operation for ``method path`` (None: not an operation of the document)."""
    for template, item in document()["paths"].items():
        pattern = "/".join("[^/]+" if part.startswith("{") else part for part in template.split("/"))
        if re.fullmatch(pattern, path) and method.lower() in item:
            operation: dict[str, Any] = item[method.lower()]
            return operation
    return None


def check_response(response: requests.Response) -> None:
    """Raise AssertionError when ``response`` (or, for a 2xx, its request) breaks the contract."""
    request = response.request
    path = urlsplit(str(request.url)).path
    method = str(request.method)
    if _operation(method, path) is None or response.status_code in TRANSPORT_STATUSES:
        if response.status_code >= 400 and method != "HEAD":
            assert response.headers.get("Content-Type", "").startswith("application/json"), response.text[
                :200
            ]
            body = response.json()
            problems = [error.message for error in _error_validator().iter_errors(body)]
            assert not problems, f"{method} {path} {response.status_code}: {problems}"
            assert body["request_id"] == response.headers.get("X-Request-Id"), body
        return
    forwarded = request.headers.get("X-Forwarded-Authorization")
    if forwarded and "Authorization" not in request.headers:  # behind API Gateway: the caller's header
        request = request.copy()
        request.headers["Authorization"] = forwarded
    openapi_request = RequestsOpenAPIRequest(request)
    problems = [
        str(error) + "".join(f"\n  {cause}" for cause in _causes(error))
        for error in _openapi().iter_response_errors(openapi_request, RequestsOpenAPIResponse(response))
    ]
    assert not problems, f"{method} {path} -> {response.status_code} breaks the document: {problems}"
    if 200 <= response.status_code < 300:
        rejected = [
            str(error) + "".join(f"\n  {cause}" for cause in _causes(error))
            for error in _openapi().iter_request_errors(openapi_request)
        ]
        assert not rejected, f"{method} {path} was accepted but the document calls it invalid: {rejected}"
    if response.status_code >= 400:
        assert response.json()["request_id"] == response.headers["X-Request-Id"]


def _causes(error: BaseException) -> list[str]:
    found = []
    for attribute in ("schema_errors", "errors"):
        for cause in getattr(error, attribute, None) or []:
            found.append(str(getattr(cause, "message", cause)))
    if error.__cause__ is not None:
        found += [str(error.__cause__), *_causes(error.__cause__)]
    return found
