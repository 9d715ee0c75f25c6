"""What the benchmarks share: the emulator stack with a test-like environment, event data in the
stored shape, bulk loading, dev tokens and table printing."""

from __future__ import annotations

import itertools
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from devstack.emulators import Emulators
from devstack.stackenv import clear_service_settings

# The same kind of settings the tests use (tests/conftest.py TEST_ENV), under bench names.
BENCH_ENV = {
    "EVENTS_JWT_ISSUER": "https://auth.bench.novavms/",
    "EVENTS_JWT_AUDIENCE": "novavms-events-bench",
    "EVENTS_JWT_DEV_SECRET": "bench-secret-0123456789abcdef0123456789",
    "EVENTS_CURSOR_KEY": "bench-cursor-key-0123456789abcdef",
    "EVENTS_MEDIA_BUCKET": "bench-media",
    "EVENTS_EXPORT_BUCKET": "bench-exports",
}

BASE_TIME = datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)
SITES = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222")
CAMERAS = (
    ("550e8400-e29b-41d4-a716-446655440000", "Loading Dock East", SITES[0]),
    ("660e8400-e29b-41d4-a716-446655440000", 'Main "Entrance", gate 2', SITES[0]),
    ("770e8400-e29b-41d4-a716-446655440000", "Parking Nord \u2013 \u00c9b\u00e8ne", SITES[1]),
)
SCENES: tuple[tuple[str, str, list[str], str], ...] = (
    ("ai_tag", "Person carrying package approaches dock door", ["person", "package"], "completed"),
    ("motion", "Motion near the door, then\nnothing", [], "skipped"),
    (
        "ai_tag",
        '=HYPERLINK("http://x") vehicle parks, no-parking zone',
        ["vehicle", "no-parking"],
        "completed",
    ),
    ("manual", "Operator-triggered recording", ["manual"], "pending"),
)


@dataclass
class Stack:
    """The running emulators and the environment the benchmark set for them."""

    emulators: Emulators
    project: str
    env: dict[str, str]
    workdir: Path


@contextmanager
def bench_stack(heap: str = "-Xmx512m", extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """Start the emulators (or use those the environment names), point this process at them with a
    fresh project id, create the buckets; restore the environment and stop them afterwards."""
    from shared.config import settings

    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="novavms-bench-") as tmp:
        workdir = Path(tmp)
        emulators = Emulators.start(log_dir=workdir, heap=heap)
        try:
            project = f"bench-{uuid.uuid4().hex[:10]}"
            clear_service_settings()
            env = {**emulators.environment(), **BENCH_ENV, "GOOGLE_CLOUD_PROJECT": project}
            from devstack.tokens import write_signing_key

            env["EVENTS_SIGNING_KEY_FILE"] = str(write_signing_key(workdir / "signing-key.json", project))
            env.update(extra_env or {})
            os.environ.update(env)
            settings.cache_clear()
            from devstack.seed import ensure_buckets

            ensure_buckets()
            yield Stack(emulators, project, env, workdir)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            settings.cache_clear()
            emulators.stop()


def event_line(n: int) -> dict[str, Any]:
    """Event ``n`` in the loader's shape (as tests' ``event_line``), a second apart back from BASE_TIME,
    with text that exercises CSV quoting and formula neutralising."""
    camera_id, camera_name, site_id = CAMERAS[n % len(CAMERAS)]
    trigger, summary, tags, ai_status = SCENES[n % len(SCENES)]
    at = BASE_TIME - timedelta(seconds=n)
    return {
        "id": str(uuid.uuid4()),
        "camera_id": camera_id,
        "camera_name": camera_name,
        "camera_deleted": False,
        "site_id": site_id,
        "trigger_type": trigger,
        "triggered_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "clip_start_at": (at - timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "clip_end_at": (at + timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_sec": 30,
        "summary": summary,
        "narrative": "A courier in an orange vest walked to the dock and left a parcel by the door.",
        "tags": tags,
        "ai_status": ai_status,
        "clip_codec": "h264",
        "recording_source": "gateway_ring_buffer",
        "starred": n % 17 == 0,
    }


def stored_documents(count: int, start: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, document) in exactly the shape ``EventStore.upsert_pipeline`` stores for a new event."""
    from shared.pipeline import parse_pipeline_event

    for n in range(start, start + count):
        event_id, pipeline, operator = parse_pipeline_event(event_line(n))
        yield event_id, {**pipeline, **operator}


def bulk_load(org_id: str, count: int, threads: int = 4) -> float:
    """Write ``count`` events into ``org_id`` in batches of 500 committed by a few threads (on this
    2-core machine about 3,000 docs/s, bound by the emulator; a BulkWriter with raised limits was no
    faster). Returns the seconds taken."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from shared.model.scope import Scope
    from shared.store.events import WRITE_BATCH, EventStore

    store = EventStore(Scope(org_id))
    documents = stored_documents(count)

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
    from devstack.tokens import mint_token

    return mint_token(
        secret=BENCH_ENV["EVENTS_JWT_DEV_SECRET"],
        issuer=BENCH_ENV["EVENTS_JWT_ISSUER"],
        audience=BENCH_ENV["EVENTS_JWT_AUDIENCE"],
        org_id=org_id,
        role=role,
        sub=sub,
    )


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
