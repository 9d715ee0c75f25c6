"""The one Python the project runs on: the version ``pyproject.toml``'s ``requires-python`` starts at.

The tests run on it (``make install`` builds the venv with it), the lock (``deploy/requirements.lock``)
is resolved for it and every function deploys on its Cloud Functions runtime (``python311`` for 3.11):
a tenant whose ``runtime`` names another Python is refused.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
PLATFORM = "x86_64-unknown-linux-gnu"  # the Cloud Functions (gen2) Python runtimes: Ubuntu on x86-64

_FLOOR = re.compile(r"^(?:>=|~=|==)\s*3\.(\d+)(?:\.[0-9*]+)*$")
_RUNTIME = re.compile(r"^python3(\d+)$")


class RuntimeMismatch(ValueError):
    """A runtime name that is not a Python runtime, or not the project's Python."""


def python_version(pyproject: Path = PYPROJECT) -> tuple[int, int]:
    """(3, minor) of the lowest Python ``requires-python`` admits, e.g. (3, 11) for ``>=3.11``."""
    requires = str(tomllib.loads(pyproject.read_text())["project"]["requires-python"])
    minors = [int(match.group(1)) for part in requires.split(",") if (match := _FLOOR.search(part.strip()))]
    if not minors:
        raise RuntimeMismatch(f"requires-python {requires!r} names no lower bound like '>=3.11'")
    return 3, max(minors)


def runtime_name(version: tuple[int, int]) -> str:
    """The Cloud Functions runtime of a Python version: ``python311`` for (3, 11)."""
    return f"python{version[0]}{version[1]}"


def runtime_version(runtime: str) -> tuple[int, int]:
    """The Python version of a Cloud Functions runtime name: (3, 11) for ``python311``."""
    match = _RUNTIME.match(runtime)
    if not match:
        raise RuntimeMismatch(f"runtime {runtime!r} is not a Cloud Functions Python runtime (python3NN)")
    return 3, int(match.group(1))


def check_runtime(runtime: str, pyproject: Path = PYPROJECT) -> None:
    """Raise RuntimeMismatch unless ``runtime`` is the project's Python."""
    wanted = python_version(pyproject)
    if runtime_version(runtime) != wanted:
        raise RuntimeMismatch(
            f"runtime {runtime!r} is not Python {wanted[0]}.{wanted[1]}, which pyproject.toml's "
            f"requires-python, the tests and deploy/requirements.lock use: deploy {runtime_name(wanted)}"
        )
