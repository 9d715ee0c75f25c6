"""``novavms-events dev`` as a child process of a test: started in its own process group, its
output read line by line, stopped by a signal, and every process it started accounted for."""

from __future__ import annotations

import contextlib
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.processes import kill_group, spawn, stop_group

ROOT = Path(__file__).resolve().parents[2]
CLI = str(ROOT / ".venv" / "bin" / "novavms-events")
# Bounds that only end a hang (a test waits for the processes, and reports how long they took): a
# loaded 2-core machine can take tens of seconds to start or stop the emulators.
START_BOUND_SECONDS = 300
STOP_BOUND_SECONDS = 120


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def descendants(root: int) -> set[int]:
    """Every live process below ``root``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent_of(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


class DevStack:
    """``novavms-events dev`` as a subprocess, its stdout read line by line in a thread."""

    READY = "Ctrl-C stops"

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.children: set[int] = set()
        with log.open("wb") as errors:
            self.process = spawn(
                [CLI, "dev", "--port", str(port)],
                stdout=subprocess.PIPE,
                stderr=errors,
                env={**env, "PYTHONUNBUFFERED": "1"},
                cwd=ROOT,
            )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.decode(errors="replace").rstrip("\r\n"))
        self.lines.put(None)

    def wait_ready(self, timeout: float = START_BOUND_SECONDS) -> dict[str, str]:
        """Read until the ready line; returns what it printed (url, hosts, tokens). How long it took
        is printed; ``timeout`` only ends a hang."""
        started = time.monotonic()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                pytest.fail(f"dev not ready within {timeout}s; output so far: {self.output}; {self.errors()}")
            if line is None:
                pytest.fail(f"dev exited with {self.process.wait()}: {self.output}; {self.errors()}")
            self.output.append(line)
            if line.startswith(self.READY):
                break
        print(f"\ndev was ready after {time.monotonic() - started:.1f}s")
        self.children = descendants(self.process.pid)
        text = "\n".join(self.output)
        printed: dict[str, str] = {}
        if found := re.search(r"serving at (http://\S+)", text):
            printed["url"] = found.group(1)
            self.port = int(found.group(1).rsplit(":", 1)[1])  # chosen by dev itself for --port 0
        if found := re.search(r"Firestore emulator (\S+), storage emulator (\S+)", text):
            printed["firestore"], printed["storage"] = found.group(1), found.group(2)
        if found := re.search(r"Pub/Sub emulator (\S+):", text):
            printed["pubsub"] = found.group(1)
        for role, value in re.findall(r"^(viewer|operator|admin)\s+token: (\S+)$", text, re.MULTILINE):
            printed[role] = value
        return printed

    def errors(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop_with(self, signum: signal.Signals, timeout: float = STOP_BOUND_SECONDS) -> int:
        """Send ``signum`` (SIGINT is Ctrl-C) to the dev process and wait for it to exit; its exit code.
        How long it took is printed, never asserted: ``timeout`` only ends a hang (a loaded machine
        may take many seconds to stop the emulators)."""
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"dev did not exit within {timeout}s of {signum.name}; {self.errors()}")
        print(f"\ndev exited {time.monotonic() - started:.1f}s after {signum.name}")
        return code

    def kill(self) -> None:
        """Whatever happened: end the dev process and every process it started."""
        stop_group(self.process, signal.SIGKILL)
        for pid in self.children:  # the emulators dev started run in their own process groups
            if alive(pid):
                kill_group(pid)


@contextlib.contextmanager
def dev_stack(env: dict[str, str], log: Path) -> Iterator[DevStack]:
    stack = DevStack(env, 0, log)  # dev binds a free port itself: no window for another to take it
    try:
        yield stack
    finally:
        stack.kill()
