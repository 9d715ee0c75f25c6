"""``deploy/requirements.lock``: the whole runtime dependency tree, pinned, with its graph.

The lock is ``uv pip compile`` of ``pyproject.toml``'s ``[project]`` dependencies (not the dev extras)
for the project's Python (deploy/runtime.py) on the Cloud Functions platform (x86-64 Linux). uv's
``# via`` annotations record who needs each distribution: the bundler follows them from the
distributions a function imports to write its ``requirements.txt`` (the closure, pinned as here), and
``make install`` installs the dev venv with the lock as constraints, so tests run on these versions.

    python -m deploy lock              # re-resolve, keeping the current pins where still allowed
    python -m deploy lock --upgrade    # re-resolve to the newest allowed versions
    python -m deploy lock --check      # offline: the lock agrees with pyproject.toml and the bundles
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from deploy.runtime import PLATFORM, PYPROJECT, ROOT, python_version

LOCK_FILE = ROOT / "deploy" / "requirements.lock"
COMMAND = "python -m deploy lock"
PROJECT_ROOT = "novavms-events (pyproject.toml)"  # how uv names the lock's root in ``# via``
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)\s*$")
_VIA = re.compile(r"^\s+#\s+(?:via\s+)?(\S.*?)\s*$")
_TARGET = re.compile(r"^# target: python (\d+)\.(\d+) on (\S+)$", re.M)


class LockError(RuntimeError):
    """The lock is missing, unreadable or disagrees with the project."""


def normalize(name: str) -> str:
    """A distribution's canonical name (PEP 503): ``PyJWT`` and ``pyjwt`` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Lock:
    """Pinned versions and, for each distribution, who requires it (``PROJECT_ROOT`` for the project)."""

    versions: dict[str, str]
    required_by: dict[str, frozenset[str]]
    target: tuple[int, int, str] | None

    def requires(self, name: str) -> set[str]:
        """The distributions ``name`` requires directly (as resolved, extras included)."""
        return {child for child, parents in self.required_by.items() if name in parents}

    def closure(self, names: set[str]) -> set[str]:
        """``names`` and everything they require, transitively; LockError for a name not locked."""
        missing = sorted(normalize(name) for name in names if normalize(name) not in self.versions)
        if missing:
            raise LockError(f"not in {LOCK_FILE.name}: {', '.join(missing)}: run {COMMAND}")
        found: set[str] = set()
        todo = [normalize(name) for name in names]
        while todo:
            name = todo.pop()
            if name not in found:
                found.add(name)
                todo.extend(self.requires(name) - found)
        return found

    def pins(self, names: set[str]) -> list[str]:
        """``name==version`` of each of ``names``, sorted."""
        return [f"{name}=={self.versions[name]}" for name in sorted(names)]


def parse_lock(text: str) -> Lock:
    """Read uv's ``requirements.txt`` output with its (split-style) ``# via`` annotations."""
    versions: dict[str, str] = {}
    required_by: dict[str, set[str]] = {}
    current: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or (line.startswith("#") and current is None):
            continue
        pin = _PIN.match(line)
        if pin:
            current = normalize(pin.group(1))
            if current in versions:
                raise LockError(f"line {number}: {current} is locked twice")
            versions[current] = pin.group(3)
            required_by[current] = set()
            continue
        via = _VIA.match(line)
        if via and current is not None:
            if via.group(1) != "via":  # the "# via" line of a multi-line list names nobody
                parent = via.group(1)
                required_by[current].add(parent if parent == PROJECT_ROOT else normalize(parent))
            continue
        raise LockError(f"line {number}: not a pin 'name==version' or its '# via' note: {line!r}")
    target = _TARGET.search(text)
    return Lock(
        versions,
        {name: frozenset(parents) for name, parents in required_by.items()},
        (int(target.group(1)), int(target.group(2)), target.group(3)) if target else None,
    )


def read_lock(path: Path = LOCK_FILE) -> Lock:
    if not path.exists():
        raise LockError(f"{path} is missing: run {COMMAND}")
    return parse_lock(path.read_text())


def project_pins(pyproject: Path = PYPROJECT) -> dict[str, str]:
    """Each ``[project]`` dependency of pyproject.toml -> its pinned version ('' when not ``==``)."""
    pins: dict[str, str] = {}
    for line in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(==\s*([^\s;,]+))?", line)
        if not match:
            raise LockError(f"pyproject.toml dependency {line!r} is not understood")
        pins[normalize(match.group(1))] = match.group(4) or ""
    return pins


def problems(lock: Lock, pyproject: Path = PYPROJECT) -> list[str]:
    """What makes ``lock`` disagree with pyproject.toml (empty when it agrees); offline."""
    found: list[str] = []
    version = python_version(pyproject)
    if lock.target != (*version, PLATFORM):
        found.append(f"the lock targets {lock.target}, not python {version[0]}.{version[1]} on {PLATFORM}")
    pins = project_pins(pyproject)
    for name, pinned in sorted(pins.items()):
        if not pinned:
            found.append(f"pyproject.toml dependency {name} is not pinned with '=='")
        elif lock.versions.get(name) != pinned:
            found.append(f"pyproject.toml pins {name}=={pinned}, the lock {lock.versions.get(name)}")
        elif PROJECT_ROOT not in lock.required_by[name]:
            found.append(f"the lock does not record {name} as a dependency of pyproject.toml")
    roots = {name for name, parents in lock.required_by.items() if PROJECT_ROOT in parents}
    if roots != set(pins):
        found.append(
            f"the lock's direct dependencies {sorted(roots)} are not pyproject.toml's {sorted(pins)}"
        )
    for name, parents in sorted(lock.required_by.items()):
        if not parents:
            found.append(f"the lock does not say what requires {name}")
        for parent in sorted(parents - {PROJECT_ROOT}):
            if parent not in lock.versions:
                found.append(f"{name} is required by {parent}, which is not locked")
    if roots and lock.closure(roots & set(lock.versions)) != set(lock.versions):
        found.append("the lock holds distributions nothing in pyproject.toml requires")
    return found


def _uv() -> str:
    """uv of the running venv (the dev extras install it), else the one on PATH."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else "uv"


def compile_command(output: Path = LOCK_FILE, upgrade: bool = False) -> list[str]:
    """The ``uv pip compile`` that (re)writes the lock."""
    major, minor = python_version()
    command = [
        _uv(), "pip", "compile", "pyproject.toml",
        f"--python-version={major}.{minor}", f"--python-platform={PLATFORM}",
        "--annotation-style=split", f"--custom-compile-command={COMMAND}",
        f"--output-file={output}", "--quiet",
    ]  # fmt: skip
    return [*command, "--upgrade"] if upgrade else command


def write_lock(output: Path = LOCK_FILE, upgrade: bool = False) -> Lock:
    """Re-resolve (needs the package index) and write the lock, its target noted in the header."""
    subprocess.run(compile_command(output, upgrade), cwd=ROOT, check=True)
    major, minor = python_version()
    lines = output.read_text().splitlines()
    lines = [line for line in lines if not _TARGET.match(line)]
    header = next((n for n, line in enumerate(lines) if not line.startswith("#")), len(lines))
    lines.insert(header, f"# target: python {major}.{minor} on {PLATFORM}")
    output.write_text("\n".join(lines) + "\n")
    lock = read_lock(output)
    found = problems(lock)
    if found:
        raise LockError("; ".join(found))
    return lock
