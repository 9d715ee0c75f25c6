"""Contention benchmark: how many concurrent writers of ONE event the service answers, each within a
second, when served by one or by several real instances of ``update_event``.

    python -m bench.contention [--writers 5 10 20 40] [--instances 1 2] [--rounds 2] [--json out.json]

Starts its own Firestore emulator and fake-gcs-server (or uses FIRESTORE_EMULATOR_HOST /
STORAGE_EMULATOR_HOST), under the bench settings and a fresh project id; seeds one org with one event
(``mixed_event_line`` with media objects, so answers sign URLs, written by
``EventStore.upsert_pipeline``). For each ``--instances`` count K, K separate
``functions-framework --target update_event --source functions/update_event.py --host 127.0.0.1
--port P`` processes are started (each leads its own process group, has the bench settings in its
environment and is stopped with SIGINT to its group afterwards), each warmed up by one untimed PATCH.
Then for each ``--writers`` count N, ``--rounds`` times: N client threads (one ``requests.Session``
each, spread round-robin over the K instances) wait on a ``threading.Barrier`` and each sends one
``PATCH /api/v1/events/{id}`` with ``{"notes": <unique value>}`` to the same event at the same moment;
each answer's status, ``Retry-After``, 503 message and latency (from the barrier's release to the body
read) are recorded.

After each round, the writes are checked against the store: the event's history
(``orgs/{org}/events/{id}/history``) must have gained exactly one entry per PATCH answered 200, each
changing the notes to that PATCH's value, and none for a refusal (a 503 for contention, whose
retries' time was spent, or any other answer); every 200 answer must carry its own value; the stored
notes must equal the value of the last committed entry (unchanged when the round wrote none). A 503
for a spent store budget (or no answer) is an uncertain outcome: by the contract a transaction try
left running then commits whole or not at all, so one entry or none is consistent (counted and
reported as "503 written"; the check then waits until the history is still, at most 15 s).

Reports per (instances, writers), over the rounds: the count of 200, of 503 with ``Retry-After`` and
of anything else, p50/p99/max latency, and whether all writers of every round were answered 200
within a second each; then, per instance count, the largest N for which they were (and any smaller N
that missed). A markdown table on stdout, and JSON (every answer included) with ``--json``.

Exit 1 on any 5xx other than 503 (or a 503 without ``Retry-After``), any other unexpected answer or
transport error, a lost write (a 200 without its history entry), a refused write committed, a value
written twice, a stored value not the last committed, or a service log line of an error other than a
503 answer. Bounded: fixed rounds, a 30 s client timeout per request, a 30 s barrier, 60 s for an
instance to answer. Clients, instances and the emulator share this machine's cores, and the Firestore
emulator resolves transactions of different clients that conflict on one document only after about
2 s (its lock wait; production Firestore is not the emulator): the numbers compare runs on one
machine, not production capacity.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.common import BENCH_ENV, bench_stack, dev_token, write_json
from bench.load import markdown_table, percentile
from devstack.emulators import free_port
from devstack.factories import mixed_event_line
from devstack.harness import whole_history
from devstack.processes import spawn, stop_groups

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "functions" / "update_event.py"
TARGET = "update_event"
WITHIN_SECONDS = 1.0  # the goal: every writer answered 200 within this
REQUEST_TIMEOUT = 30.0  # per request, client side (the service's store budget is 10 s)
BARRIER_TIMEOUT = 30.0
READY_TIMEOUT = 60.0  # for a started instance to answer at all
POLL_SECONDS = 0.05
SETTLE_SECONDS = 0.5  # idle time before each round
QUIET_SECONDS = 3.0  # after a round with uncertain outcomes: the history still this long ...
SETTLE_MAX_SECONDS = 15.0  # ... or this long at most
MAX_WRITERS = 200
MAX_INSTANCES = 4
MAX_ROUNDS = 5
MAX_FAILURES_KEPT = 50


@dataclass
class Answer:
    """One writer's PATCH: the value it sent and what it was told."""

    writer: int
    instance: int
    notes: str
    status: int | None = None  # None: no HTTP answer
    retry_after: str | None = None
    answered_notes: Any = None
    message: str | None = None  # a 503's message
    latency: float = math.nan
    error: str | None = None

    @property
    def uncertain(self) -> bool:
        """Whether the write may or may not have happened: no answer, or a 503 for a spent store
        budget (a transaction try left running then commits whole or not at all, by the contract).
        A 503 for contention (the retries' time spent) or any other refusal wrote nothing."""
        return self.status is None or (self.status == 503 and self.message == spent_message())

    def row(self) -> dict[str, Any]:
        return {
            "writer": self.writer,
            "instance": self.instance,
            "status": self.status,
            "retry_after": self.retry_after,
            "message": self.message,
            "latency_ms": self.latency * 1000,
            "error": self.error,
        }


