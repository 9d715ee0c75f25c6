"""What ``bench/results.json`` keeps when the suite rewrites it (bench/suite.py): the figures other
benchmarks merged in stay, each benchmark's commit and time are named, and older figures whose
commit was never recorded say so."""

from __future__ import annotations

import json
from pathlib import Path

from bench.cold_start import GOAL, figures, merge_figures
from bench.common import merge_json
from bench.suite import others_of


def test_the_suite_keeps_other_benchmarks_figures_and_names_what_each_was_measured_on(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "suite",
                "commit": "old",
                "list_p50_ratio": 9.9,
                "bulk": {"api_over_floor": 0.3},
                "totals": {"small": 1},
                "measured_at": {"bulk": {"commit": "b1", "date": "d1", "keys": ["bulk"]}},
            }
        )
    )
    results = {"benchmark": "suite", "commit": "new", "date": "d2", "list_p50_ratio": 1.1}
    kept = others_of(out, results)
    assert kept["bulk"] == {"api_over_floor": 0.3} and kept["totals"] == {"small": 1}
    assert "list_p50_ratio" not in kept, "the suite's own figures are the new ones"
    assert kept["measured_at"]["bulk"] == {"commit": "b1", "date": "d1", "keys": ["bulk"]}
    assert kept["measured_at"]["unrecorded"]["keys"] == ["totals"]
    assert kept["measured_at"]["suite"] == {
        "commit": "new",
        "date": "d2",
        "keys": ["benchmark", "commit", "date", "list_p50_ratio"],
    }


def test_a_fresh_output_keeps_nothing(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    results = {"benchmark": "suite", "commit": "c", "date": "d"}
    assert others_of(out, results) == {
        "measured_at": {"suite": {"commit": "c", "date": "d", "keys": sorted(results)}}
    }


def test_a_benchmark_measured_again_leaves_the_unrecorded_list(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    unrecorded = {"commit": "before this record was kept", "keys": ["abuse", "bulk", "forged"]}
    out.write_text(json.dumps({"abuse": {"old": 1}, "forged": 9, "measured_at": {"unrecorded": unrecorded}}))
    merge_json(out, {"abuse": {"new": 2}, "forged": 0}, "abuse")
    merged = json.loads(out.read_text())
    assert merged["abuse"] == {"new": 2} and merged["forged"] == 0
    assert merged["measured_at"]["unrecorded"]["keys"] == ["bulk"]
    assert merged["measured_at"]["abuse"]["keys"] == ["abuse", "forged"]


def test_a_cold_start_run_replaces_the_suites_cold_start_figures_and_goal_only(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    goals = {"list_p50_ratio <= 1.2 at every size (flat 1k-50k)": True, GOAL: False}
    out.write_text(json.dumps({"list_p50_ratio": 1.1, "cold_start_worst_ratio": 1.34, "goals": goals}))
    runs = {"baseline": [0.4, 0.5, 0.3], "bare_get": [0.4, 0.4, 0.4], "get_event": [0.5, 0.4, 0.5]}
    cold = figures(runs, {name: [200] * 3 for name in runs}, 3)
    assert (cold["worst_function"], cold["worst_ratio"]) == ("get_event", 0.5 / 0.4)
    assert cold["functions"]["get_event"]["ratio_to_import_only"] == 0.5 / 0.4
    merge_figures(str(out), cold)
    merged = json.loads(out.read_text())
    assert merged["list_p50_ratio"] == 1.1 and merged["cold_start"] == cold
    assert (merged["cold_start_worst_ratio"], merged["cold_start_worst_function"]) == (0.5 / 0.4, "get_event")
    assert merged["goals"] == {**goals, GOAL: True}
    assert "cold_start_worst_ratio" in merged["measured_at"]["cold_start"]["keys"]
