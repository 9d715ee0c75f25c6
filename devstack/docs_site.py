"""MkDocs hooks (``mkdocs.yml``): the site's pages that live outside ``docs/``, from their single source.

The README is the site's home page, ``shared/openapi.json`` the API reference's document, the
clients' READMEs their pages and ``bench/latency.png`` the benchmarks' plot. Links are written for
the repository (they work on GitHub, e.g. the README's ``docs/exports.md``); each page's relative
links are rewritten to the site's path of the same file, so ``mkdocs build --strict`` checks them
like any other link.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
# The site's path of each page or file that lives outside docs/ -> its path in the repository.
OUTSIDE = {
    "index.md": "README.md",
    "openapi.json": "shared/openapi.json",
    "latency.png": "bench/latency.png",
    "clients/python.md": "clients/python/README.md",
    "clients/js.md": "clients/js/README.md",
}
IN_REPO = {repo: site for site, repo in OUTSIDE.items()}
LINK = re.compile(r"(\]\()([^)\s#]+)([^)]*\))")


def repo_path(site_path: str) -> str:
    """Where the site's ``site_path`` lives in the repository."""
    return OUTSIDE.get(site_path, f"docs/{site_path}")


def site_path(repo: str) -> str | None:
    """The site's path of the repository's file ``repo``, or None when the site does not have it."""
    if repo in IN_REPO:
        return IN_REPO[repo]
    return repo.removeprefix("docs/") if repo.startswith("docs/") else None


def rewrite_links(markdown: str, page_site_path: str) -> str:
    """The page's relative links, from repository paths to the site's paths of the same files."""
    page_dir = posixpath.dirname(repo_path(page_site_path))
    site_dir = posixpath.dirname(page_site_path)

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(2)
        if "://" in target or target.startswith(("/", "mailto:")):
            return match.group(0)
        on_site = site_path(posixpath.normpath(posixpath.join(page_dir, target)))
        if on_site is None:  # left as written: the strict build reports it as a broken link
            return match.group(0)
        return match.group(1) + posixpath.relpath(on_site, site_dir or ".") + match.group(3)

    return LINK.sub(rewrite, markdown)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the pages and files that live outside ``docs/``, read from their source at each build."""
    for site, repo in OUTSIDE.items():
        files.append(File.generated(config, site, abs_src_path=str(ROOT / repo)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Each page's links, rewritten to the site's paths."""
    return rewrite_links(markdown, page.file.src_uri)