def spent_message() -> str:
    """The message of the 503 the service answers when a request's store budget is spent."""
    from shared.store.budget import spent

    return spent().message


def seed(org_id: str) -> str:
    """One event written by the store's pipeline upsert, with snapshot and clip objects; its id."""
    from shared.model.scope import Scope
    from shared.pipeline import parse_pipeline_event
    from shared.store.events import EventStore

    line = mixed_event_line(0)
    line["snapshot_object"] = f"{org_id}/{line['id']}/snapshot.jpg"
    line["clip_object"] = f"{org_id}/{line['id']}/clip.mp4"
    EventStore(Scope(org_id)).upsert_pipeline([parse_pipeline_event(line)])
    return str(line["id"])


def _tail(log: Path, size: int = 3000) -> str:
    return log.read_bytes()[-size:].decode(errors="replace") if log.exists() else ""


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the instance gives any HTTP answer (a GET of the API root: no store access)."""
    deadline = time.monotonic() + READY_TIMEOUT
    with requests.Session() as session:
        session.trust_env = False  # never a proxy: 127.0.0.1 only
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"functions-framework exited {process.returncode}:\n{_tail(log)}")
            try:
                session.get(base + "/", timeout=5)
                return
            except requests.ConnectionError:
                time.sleep(POLL_SECONDS)
    raise RuntimeError(f"{base}: no answer within {READY_TIMEOUT:.0f}s:\n{_tail(log)}")


@contextmanager
def instances(count: int, workdir: Path) -> Iterator[list[tuple[str, Path]]]:
    """``count`` functions-framework processes serving update_event on free ports of 127.0.0.1, each
    leading its own process group (stopped with SIGINT, by group, however the block ends); yields
    (base URL, log file) of each."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # the bench stack's settings, set by bench_stack
    executable = str(Path(sys.executable).with_name("functions-framework"))
    processes: list[subprocess.Popen[bytes]] = []
    started: list[tuple[str, Path]] = []
    try:
        for index in range(count):
            port = free_port()
            log = workdir / f"instances-{count}-{index}.log"
            command = [
                executable, "--target", TARGET, "--source", str(SOURCE),
                "--host", "127.0.0.1", "--port", str(port),
            ]  # fmt: skip
            with open(log, "ab") as output:
                processes.append(spawn(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT))
            started.append((f"http://127.0.0.1:{port}", log))
        for (base, log), process in zip(started, processes, strict=True):
            wait_ready(base, process, log)
        yield started
    finally:
        # functions-framework and its worker stop with SIGINT (gunicorn's quick shutdown).
        stop_groups(processes, signal.SIGINT)


def patch(session: requests.Session, base: str, event_id: str, token: str, notes: str) -> requests.Response:
    return session.patch(
        f"{base}/api/v1/events/{event_id}",
        json={"notes": notes},
        headers={"Authorization": f"Bearer {token}"},
        timeout=REQUEST_TIMEOUT,
    )


def warm_up(bases: Sequence[str], event_id: str, token: str) -> None:
    """One untimed PATCH per instance (first-use costs: the store client, the signing key)."""
    with requests.Session() as session:
        session.trust_env = False
        for index, base in enumerate(bases):
            answer = patch(session, base, event_id, token, f"warm-up-{index}-{uuid.uuid4().hex[:8]}")
            if answer.status_code != 200:
                raise RuntimeError(f"warm-up PATCH on {base}: {answer.status_code} {answer.text[:500]}")


