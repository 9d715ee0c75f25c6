"""GET /docs, /docs/{asset} and /openapi.json: the interactive docs page and the contract it renders;
GET /live and /live/{asset}: the live page (new events as they arrive, through a stream ticket).

Open (no token): the page is Swagger UI over ``/openapi.json``; "Try it out" calls the same host with
a token pasted under "Authorize". Served with a Content Security Policy of ``default-src 'self'`` (and,
like every answer, ``X-Content-Type-Options: nosniff`` from the edge).
"""

from __future__ import annotations

import hashlib

import flask
import functions_framework

from shared.api.docs_page import (
    CONTENT_SECURITY_POLICY,
    DOCS_NAMES,
    LIVE_ASSETS,
    LIVE_PAGE,
    PAGE,
    asset,
    live_policy,
    openapi_document,
)
from shared.edge.endpoint import Context, endpoint
from shared.errors import NotFound


def _served(
    body: bytes, content_type: str, request: flask.Request, cache: str, policy: str = CONTENT_SECURITY_POLICY
) -> flask.Response:
    etag = hashlib.sha256(body).hexdigest()[:32]
    response = flask.Response(body, content_type=content_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache
    response.headers["Content-Security-Policy"] = policy
    response.headers["Referrer-Policy"] = "no-referrer"
    response.make_conditional(request)  # 304 when the client's copy is current
    return response


@functions_framework.http
@endpoint("api_docs", auth=None)
def api_docs(context: Context) -> flask.Response:
    """The document, the page or one of its assets; 404 for any other asset name."""
    request = context.request
    if context.route.path == "/openapi.json":
        return _served(openapi_document(), "application/json", request, "no-cache")
    live = context.route.path.startswith("/live")
    page = LIVE_PAGE if live else PAGE
    name = context.path_params.get("asset", page)
    found = asset(name) if name in (LIVE_ASSETS if live else DOCS_NAMES) else None
    if found is None:
        raise NotFound(f"no {'live page' if live else 'docs'} asset {name}")
    body, content_type = found
    cache = "no-cache" if name == page else "public, max-age=3600"
    return _served(body, content_type, request, cache, live_policy() if live else CONTENT_SECURITY_POLICY)
