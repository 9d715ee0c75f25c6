"""What the benchmarks share: the emulator stack with a test-like environment, event data in the
stored shape, bulk loading, dev tokens and table printing."""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.factories import mixed_event_line
from devstack.harness import Stack, isolated_stack, service_settings
from devstack.tokens import stack_token

BENCH_ENV = service_settings("bench")  # the same kind of settings the tests use, under bench names
ROOT = Path(__file__).resolve().parent.parent
COMMITTED_RESULTS = ROOT / "bench" / "results.json"
# What the benchmarks write (figures, plot, table): changes there leave the measured code clean.
OUTPUTS = ("bench/results.json", "bench/latency.png", "README.md", "docs/benchmarks.md")


@contextmanager
def bench_stack(heap: str = "-Xmx512m", extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """Start the emulators (or use those the environment names), point this process at them with a
    fresh project id, create the buckets; restore the environment and stop them afterwards."""
    with (
        tempfile.TemporaryDirectory(prefix="novavms-bench-") as tmp,
        isolated_stack("bench", Path(tmp), heap=heap, extra_env=extra_env) as stack,
    ):
        yield stack


def stored_shape(line: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(id, document) of a loader line in exactly the shape ``EventStore.upsert_pipeline`` stores for
    a new event (its search terms included)."""
    from shared.model.search import with_terms
    from shared.pipeline import parse_pipeline_event

    event_id, pipeline, operator = parse_pipeline_event(line)
    return event_id, with_terms(None, {**pipeline, **operator})


def stored_documents(count: int, start: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, document) in exactly the shape ``EventStore.upsert_pipeline`` stores for a new event."""
    for n in range(start, start + count):
        yield stored_shape(mixed_event_line(n))


def bulk_load(
    org_id: str,
    count: int,
    threads: int = 4,
    documents: Iterator[tuple[str, dict[str, Any]]] | None = None,
) -> float:
    """Write ``count`` events into ``org_id`` in batches of 500 committed by a few threads (on this
    2-core machine about 3,000 docs/s, bound by the emulator; a BulkWriter with raised limits was no
    faster): :func:`stored_documents`, or the (id, stored document) pairs of ``documents``. Returns
    the seconds taken."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from shared.model.scope import Scope
    from shared.store.events import WRITE_BATCH, EventStore

    store = EventStore(Scope(org_id))
    documents = itertools.islice(documents, count) if documents is not None else stored_documents(count)

    def commit(chunk: list[tuple[str, dict[str, Any]]]) -> None:
        batch = store.client.batch()
        for event_id, document in chunk:
            batch.set(store.events.document(event_id), document)
        batch.commit(timeout=120)

    started = time.perf_counter()
    pending: list[Future[None]] = []
    with ThreadPoolExecutor(threads) as pool:
        while chunk := list(itertools.islice(documents, WRITE_BATCH)):
            pending.append(pool.submit(commit, chunk))
            if len(pending) >= 2 * threads:  # bounded: never hold the whole data set in memory
                pending.pop(0).result()
        for future in pending:
            future.result()
    return time.perf_counter() - started


def dev_token(org_id: str, role: str, sub: str | None = None) -> str:
    """A dev token the functions accept under :data:`BENCH_ENV`."""
    return stack_token(org_id, role, env=BENCH_ENV, sub=sub)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned table on stdout."""
    cells = [[str(h) for h in headers], *[[_fmt(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        pairs = enumerate(zip(row, widths, strict=True))
        print(
            "  ".join(
                value.rjust(width) if index and col else value.ljust(width) for col, (value, width) in pairs
            )
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def write_json(path: str | None, data: object) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n")
        print(f"wrote {path}")


def commit() -> str:
    """The commit of the working tree, ``+dirty`` when it has changes (other than the benchmarks' own
    outputs, :data:`OUTPUTS`, which ``make bench`` rewrites as it goes)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--", ".", *(f":(exclude){path}" for path in OUTPUTS))
    return head + ("+dirty" if changed else "")


def require_clean_tree(path: str | Path) -> None:
    """Refuse (SystemExit) to measure into the committed results from a tree with changes: what
    ``bench/results.json`` says must hold for the commit it names."""
    if Path(path).resolve() == COMMITTED_RESULTS and commit().endswith("+dirty"):
        raise SystemExit(
            f"{COMMITTED_RESULTS} is measured on a clean, committed tree: commit or stash the changes "
            "first, or write elsewhere with --out"
        )


def provenance() -> dict[str, str]:
    """What a set of figures was measured on: the commit and the time."""
    return {"commit": commit(), "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def merge_json(path: str | Path, data: dict[str, Any], benchmark: str) -> None:
    """Merge ``data``'s keys into the JSON object at ``path`` (created when missing): benchmarks that
    add their figures to ``bench/results.json`` beside the suite's. ``measured_at[benchmark]`` names
    the commit and time they were measured at, and their keys."""
    target = Path(path)
    merged = json.loads(target.read_text()) if target.exists() else {}
    merged.update(data)
    measured_at = merged.setdefault("measured_at", {})
    measured_at[benchmark] = {**provenance(), "keys": sorted(data)}
    if unrecorded := measured_at.get("unrecorded"):  # figures measured again are recorded now
        unrecorded["keys"] = [key for key in unrecorded["keys"] if key not in data]
    target.write_text(json.dumps(merged, indent=2) + "\n")
    print(f"merged into {target}")


def exit_code(failures: list[str]) -> int:
    """Print each failure on stderr; 1 when there are any, else 0."""
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


def seed_with_media(org_id: str, count: int) -> list[str]:
    """``count`` events written by the store's pipeline upsert, each naming snapshot and clip objects
    (so answers sign their URLs); their ids, newest first."""
    from shared.model.scope import Scope
    from shared.pipeline import parse_pipeline_event
    from shared.store.events import EventStore

    lines = []
    for n in range(count):
        line = mixed_event_line(n)
        line["snapshot_object"] = f"{org_id}/{line['id']}/snapshot.jpg"
        line["clip_object"] = f"{org_id}/{line['id']}/clip.mp4"
        lines.append(line)
    EventStore(Scope(org_id)).upsert_pipeline(parse_pipeline_event(line) for line in lines)
    return [line["id"] for line in lines]
