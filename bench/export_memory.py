"""Export memory benchmark: peak traced memory of the real export path at 10k and 100k rows.

    python -m bench.export_memory [--rows 10000 50000] [--json out.json] [--max-growth-mb 16]
    python -m bench.export_memory --rows 10000 100000     # the issue's sizes: 10-12 minutes here

The default sizes keep a run near 5 minutes on a 2-core machine: the Firestore emulator has no real
indexes, so every page query costs time proportional to the collection (about 0.2 s per page of 500
at 10k docs, 0.9 s at 100k), and an export of N rows reads N/500 pages: the run time grows with N
squared on the emulator (not in production). Memory is what this measures, and it does not grow.

Starts its own Firestore emulator and fake-gcs-server (or uses FIRESTORE_EMULATOR_HOST /
STORAGE_EMULATOR_HOST when set), bulk-loads N events per size into a fresh org, then under
``tracemalloc`` measures:

- ``scan``: Firestore's own cost, streaming the same query's documents with ``EventStore.scan``
  (pages of 500, no CSV, no upload);
- ``export``: ``plan_export`` (count against the cap) + consuming ``write_export`` (CSV chunks, each
  also written to the export object by the resumable upload) into a sink that only counts bytes.

The object written to the storage emulator is checked to hold exactly the streamed bytes. Exits 1 when
the export's peak at the largest size exceeds the peak at the smallest by more than --max-growth-mb.
A warm-up export runs first, untraced, so one-off imports and client construction (Storage is imported
lazily) are not charged to the first size measured.
"""

from __future__ import annotations

import argparse
import functools
import gc
import resource
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from typing import Any

from bench.common import bench_stack, bulk_load, print_table, write_json

MB = 1024 * 1024


