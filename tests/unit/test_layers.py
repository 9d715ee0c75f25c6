"""The library's layers: each module of ``shared`` imports only its own layer and those below it.

edge (routes, endpoint, auth, steps), pubsub (the Pub/Sub ingest's entry) > api, exports, pipeline,
webhooks (wire formats, outbound HTTP) > store, media, uploads, url_signing, gcs (Firestore, Storage) >
model (events, filters, changes, actors, scopes) > config, errors, ids, timefmt.
The model knows neither wire formats nor clouds, and neither the model nor the store (nor anything
below wire formats) raises the contract's HTTP errors: they raise ``shared.model.errors``, which the
edge maps (``shared.edge.errors``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"
RANKS = {
    "config": 0, "errors": 0, "ids": 0, "timefmt": 0, "caches": 0,
    "model": 1,
    "store": 2, "media": 2, "uploads": 2, "gcs": 2, "url_signing": 2,
    "api": 3, "exports": 3, "pipeline": 3, "webhooks": 3,
    "edge": 4, "pubsub": 4,
}  # fmt: skip
MODEL_MAY_NOT_IMPORT = ("flask", "werkzeug", "google", "jwt", "requests", "csv")
# What a module below the wire formats may take from shared.errors: a deployment's fault, not an answer.
BELOW_WIRE_MAY_IMPORT_FROM_ERRORS = {"ConfigurationError"}


def _module_files() -> list[Path]:
    return sorted(path for path in SHARED.rglob("*.py") if path.name != "__init__.py")


def _part(path: Path) -> str:
    return path.relative_to(SHARED).parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_every_part_of_shared_has_a_layer() -> None:
    parts = {_part(path) for path in _module_files()}
    assert parts == set(RANKS), parts ^ set(RANKS)


@pytest.mark.parametrize("path", _module_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_imports_go_down_only(path: Path) -> None:
    rank = RANKS[_part(path)]
    for module in _imports(path):
        top = module.split(".")[0]
        assert top not in {"functions", "devstack", "deploy", "bench", "tests"}, module
        if top != "shared" or module == "shared":
            continue
        imported = module.split(".")[1]
        assert RANKS[imported] <= rank, f"{path.name} ({_part(path)}) imports {module}, a higher layer"


@pytest.mark.parametrize("path", sorted((SHARED / "model").glob("*.py")), ids=lambda path: path.name)
def test_the_model_knows_no_wire_format_or_cloud(path: Path) -> None:
    for module in _imports(path):
        assert module.split(".")[0] not in MODEL_MAY_NOT_IMPORT, f"{path.name} imports {module}"


def _names_from(path: Path, module: str) -> set[str]:
    """The names ``path`` imports from ``module`` (``import module`` counts as every name: ``*``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == module and node.level == 0:
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == module.rpartition(".")[0]:
            if any(alias.name == module.rpartition(".")[2] for alias in node.names):
                found.add("*")
        elif isinstance(node, ast.Import) and any(alias.name == module for alias in node.names):
            found.add("*")
    return found


@pytest.mark.parametrize(
    "path",
    [path for path in _module_files() if RANKS[_part(path)] <= RANKS["store"] and _part(path) != "errors"],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_below_the_wire_formats_no_http_error_is_raised(path: Path) -> None:
    taken = _names_from(path, "shared.errors") - BELOW_WIRE_MAY_IMPORT_FROM_ERRORS
    assert not taken, f"{path.name} imports {sorted(taken)} from shared.errors: raise shared.model.errors"
