"""Child processes in their own process group, stopped as a group: the one way the local stack, the
tests and the benchmarks start servers and emulators and end them.

A child started with :func:`spawn` leads a new session, so its process group id is its pid and
everything it starts (gunicorn workers, the JVM behind ``gcloud``) is in that group unless it makes a
group of its own. :func:`stop_groups` signals each group (``SIGTERM`` unless told otherwise), waits,
and sends ``SIGKILL`` to a group that outlives the wait. Processes are only ever addressed by their
own pid and process group, never looked up by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

Output = int | IO[Any] | None
STOP_TIMEOUT_SECONDS = 10.0


def spawn(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    stdout: Output = subprocess.DEVNULL,
    stderr: Output = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """Start ``command`` as the leader of a new process group, with no standard input."""
    return subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        env=None if env is None else dict(env),
        cwd=cwd,
        start_new_session=True,
    )


def signal_group(process: subprocess.Popen[Any], signum: int) -> None:
    """Send ``signum`` to the group ``process`` leads, while it runs (not after it was reaped, when its
    pid may name another process)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)


def kill_group(pgid: int) -> None:
    """``SIGKILL`` to the process group ``pgid`` (a child's pid, when it leads its own group), if it is
    still there."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def stop_groups(
    processes: Iterable[subprocess.Popen[Any]],
    signum: int = signal.SIGTERM,
    timeout: float = STOP_TIMEOUT_SECONDS,
) -> None:
    """Signal every group first (so they stop together), then wait for each leader up to ``timeout``
    seconds and ``SIGKILL`` the group of any that has not exited."""
    processes = list(processes)
    for process in processes:
        signal_group(process, signum)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process.pid)
            process.wait()


def stop_group(
    process: subprocess.Popen[Any], signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_SECONDS
) -> None:
    """Stop one child and its group (see :func:`stop_groups`)."""
    stop_groups([process], signum, timeout)


@contextlib.contextmanager
def stopping(
    process: subprocess.Popen[bytes], signum: int = signal.SIGTERM
) -> Iterator[subprocess.Popen[bytes]]:
    """``with stopping(spawn(...)) as process:``: the group is stopped with ``signum`` (see
    :func:`stop_groups`) however the block ends."""
    try:
        yield process
    finally:
        stop_group(process, signum)
