"""The interactive docs page (``/docs``): Swagger UI over this host's ``/openapi.json``.

The renderer is ``swagger-ui-dist`` from the npm registry, installed at build time (``make install``
runs ``npm ci`` in ``docs-ui/``) and served by the project itself: no CDN at run time. A deployed
bundle carries the same files in ``docs_assets/``. Every page and asset is served with a Content
Security Policy of ``default-src 'self'`` (images may also be ``data:`` URIs, which Swagger UI's
icons are), so the page runs only this host's scripts; it persists no credentials and takes no
configuration from the query string.

The live page (``/live``, ``/live/{asset}``) is served the same way from ``docs-ui/live.*``: a token
pasted into it takes a stream ticket and shows new events as they arrive. Its policy is the docs
page's plus ``img-src`` for the media origin (:func:`live_policy`), where its snapshots' signed URLs
point.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from shared import media

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "docs_assets"  # in a deployed bundle, beside shared/
SOURCE = ROOT / "docs-ui"  # in the repository
CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
PAGE = "index.html"
# name served under /docs/ -> (path below docs-ui/, content type)
ASSETS: dict[str, tuple[str, str]] = {
    PAGE: ("index.html", "text/html; charset=utf-8"),
    "docs.js": ("docs.js", "text/javascript; charset=utf-8"),
    "swagger-ui-bundle.js": (
        "node_modules/swagger-ui-dist/swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
    ),
    "swagger-ui.css": ("node_modules/swagger-ui-dist/swagger-ui.css", "text/css; charset=utf-8"),
    "favicon-32x32.png": ("node_modules/swagger-ui-dist/favicon-32x32.png", "image/png"),
}


LIVE_PAGE = "live.html"
# name served under /live/ -> (path below docs-ui/, content type); copied into bundles with ASSETS
LIVE_ASSETS: dict[str, tuple[str, str]] = {
    LIVE_PAGE: ("live.html", "text/html; charset=utf-8"),
    "live.js": ("live.js", "text/javascript; charset=utf-8"),
    "live.css": ("live.css", "text/css; charset=utf-8"),
}
ASSETS.update(LIVE_ASSETS)
DOCS_NAMES = frozenset(name for name in ASSETS if name not in LIVE_ASSETS)


def live_policy() -> str:
    """The live page's Content Security Policy: the docs page's, its images also from the media
    origin (Cloud Storage, or the storage emulator locally)."""
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {media.endpoint()}")


class AssetMissing(RuntimeError):
    """The renderer's files are not installed (run ``make install``, or rebuild the bundle)."""


def asset_source(name: str) -> Path:
    """Where asset ``name`` is in the repository (what a bundle copies)."""
    return SOURCE / ASSETS[name][0]


def asset(name: str) -> tuple[bytes, str] | None:
    """The bytes and content type of asset ``name``; None for a name the page does not have."""
    if name not in ASSETS:
        return None
    for path in (BUNDLED / name, asset_source(name)):
        if path.is_file():
            return path.read_bytes(), ASSETS[name][1]
    raise AssetMissing(f"docs asset {name} is not installed: run make install (npm ci in docs-ui/)")


def openapi_document() -> bytes:
    """The API's OpenAPI 3 document, as shipped (never varies with the request)."""
    return resources.files("shared").joinpath("openapi.json").read_bytes()