def run_round(
    bases: Sequence[str], event_id: str, tokens: Sequence[str], label: str
) -> tuple[list[Answer], list[str]]:
    """N writers (N = len(tokens)), round-robin over ``bases``, each one PATCH at the same moment.
    Returns their answers and the names of writers that did not finish in time."""
    barrier = threading.Barrier(len(tokens))
    answers = [Answer(i, i % len(bases), f"{label}-w{i}-{uuid.uuid4().hex[:8]}") for i in range(len(tokens))]

    def write(answer: Answer) -> None:
        with requests.Session() as session:
            session.trust_env = False  # never a proxy: 127.0.0.1 only
            try:
                barrier.wait(timeout=BARRIER_TIMEOUT)
            except threading.BrokenBarrierError:
                answer.error = "the barrier broke"
                return
            started = time.perf_counter()
            try:
                response = patch(
                    session, bases[answer.instance], event_id, tokens[answer.writer], answer.notes
                )
            except requests.RequestException as exc:
                answer.error = f"no answer: {exc!r}"
                return
            answer.latency = time.perf_counter() - started  # the body is read: not streamed
            answer.status = response.status_code
            answer.retry_after = response.headers.get("Retry-After")
            if response.status_code == 200:
                try:
                    answer.answered_notes = response.json().get("notes")
                except ValueError:
                    answer.error = f"200 without a JSON body: {response.text[:200]!r}"
            elif response.status_code == 503:
                try:
                    answer.message = str(response.json().get("message"))
                except ValueError:
                    answer.error = f"503 without a JSON body: {response.text[:200]!r}"
            else:
                answer.error = f"{response.status_code} {response.text[:300]}"

    threads = [
        threading.Thread(target=write, args=(answer,), name=f"bench-writer-{answer.writer}", daemon=True)
        for answer in answers
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + BARRIER_TIMEOUT + REQUEST_TIMEOUT + 5
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return answers, [thread.name for thread in threads if thread.is_alive()]


def notes_of(entry: dict[str, Any]) -> Any:
    """The notes a history entry wrote (None when it did not change the notes)."""
    change = entry.get("changes", {}).get("notes")
    return change.get("new") if isinstance(change, dict) else None


class Ledger:
    """What the event's history is known to hold: every value already accounted for (the seed's, the
    warm-ups', earlier rounds'), and the values of PATCHes with an uncertain outcome not (yet) found
    written, which may still commit late."""

    def __init__(self, org_id: str, event_id: str) -> None:
        self.org_id = org_id
        self.event_id = event_id
        self.accounted: set[Any] = set()
        self.pending: set[str] = set()

    def read(self) -> tuple[list[Any], Any]:
        """The notes each history entry wrote, oldest first, and the stored notes."""
        from shared.model.scope import Scope
        from shared.store.events import EventStore

        store = EventStore(Scope(self.org_id))
        event = store.get(self.event_id)
        if event is None:
            raise RuntimeError(f"the event {self.event_id} is gone")
        return [notes_of(entry) for entry in whole_history(store, self.event_id)], event.data.get("notes")

    def reset(self) -> None:
        """Account for everything written so far (the seed, the warm-ups)."""
        self.accounted = set(self.read()[0])

    def settle(self, answers: Sequence[Answer]) -> None:
        """After a round with uncertain outcomes, until the history is still for QUIET_SECONDS (at most
        SETTLE_MAX_SECONDS): a transaction try left running when its request's budget was spent may
        still commit."""
        if not any(answer.uncertain for answer in answers):
            return
        deadline = time.monotonic() + SETTLE_MAX_SECONDS
        size, still_since = len(self.read()[0]), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - still_since < QUIET_SECONDS:
            time.sleep(POLL_SECONDS * 10)
            now = len(self.read()[0])
            if now != size:
                size, still_since = now, time.monotonic()

    def verify(self, label: str, answers: Sequence[Answer]) -> tuple[dict[str, Any], list[str]]:
        """The round's writes against the store: one history entry per 200 (its value); none for a
        refusal; one or none for an uncertain outcome (see :attr:`Answer.uncertain`); the stored notes
        the value of the last history entry."""
        self.settle(answers)
        values, stored = self.read()
        new = [value for value in values if value not in self.accounted]
        acked = [answer.notes for answer in answers if answer.status == 200]
        uncertain = {answer.notes for answer in answers if answer.uncertain}
        refused = {answer.notes for answer in answers if answer.status != 200 and not answer.uncertain}
        written = [value for value in new if isinstance(value, str) and value.startswith(label + "-")]
        late = [value for value in new if value in self.pending]
        foreign = [value for value in new if value not in written and value not in self.pending]
        problems: list[str] = []
        if foreign:
            problems.append(f"{len(foreign)} history entries of no PATCH of the run: {foreign[:3]!r}")
        lost = sorted(set(acked) - set(written))
        if lost:
            problems.append(f"{len(lost)} PATCHes answered 200 have no history entry (lost): {lost[:3]}")
        duplicated = sorted({value for value in values if values.count(value) > 1})
        if duplicated:
            problems.append(f"{len(duplicated)} values written more than once: {duplicated[:3]}")
        refused_written = [value for value in written if value in refused]
        if refused_written:
            problems.append(
                f"{len(refused_written)} PATCHes refused (503 for contention or another answer) were "
                f"committed: {refused_written[:3]}"
            )
        wrong = [a.notes for a in answers if a.status == 200 and a.answered_notes != a.notes]
        if wrong:
            problems.append(f"{len(wrong)} 200 answers did not carry their own notes: {wrong[:3]}")
        last = values[-1] if values else None
        if stored != last:
            problems.append(f"stored notes {stored!r}, but the last committed value is {last!r}")
        self.accounted.update(new)
        self.pending = (self.pending - set(late)) | (uncertain - set(written))
        counts = {
            "history_added": len(written),
            "acknowledged": len(acked),
            "uncertain_written": sum(1 for value in written if value in uncertain),
            "uncertain_not_written": len(uncertain - set(written)),
            "late_commits_of_earlier_rounds": len(late),
            "stored_is_acknowledged": stored in acked,
        }
        return {**counts, "stored_notes": stored}, problems


def service_errors(logs: Sequence[Path]) -> list[str]:
    """Instance log lines of an error other than a 503 answer (which the service logs at ERROR):
    JSON lines of severity ERROR/CRITICAL, and any traceback outside them."""
    found = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                if "Traceback" in line or line.startswith(("ERROR", "CRITICAL", "[ERROR]", "[CRITICAL]")):
                    found.append(f"{log.name}: {line[:500]}")
                continue
            if not isinstance(entry, dict) or entry.get("severity") not in ("ERROR", "CRITICAL"):
                continue
            status = entry.get("httpRequest", {}).get("status")
            if status != 503 or "stack_trace" in entry:
                found.append(f"{log.name}: {line[:500]}")
    return found


def summary(
    instances: int, writers: int, answers: Sequence[Answer], checks: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    latencies = [answer.latency for answer in answers if answer.status is not None]
    ok = sum(1 for answer in answers if answer.status == 200)
    busy = sum(1 for answer in answers if answer.status == 503 and answer.retry_after)
    spent_503 = sum(1 for answer in answers if answer.status == 503 and answer.uncertain)
    within = [answer.status == 200 and answer.latency < WITHIN_SECONDS for answer in answers]
    return {
        "instances": instances,
        "writers": writers,
        "rounds": len(checks),
        "requests": len(answers),
        "ok_200": ok,
        "unavailable_503": busy,
        "unavailable_503_budget_spent": spent_503,
        "unavailable_503_written": sum(check["uncertain_written"] for check in checks),
        "other": len(answers) - ok - busy,
        "statuses": {
            str(status): sum(1 for answer in answers if answer.status == status)
            for status in sorted({answer.status for answer in answers if answer.status is not None})
        },
        "transport_errors": sum(1 for answer in answers if answer.status is None),
        "retry_after": sorted({answer.retry_after for answer in answers if answer.retry_after}),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else math.nan,
        "all_200_within_1s": all(within),
        "history_added": sum(check["history_added"] for check in checks),
        "history_checks": list(checks),
        "answers": [answer.row() for answer in answers],
    }


def threads_per_instance() -> int:
    """gunicorn threads functions-framework gives its one worker (its THREADS, else 4 per CPU)."""
    return int(os.environ.get("THREADS", (os.cpu_count() or 1) * 4))


def machine_note() -> str:
    return (
        f"{os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; each instance a functions-framework process (1 gunicorn "
        f"worker, {threads_per_instance()} threads); clients, instances and the emulator share the same "
        "cores; loopback only"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.contention", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--writers", type=int, nargs="+", default=[5, 10, 20, 40], help="concurrent writers per round"
    )
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2], help="update_event instances")
    parser.add_argument(
        "--rounds", type=int, default=2, help=f"rounds per (instances, writers), 1-{MAX_ROUNDS}"
    )
    parser.add_argument("--heap", default="-Xmx512m", help="JAVA_TOOL_OPTIONS of the Firestore emulator")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if not all(1 <= n <= MAX_WRITERS for n in args.writers):
        parser.error(f"--writers: each 1 to {MAX_WRITERS}")
    if not all(1 <= k <= MAX_INSTANCES for k in args.instances):
        parser.error(f"--instances: each 1 to {MAX_INSTANCES}")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        parser.error(f"--rounds: 1 to {MAX_ROUNDS}")
    writer_counts = sorted(set(args.writers))
    instance_counts = sorted(set(args.instances))

    began = time.perf_counter()
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    with bench_stack(heap=args.heap) as stack:
        print(
            f"emulators: firestore {stack.emulators.firestore_host}, storage {stack.emulators.storage_host}"
        )
        org_id = f"bench-contention-{uuid.uuid4().hex[:6]}"
        event_id = seed(org_id)
        tokens = [dev_token(org_id, "operator", sub=f"bench-writer-{i}") for i in range(max(writer_counts))]
        print(f"seeded org {org_id}, event {event_id}")
        ledger = Ledger(org_id, event_id)
        logs: list[Path] = []
        for count in instance_counts:
            with instances(count, stack.workdir) as serving:
                bases = [base for base, _ in serving]
                logs += [log for _, log in serving]
                print(f"{count} instance(s) of {TARGET}: {', '.join(bases)}")
                warm_up(bases, event_id, tokens[0])
                ledger.reset()
                for writers in writer_counts:
                    answers: list[Answer] = []
                    checks: list[dict[str, Any]] = []
                    for round_index in range(args.rounds):
                        time.sleep(SETTLE_SECONDS)
                        label = f"k{count}-n{writers}-r{round_index}-{uuid.uuid4().hex[:6]}"
                        got, hung = run_round(bases, event_id, tokens[:writers], label)
                        check, problems = ledger.verify(label, got)
                        answers += got
                        checks.append({**check, "label": label, "problems": problems})
                        where = f"{count} instance(s), {writers} writers, round {round_index + 1}"
                        failures += [f"{where}: lost or mismatched write: {p}" for p in problems]
                        if hung:
                            failures.append(f"{where}: writers still running: {', '.join(hung)}")
                        failures += [
                            f"{where}: writer {a.writer} (instance {a.instance}): {a.error}"
                            for a in got
                            if a.error is not None
                        ]
                        failures += [
                            f"{where}: writer {a.writer}: 503 without Retry-After"
                            for a in got
                            if a.status == 503 and not a.retry_after
                        ]
                    entry = summary(count, writers, answers, checks)
                    results.append(entry)
                    print(
                        f"  {writers:>3} writers: 200 {entry['ok_200']}, 503 {entry['unavailable_503']}, "
                        f"other {entry['other']}, max {entry['max_ms']:.0f} ms"
                    )
        errors = service_errors(logs)
    failures += [f"service log: {line}" for line in errors[:10]]

    largest: dict[str, int | None] = {}
    missed: dict[str, list[int]] = {}  # per instance count, the N below its largest that missed
    for count in instance_counts:
        cells = [r for r in results if r["instances"] == count]
        passing = [r["writers"] for r in cells if r["all_200_within_1s"]]
        largest[str(count)] = max(passing) if passing else None
        missed[str(count)] = [
            r["writers"]
            for r in cells
            if not r["all_200_within_1s"] and r["writers"] < max(passing, default=0)
        ]
    headers = [
        "instances", "writers", "200", "503 (Retry-After)", "503 spent/written", "other", "p50 ms",
        "p99 ms", "max ms", "all 200 < 1 s", "history +",
    ]  # fmt: skip
    rows = [
        [
            *(r[key] for key in ("instances", "writers", "ok_200", "unavailable_503")),
            f"{r['unavailable_503_budget_spent']}/{r['unavailable_503_written']}",
            *(r[key] for key in ("other", "p50_ms", "p99_ms", "max_ms")),
            "yes" if r["all_200_within_1s"] else "no",
            r["history_added"],
        ]
        for r in results
    ]
    total = time.perf_counter() - began
    print()
    print(markdown_table(headers, rows))
    print()
    print(
        "503 spent/written: of the 503s, those for a spent store budget (a try left running may still "
        "commit, by the contract) / those found committed; history +: entries the rounds added"
    )
    for count in instance_counts:
        n = largest[str(count)]
        note = f" (yet N={', '.join(map(str, missed[str(count)]))} missed)" if missed[str(count)] else ""
        print(
            f"{count} instance(s): largest N with every writer 200 within {WITHIN_SECONDS:.0f} s: "
            f"{n if n is not None else f'none of {writer_counts}'}{note}"
        )
    print(f"rounds per cell: {args.rounds}; machine: {machine_note()}")
    print(f"total run {total:.1f}s (env {sorted(BENCH_ENV)} as in tests)")
    write_json(
        args.json,
        {
            "benchmark": "contention",
            "writers": writer_counts,
            "instances": instance_counts,
            "rounds": args.rounds,
            "within_seconds": WITHIN_SECONDS,
            "results": results,
            "largest_writers_within_1s": largest,
            "smaller_writers_missed": missed,
            "threads_per_instance": threads_per_instance(),
            "machine": machine_note(),
            "failures": failures,
            "total_seconds": total,
        },
    )
    for failure in failures[:MAX_FAILURES_KEPT]:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
