"""Each function's deployable bundle, in the layout the Python runtime's buildpack expects.

A bundle is a directory with ``main.py`` (the function's module, entry point of the same name), the
modules of ``shared/`` it imports (followed through every import, lazy ones included, with the
``__init__`` of each package on the way, in the same package layout) and a
``requirements.txt`` with exactly the distributions those modules import and everything those
require, transitively, each pinned ``name==version`` as in ``deploy/requirements.lock`` (whose
``# via`` graph gives the closure; ``python -m deploy lock`` regenerates it). An import of anything
the map below does not know, or of a distribution the lock lacks, fails the build. Every bundle also
carries ``shared/openapi.json``, and the docs function's the docs page's files in ``docs_assets/``.
"""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

from deploy.lock import Lock, LockError, read_lock

ROOT = Path(__file__).resolve().parent.parent

# Import -> the distribution that provides it (as named in deploy/requirements.lock).
DISTRIBUTION_OF = {
    "flask": "flask",
    "werkzeug": "werkzeug",
    "functions_framework": "functions-framework",
    "google.cloud.firestore": "google-cloud-firestore",
    "google.cloud.firestore_v1": "google-cloud-firestore",
    "google.api_core": "google-api-core",  # locked as what the Firestore and Storage clients require
    "google.cloud.storage": "google-cloud-storage",
    "google.cloud.pubsub_v1": "google-cloud-pubsub",
    "cloudevents": "cloudevents",  # locked as what functions-framework requires
    "google.auth": "google-auth",
    "google.oauth2": "google-auth",
    "jwt": "pyjwt",
    "cryptography": "cryptography",
    "requests": "requests",
    "urllib3": "urllib3",
    # Webhook attempts are Cloud Tasks (every function that commits a change enqueues its deliveries).
    "google.cloud.tasks_v2": "google-cloud-tasks",
    "google.protobuf": "protobuf",
}


class BundleError(RuntimeError):
    """A function imports something no bundle rule covers."""


def _imports(path: Path) -> set[str]:
    """Every module name ``path`` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _shared_files(module: str) -> list[Path]:
    """The files of ``shared`` that importing ``module`` runs: the module (or package
    ``__init__``) and the ``__init__`` of every package above it."""
    parts = module.split(".")
    if parts[0] != "shared":
        return []
    files = [ROOT.joinpath(*parts[:depth], "__init__.py") for depth in range(1, len(parts) + 1)]
    files.append(ROOT.joinpath(*parts).with_suffix(".py"))
    return [path for path in files if path.exists()]


def _distribution(module: str) -> str | None:
    """The distribution a third-party import needs; None for the standard library."""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return None
    for prefix, distribution in DISTRIBUTION_OF.items():
        if module == prefix or module.startswith(prefix + "."):
            return distribution
    if top == "google":  # "from google.cloud import firestore" names google.cloud.firestore too
        return None
    raise BundleError(f"no bundle rule for import {module!r}: add it to deploy/bundle.py")


def closure(function: str) -> tuple[list[Path], set[str]]:
    """The shared modules a function needs and the distributions they import (directly)."""
    todo = [ROOT / "functions" / f"{function}.py"]
    seen: set[Path] = set()
    distributions: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in _imports(path):
            shared = _shared_files(module)
            if shared:
                todo.extend(shared)
            elif module.split(".")[0] not in ("shared", "functions"):
                distribution = _distribution(module)
                if distribution:
                    distributions.add(distribution)
    shared_root = ROOT / "shared"
    shared_files = sorted(path for path in seen if path.is_relative_to(shared_root))
    return shared_files, distributions


def requirements(function: str, lock: Lock | None = None) -> list[str]:
    """The lines of the function's ``requirements.txt``: the distributions it imports and all they
    require, transitively, as ``name==version`` pinned in the lock, sorted."""
    lock = lock or read_lock()
    _, distributions = closure(function)
    try:
        return lock.pins(lock.closure(distributions))
    except LockError as exc:
        raise BundleError(f"{function}: {exc}") from exc


def build_bundle(function: str, out_dir: Path, lock: Lock | None = None) -> Path:
    """Write the bundle of ``function`` into ``out_dir`` (emptied first); returns it."""
    shared_files, _ = closure(function)
    lines = requirements(function, lock)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    shutil.copy(ROOT / "functions" / f"{function}.py", out_dir / "main.py")
    for path in shared_files:
        target = out_dir / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    shutil.copy(ROOT / "shared" / "openapi.json", out_dir / "shared" / "openapi.json")  # package data
    if ROOT / "shared" / "api" / "docs_page.py" in shared_files:
        _copy_docs_assets(out_dir / "docs_assets")
    (out_dir / "requirements.txt").write_text("\n".join(lines) + "\n")
    return out_dir


def _copy_docs_assets(target: Path) -> None:
    """The docs page's files (its HTML and script, and the renderer installed by ``npm ci``)."""
    from shared.api.docs_page import ASSETS, asset_source

    target.mkdir(parents=True)
    for name in ASSETS:
        source = asset_source(name)
        if not source.is_file():
            raise BundleError(f"{source} is missing: run make install (npm ci in docs-ui/)")
        shutil.copy(source, target / name)