def traced(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``run()``'s result plus its seconds and peak traced memory (MB above the starting point)."""
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {**result, "seconds": seconds, "peak_mb": (peak - base) / MB}


def scan_all(org_id: str) -> dict[str, Any]:
    """Firestore's own cost: every live event of the org read with the store's paged scan."""
    from shared.model.filter import EventFilter
    from shared.model.scope import Scope
    from shared.store.events import EventStore

    rows = 0
    for _ in EventStore(Scope(org_id)).scan(EventFilter(), page_size=500):
        rows += 1
    return {"rows": rows}


def export_all(org_id: str) -> dict[str, Any]:
    """The real export path into a byte-counting sink; the object still goes to the bucket."""
    from shared.config import settings
    from shared.exports.export import plan_export, write_export
    from shared.exports.objects import on_demand_export
    from shared.model.filter import EventFilter
    from shared.model.scope import Scope
    from shared.store.events import EventStore

    plan = plan_export(EventStore(Scope(org_id)), EventFilter(), None, None, settings().export_max_rows)
    target = on_demand_export(org_id, "bench")
    rows = 0
    size = 0
    chunks = 0

    def progress(count: int) -> None:
        nonlocal rows
        rows += count

    for chunk in write_export(plan, target.name, target.metadata, progress):
        size += len(chunk)
        chunks += 1
    return {"rows": rows, "planned_rows": plan.rows, "bytes": size, "chunks": chunks, "object": target.name}


def check_object(object_name: str, size: int, rows: int) -> None:
    """The export object exists, finished, with exactly the streamed bytes."""
    from shared.config import settings
    from shared.gcs import storage_client

    blob = storage_client().bucket(settings().export_bucket).get_blob(object_name)
    if blob is None:
        raise RuntimeError(f"export object {object_name} is missing")
    if blob.size != size or (blob.metadata or {}).get("rows") != str(rows):
        raise RuntimeError(
            f"export object {object_name}: {blob.size} bytes, metadata {blob.metadata!r}; "
            f"streamed {size} bytes, {rows} rows"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export_memory", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000], help="row counts to export")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "--max-growth-mb", type=float, default=16.0, help="allowed peak growth, small -> large"
    )
    parser.add_argument("--heap", default="-Xmx1g", help="JAVA_TOOL_OPTIONS of the Firestore emulator")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.rows))
    if not sizes or sizes[0] < 1:
        parser.error("--rows: positive counts")

    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    cap = str(max(sizes) + 1)
    with bench_stack(heap=args.heap, extra_env={"EVENT_EXPORT_MAX_ROWS": cap}) as stack:
        print(
            f"emulators: firestore {stack.emulators.firestore_host}, storage {stack.emulators.storage_host}"
        )
        warm = f"bench-warmup-{uuid.uuid4().hex[:6]}"
        bulk_load(warm, 600)
        scan_all(warm)
        check_object(**_object_args(export_all(warm)))
        for size in sizes:
            org = f"bench-{size}-{uuid.uuid4().hex[:6]}"
            load_seconds = bulk_load(org, size)
            print(f"loaded {size} events into {org} in {load_seconds:.1f}s ({size / load_seconds:.0f}/s)")
            scan = traced(functools.partial(scan_all, org))
            export = traced(functools.partial(export_all, org))
            check_object(**_object_args(export))
            if scan["rows"] != size or export["rows"] != size or export["planned_rows"] != size:
                raise RuntimeError(f"expected {size} rows, scan {scan['rows']}, export {export['rows']}")
            print(
                f"  {size} rows: scan {scan['seconds']:.1f}s peak {scan['peak_mb']:.2f} MB; "
                f"export {export['seconds']:.1f}s peak {export['peak_mb']:.2f} MB, {export['bytes']} bytes"
            )
            max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            results.append(
                {
                    "rows": size,
                    "load_seconds": load_seconds,
                    "scan": scan,
                    "export": export,
                    "max_rss_mb": max_rss,
                }
            )

    total = time.perf_counter() - started
    rows = [
        (
            r["rows"],
            r["export"]["bytes"],
            r["load_seconds"],
            r["scan"]["seconds"],
            r["scan"]["peak_mb"],
            r["export"]["seconds"],
            r["export"]["peak_mb"],
            r["export"]["seconds"] / r["scan"]["seconds"],
            r["export"]["peak_mb"] / r["scan"]["peak_mb"],
            r["max_rss_mb"],
        )
        for r in results
    ]
    print()
    print_table(
        [
            "rows",
            "csv bytes",
            "load s",
            "scan s",
            "scan peak MB",
            "export s",
            "export peak MB",
            "time x",
            "peak x",
            "max RSS MB",
        ],
        rows,
    )
    small, large = results[0], results[-1]
    growth = large["export"]["peak_mb"] - small["export"]["peak_mb"]
    scan_growth = large["scan"]["peak_mb"] - small["scan"]["peak_mb"]
    print()
    print(
        f"export peak growth {small['rows']} -> {large['rows']} rows: {growth:+.2f} MB "
        f"(scan alone: {scan_growth:+.2f} MB; limit {args.max_growth_mb} MB)"
    )
    print("(time x, peak x: export / scan of the same rows; seconds are under tracemalloc, which slows")
    print(" Python about 2x; max RSS: the whole benchmark process so far, C buffers included)")
    print(f"total run {total:.1f}s")
    write_json(
        args.json,
        {
            "benchmark": "export_memory",
            "results": results,
            "export_peak_growth_mb": growth,
            "scan_peak_growth_mb": scan_growth,
            "max_growth_mb": args.max_growth_mb,
            "total_seconds": total,
        },
    )
    if len(results) > 1 and growth > args.max_growth_mb:
        print(f"FAIL: export peak grew {growth:.2f} MB > {args.max_growth_mb} MB", file=sys.stderr)
        return 1
    return 0


def _object_args(export: dict[str, Any]) -> dict[str, Any]:
    return {"object_name": export["object"], "size": export["bytes"], "rows": export["rows"]}


if __name__ == "__main__":
    sys.exit(main())
