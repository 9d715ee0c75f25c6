"""A short smoke of ``make bench``'s suite (``python -m bench.suite --smoke``): it runs end to end
on its own emulators and writes its JSON, plot and table into a temporary directory, never the
committed ``bench/results.json``, ``bench/latency.png`` or the benchmarks guide (docs/benchmarks.md)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = (
    ROOT / "bench" / "results.json",
    ROOT / "bench" / "latency.png",
    ROOT / "docs" / "benchmarks.md",
    ROOT / "README.md",
)
TOP_LEVEL_KEYS = (
    "commit",
    "date",
    "list_p50_ratio",
    "list_p50_ratio_in_process",
    "export_rows_per_s_ratio",
    "reads_per_page_extra",
    "signing_ms_per_100_urls_at_50ms_rtt",
)


def _digests() -> dict[Path, str | None]:
    return {
        path: hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None for path in COMMITTED
    }


def test_bench_suite_smoke(tmp_path: Path) -> None:
    before = _digests()
    out = tmp_path / "results.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("FIRESTORE_EMULATOR_HOST", "STORAGE_EMULATOR_HOST")  # its own emulators
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.suite", "--smoke", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads(out.read_text())
    for key in TOP_LEVEL_KEYS:
        assert key in results, key
    assert results["reads_per_page_extra"] == 0
    assert results["list_p50_ratio"] > 0
    assert results["export_rows_per_s_ratio"] > 0 and results["export_rows_per_s_ratio_http"] > 0
    assert results["signing_ms_per_100_urls_at_50ms_rtt"] > 0  # a figure, measured: never a bound here
    assert results["signing_iam_ms_per_100_urls_at_50ms_rtt"] > 300  # 13 rounds of 8 at 50 ms
    assert results["failures"] == []
    cases = results["sizes"]["500"]["cases"]
    assert cases["viewer, 45 sites"]["chunks"] == 2
    for case in cases.values():
        # the API, the bare function behind the same gateway and the in-process client, alike
        assert len(case["api_ms"]) == len(case["floor_http_ms"]) == len(case["floor_ms"]) == 2
        assert case["ratio_p50"] == case["api"]["p50"] / case["floor_http"]["p50"]
        for cost in case["store_cost"]:
            assert "events" in cost  # every answer carried X-Store-Cost
    cold = results["cold_start"]["functions"]
    assert set(cold) >= {"baseline", "bare_list", "bare_get", "list_events", "get_event"}
    assert (cold["list_events"]["baseline"], cold["get_event"]["baseline"]) == ("bare_list", "bare_get")
    assert set(cold["bare_list"]["statuses"]) == set(cold["bare_get"]["statuses"]) == {200}
    assert len(results["export_memory"]) == 2

    plot = tmp_path / "latency.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (tmp_path / "table.md").read_text()
    assert "<!-- bench:suite:start -->" in table
    assert re.search(r"^\| viewer, 45 sites +\|", table, re.MULTILINE)
    assert _digests() == before
