"""The documentation's promises that a machine can hold: the README stays a front page, the
configuration guide names every environment variable the code reads, and the docs site's hooks map
repository links to the site's pages."""

from __future__ import annotations

import re
from pathlib import Path

from devstack.docs_site import rewrite_links

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
# Where the code reads environment variables: the service's one place, the local stack, the deployment.
READERS = [ROOT / "shared" / "config.py", *(ROOT / "devstack").glob("*.py"), *(ROOT / "deploy").glob("*.py")]
READ = re.compile(
    r"""(?:environ\.get\(|getenv\(|environ\[|_(?:str|int|bool)\()\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def test_the_readme_is_a_front_page() -> None:
    lines = README.splitlines()
    assert len(lines) < 300
    first_curl = next(number for number, line in enumerate(lines, 1) if line.startswith("curl "))
    assert first_curl <= 120
    assert "make dev" in README and "make test" in README
    assert re.search(r"`make test` takes about \d+ minutes on a 2-core machine", README)


def test_the_configuration_guide_names_every_variable_the_code_reads() -> None:
    read = {name for path in READERS for name in READ.findall(path.read_text())}
    assert {"EVENTS_CURSOR_KEY", "NOVAVMS_DEVSTACK_DIR", "PORT"} <= read, "the pattern finds the readers"
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", CONFIGURATION))
    assert read - documented == set(), "docs/configuration.md lacks these variables"


def test_repository_links_become_the_sites_links() -> None:
    readme = "[a](docs/exports.md#scheduled-exports) [b](clients/js/README.md) [c](shared/openapi.json)"
    assert rewrite_links(readme, "index.md") == (
        "[a](exports.md#scheduled-exports) [b](clients/js.md) [c](openapi.json)"
    )
    guide = "[a](auth.md) [b](../clients/python/README.md) ![c](../bench/latency.png) [d](https://x.org/a.md)"
    assert rewrite_links(guide, "cli.md") == (
        "[a](auth.md) [b](clients/python.md) ![c](latency.png) [d](https://x.org/a.md)"
    )
    assert rewrite_links("[a](nowhere/file.md)", "cli.md") == "[a](nowhere/file.md)", "left for --strict"
