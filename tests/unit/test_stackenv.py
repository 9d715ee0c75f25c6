"""How the commands find a running local stack (devstack/stackenv.py): the state file of
``NOVAVMS_DEVSTACK_DIR`` or ``.devstack/``, else the one stack registered by its port, or the one
serving ``--stack-port``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack import stackenv


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout of its own: its default state file and its registry under ``tmp_path``."""
    monkeypatch.setattr(stackenv, "STATE_FILE", tmp_path / "default" / "state.json")
    monkeypatch.setattr(stackenv, "STACKS_DIR", tmp_path / "default" / "stacks")
    monkeypatch.delenv("NOVAVMS_DEVSTACK_DIR", raising=False)
    return tmp_path


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def start(root: Path, name: str, port: int, pid: int | None = None) -> Path:
    """A stack's state file under ``root/name`` and its registration, as ``write_state`` leaves them."""
    state = root / name / "state.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"pid": pid or os.getpid(), "port": port, "env": {"STACK": name}}))
    stackenv.STACKS_DIR.mkdir(parents=True, exist_ok=True)
    (stackenv.STACKS_DIR / f"{port}.json").write_text(json.dumps({"state": str(state)}))
    return state


def test_no_stack_is_none(dirs: Path) -> None:
    assert stackenv.running_stack() is None and stackenv.live_stacks() == []


def test_the_only_stack_started_elsewhere_is_found_without_its_directory(dirs: Path) -> None:
    start(dirs, "elsewhere", 9000)
    found = stackenv.running_stack()
    assert found is not None and found["port"] == 9000 and found["env"] == {"STACK": "elsewhere"}


def test_the_default_directorys_stack_comes_first(dirs: Path) -> None:
    start(dirs, "elsewhere", 9000)
    start(dirs, "default", 8080)
    assert stackenv.running_stack()["port"] == 8080  # type: ignore[index]


def test_several_stacks_elsewhere_need_a_port(dirs: Path) -> None:
    start(dirs, "one", 9000)
    start(dirs, "two", 9001)
    assert stackenv.running_stack() is None
    assert [state["port"] for state in stackenv.live_stacks()] == [9000, 9001]
    assert stackenv.running_stack(9001)["env"] == {"STACK": "two"}  # type: ignore[index]
    assert stackenv.running_stack(9002) is None


def test_a_named_directory_is_the_only_one_looked_at(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start(dirs, "elsewhere", 9000)
    monkeypatch.setenv("NOVAVMS_DEVSTACK_DIR", str(dirs / "empty"))
    monkeypatch.setattr(stackenv, "STATE_FILE", dirs / "empty" / "state.json")
    assert stackenv.running_stack() is None
    assert stackenv.running_stack(9000) is not None  # a port still finds it


def test_a_stopped_stack_or_a_stale_registration_is_ignored(dirs: Path) -> None:
    start(dirs, "crashed", 9000, pid=_dead_pid())
    stale = start(dirs, "moved", 9001)
    stale.write_text(json.dumps({"pid": os.getpid(), "port": 9002, "env": {}}))  # the entry's port is old
    (stackenv.STACKS_DIR / "9003.json").write_text("not json")
    assert stackenv.live_stacks() == [] and stackenv.running_stack() is None


def test_write_and_clear_state_register_and_unregister(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stackenv, "STATE_DIR", dirs / "mine")
    monkeypatch.setattr(stackenv, "STATE_FILE", dirs / "mine" / "state.json")
    stackenv.write_state({"FIRESTORE_EMULATOR_HOST": "127.0.0.1:1"}, 9100)
    assert [state["port"] for state in stackenv.live_stacks()] == [9100]
    assert stackenv.own_stack() is not None
    stackenv.clear_state()
    assert stackenv.live_stacks() == [] and stackenv.own_stack() is None
    assert not (stackenv.STACKS_DIR / "9100.json").exists()
