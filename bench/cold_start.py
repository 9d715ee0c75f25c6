"""Cold start benchmark: process start -> first answered request under functions-framework, and import
time, for every function, against a bare Flask + Firestore function doing the same first request.

    python -m bench.cold_start [--repeat 5] [--json out.json] [--out bench/results.json]

Starts its own Firestore emulator and fake-gcs-server (or uses FIRESTORE_EMULATOR_HOST /
STORAGE_EMULATOR_HOST), seeds a few events, then for each function of ``shared.edge.routes.FUNCTIONS``,
``scheduled_export`` and the baselines, ``--repeat`` times (round robin, each run starting further
along, after one untimed warm-up each):

- cold start: ``functions-framework --target T --source S --host 127.0.0.1 --port P`` started as a
  subprocess; a real request (valid dev token, real path: a 200-class answer when the function works)
  is retried every 10 ms until any HTTP answer arrives; the time from spawning to that answer counts
  (the event stream's answer is its status and headers: its body never ends).
- import: a fresh interpreter times ``runpy.run_path(S)`` (interpreter start-up excluded).

The baselines are the bare functions of ``bench.bare_functions``, whose first request builds the
Firestore client and does what the function's first request must (:data:`FIRST_REQUEST`): a list page
and its count (``bare_list``), a document and its neighbours (``bare_get``), a transaction that writes
(``bare_write``), one read and one batched write of many (``bare_batch``), a count, a scan and the
storage upload (``bare_export``); ``baseline`` only imports
Firestore. Medians are reported with their ratio to the function's own baseline (the goal: at most
1.3x, every function) and to ``baseline``. Then checks that ``delete_event``, loaded
with ``functions_framework.create_app`` and serving one DELETE, never imports ``google.cloud.storage``;
exit 1 if it does (and, with --fail-on-ratio, if a read function misses the goal). ``--out`` merges
the figures into the suite's results (its ``cold_start`` figures, the ``cold_start_worst_*`` keys and
the cold start goal), measured on a clean tree only when that is the committed ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.common import (
    BENCH_ENV,
    bench_stack,
    dev_token,
    exit_code,
    median,
    merge_json,
    print_table,
    require_clean_tree,
    seed_with_media,
    write_json,
)
from devstack.emulators import free_port
from devstack.processes import spawn, stopping
from shared.edge.routes import FUNCTIONS, route_of

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 1.3
GOAL = "cold start <= 1.3x baseline, every function"  # its name in the suite's goals
ANSWER_TIMEOUT = 60.0
POLL_SECONDS = 0.01
SCHEDULER_ACCOUNT = "scheduler@novavms-bench.iam.gserviceaccount.com"
SCHEDULER_AUDIENCE = "https://scheduled-export.bench.novavms/"
HEAVY_MODULES = ("google.cloud.firestore", "google.cloud.storage", "jwt", "google.auth")

BARE_SOURCE = ROOT / "bench" / "bare_functions.py"
BASELINES = ("baseline", "bare_list", "bare_get", "bare_write", "bare_batch", "bare_export")
# The bare function whose first request does the same work as each function's (the closest: a list of
# keys is one query, as a page of events with its count is two).
FIRST_REQUEST = {
    "list_events": "bare_list",
    "list_deleted_events": "bare_list",
    "list_keys": "bare_list",
    "get_event": "bare_get",
    "get_event_history": "bare_get",
    "update_event": "bare_write",
    "delete_event": "bare_write",
    "restore_event": "bare_write",
    "batch_update_events": "bare_batch",
    "batch_delete_events": "bare_batch",
    "create_key": "bare_write",
    "revoke_key": "bare_write",
    "export_events": "bare_export",
    "scheduled_export": "bare_export",
}

# Loads a function's source the way functions-framework does and reports which modules it pulled in,
# before and after serving one request through Flask's test client.
PROBE = textwrap.dedent(
    """
    import json, sys
    import functions_framework
    target, source, method, path, headers, body = sys.argv[1:7]
    app = functions_framework.create_app(target, source)
    watched = json.loads(sys.argv[7])
    after_import = {name: name in sys.modules for name in watched}
    response = app.test_client().open(path, method=method, headers=json.loads(headers), data=body or None)
    if sys.argv[8] == "streamed":  # an endless body: its status and headers are the answer
        response.close()
    else:
        response.get_data()
    print(json.dumps({
        "status": response.status_code,
        "after_import": after_import,
        "after_request": {name: name in sys.modules for name in watched},
    }))
    """
)

IMPORT_TIMER = textwrap.dedent(
    """
    import json, sys, time
    started = time.perf_counter()
    import runpy
    runpy.run_path(sys.argv[1], run_name="bench_import")
    seconds = time.perf_counter() - started
    watched = json.loads(sys.argv[2])
    print(json.dumps({"seconds": seconds, "modules": {name: name in sys.modules for name in watched}}))
    """
)


@dataclass
class Target:
    """A function to start, and the request that shows it answers."""

    name: str
    source: Path
    target: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    per_run_path: list[str] = field(default_factory=list)  # DELETE: a fresh event per run
    streamed: bool = False  # the event stream: an endless body, so its status and headers are the answer

    def request_path(self, run: int) -> str:
        return self.per_run_path[run % len(self.per_run_path)] if self.per_run_path else self.path


def scheduler_token() -> str:
    """An OIDC-shaped token of the scheduler account. With EVENTS_SCHEDULER_VERIFY_SIGNATURE=false (how
    production runs behind Cloud Run's verification) only its claims are checked."""
    import jwt

    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": SCHEDULER_AUDIENCE,
        "email": SCHEDULER_ACCOUNT,
        "email_verified": True,
        "sub": "1234567890",
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, "bench-not-a-google-key-0123456789abcdef", algorithm="HS256")


def baseline_targets(org: str, ids: list[str]) -> list[Target]:
    """The bare functions, each asked what the functions it stands for are asked first."""
    from urllib.parse import urlencode

    from bench.bare_functions import list_spec
    from shared.config import settings

    def get(spec: dict[str, Any]) -> str:
        return "/?" + urlencode({"spec": json.dumps(spec)})

    config = settings()
    source = BARE_SOURCE
    page = list_spec(org, {"limit": "20"}, None, None, config.count_cap)
    return [
        Target("baseline", source, "baseline", "GET", "/"),
        Target("bare_list", source, "floor_list", "GET", get(page)),
        Target("bare_get", source, "floor_get", "GET", get({"org": org, "id": ids[0]})),
        Target(
            "bare_write",
            source,
            "floor_patch",
            "PATCH",
            "/",
            {"Content-Type": "application/json"},
            json.dumps({"org": org, "id": ids[0], "notes": "cold start"}),
        ),
        Target(
            "bare_batch",
            source,
            "floor_batch",
            "POST",
            "/",
            {"Content-Type": "application/json"},
            json.dumps({"org": org, "ids": ids[:20], "changes": {"starred": True}}),
        ),
        Target(
            "bare_export", source, "floor_export", "GET", get({"org": org, "bucket": config.export_bucket})
        ),
    ]


def rotated(chosen: list[Target], run: int) -> list[Target]:
    """The round robin's order in run ``run``: each run starts one target later, so no function is
    always measured right after the same one (or always first)."""
    start = run * max(1, len(chosen) // 5) % len(chosen)
    return chosen[start:] + chosen[:start]


def baseline_of(name: str) -> str:
    """The bare function a function's (or a baseline's own) cold start is compared with."""
    return name if name in BASELINES else FIRST_REQUEST.get(name, "baseline")


def worst_ratio(medians: dict[str, float]) -> tuple[float, str]:
    """The highest ratio of a function's median cold start to its baseline's, and that function."""
    return max(
        (median_s / medians[baseline_of(name)], name)
        for name, median_s in medians.items()
        if name not in BASELINES
    )


def figures(runs: dict[str, list[float]], statuses: dict[str, list[int]], repeat: int) -> dict[str, Any]:
    """The cold start figures as the suite's results keep them: each function's runs, median and
    ratios (to its own baseline, and to the one that only imports Firestore), and the worst."""
    medians = {name: median(values) for name, values in runs.items()}
    base = medians["baseline"]
    worst, worst_function = worst_ratio(medians)
    return {
        "repeat": repeat,
        "baseline_s": base,
        "baselines_s": {name: medians[name] for name in BASELINES if name in medians},
        "functions": {
            name: {
                "runs_s": values,
                "median_s": medians[name],
                "baseline": baseline_of(name),
                "ratio": medians[name] / medians[baseline_of(name)],
                "ratio_to_import_only": medians[name] / base,
                "statuses": statuses[name],
            }
            for name, values in runs.items()
        },
        "worst_ratio": worst,
        "worst_function": worst_function,
        "worst_ratio_to_import_only": max(medians[name] / base for name in medians if name not in BASELINES),
    }


def merge_figures(out: str, cold: dict[str, Any]) -> None:
    """Merge ``cold`` (:func:`figures`) into the results at ``out``: the suite's ``cold_start`` and
    ``cold_start_worst_*`` keys, and its cold start goal."""
    path = Path(out)
    goals = json.loads(path.read_text()).get("goals", {}) if path.exists() else {}
    goals[GOAL] = cold["worst_ratio"] <= GOAL_RATIO
    headline = {
        "cold_start": cold,
        "cold_start_worst_ratio": cold["worst_ratio"],
        "cold_start_worst_function": cold["worst_function"],
        "cold_start_worst_ratio_to_import_only": cold["worst_ratio_to_import_only"],
        "goals": goals,
    }
    merge_json(path, headline, "cold_start")


def targets(org: str, ids: list[str], deletes: int) -> list[Target]:
    bearer = {"Authorization": f"Bearer {dev_token(org, 'admin', sub='bench-admin')}"}
    requests_of: dict[str, tuple[str, str, str]] = {
        "list_events": ("GET", "/api/v1/events?limit=20", ""),
        "export_events": ("GET", "/api/v1/events/export", ""),
        "get_event": ("GET", f"/api/v1/events/{ids[0]}", ""),
        "update_event": ("PATCH", f"/api/v1/events/{ids[0]}", json.dumps({"starred": True})),
        "delete_event": ("DELETE", f"/api/v1/events/{ids[-1]}", ""),
        "list_deleted_events": ("GET", "/api/v1/events/deleted?limit=20", ""),
        "restore_event": ("POST", f"/api/v1/events/{ids[0]}/restore", ""),  # live: a 200 no-op
        "get_event_history": ("GET", f"/api/v1/events/{ids[0]}/history", ""),
        "batch_update_events": (
            "POST",
            "/api/v1/events/batch-update",
            json.dumps({"ids": ids[:20], "changes": {"starred": True}}),
        ),
        "batch_delete_events": ("POST", "/api/v1/events/batch-delete", json.dumps({"ids": [ids[-1]]})),
        "create_key": ("POST", "/api/v1/keys", json.dumps({"name": "cold start", "role": "operator"})),
        "revoke_key": ("DELETE", "/api/v1/keys/0123456789abcdef", ""),  # a 404 after the whole request path
    }
    chosen = baseline_targets(org, ids)
    for function in FUNCTIONS:
        if function == "scheduled_export":  # the scheduler's request, below
            continue
        route = route_of(function)
        method, path, body = requests_of.get(function, (route.method, route.path, ""))
        headers = {**bearer, "Content-Type": "application/json"} if body else dict(bearer)
        target = Target(
            function, ROOT / "functions" / f"{function}.py", function, method, path, headers, body
        )
        target.streamed = route.ticket  # the one route that takes a ticket: the event stream
        if function == "delete_event":
            target.per_run_path = [f"/api/v1/events/{event_id}" for event_id in ids[1 : deletes + 1]]
        chosen.append(target)
    job = json.dumps({"org_id": org, "date_from": "2026-04-21", "date_to": "2026-04-21"})
    chosen.append(
        Target(
            "scheduled_export",
            ROOT / "functions" / "scheduled_export.py",
            "scheduled_export",
            "POST",
            "/",
            {"Authorization": f"Bearer {scheduler_token()}", "Content-Type": "application/json"},
            job,
        )
    )
    return chosen


def cold_start(target: Target, run: int, env: dict[str, str], log: Path) -> tuple[float, int]:
    """Seconds from spawning functions-framework to the first HTTP answer, and its status."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("functions-framework")),
        "--target", target.target, "--source", str(target.source), "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}{target.request_path(run)}"
    with requests.Session() as session, open(log, "ab") as output:
        session.trust_env = False  # never a proxy: 127.0.0.1 only
        started = time.perf_counter()
        # functions-framework and its worker stop with SIGINT (gunicorn's quick shutdown; SIGTERM
        # waits seconds for a graceful one).
        process = spawn(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        with stopping(process, signal.SIGINT):
            while time.perf_counter() - started < ANSWER_TIMEOUT:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{target.name}: functions-framework exited {process.returncode}:\n{_tail(log)}"
                    )
                try:
                    answer = session.request(
                        target.method,
                        url,
                        headers=target.headers,
                        data=target.body or None,
                        timeout=30,
                        stream=target.streamed,
                    )
                except requests.ConnectionError:
                    time.sleep(POLL_SECONDS)
                    continue
                answer.close()
                return time.perf_counter() - started, answer.status_code
            raise RuntimeError(f"{target.name}: no answer within {ANSWER_TIMEOUT:.0f}s:\n{_tail(log)}")


def _shown(path: str) -> str:
    """The request path with its event ids as ``{id}`` (and a bare function's spec as ``{spec}``)."""
    path = re.sub(r"\?spec=.*$", "?spec={spec}", path)
    return re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}(?=/|$)", "/{id}", path)


def _tail(log: Path, size: int = 3000) -> str:
    return log.read_bytes()[-size:].decode(errors="replace")


def import_time(target: Target, env: dict[str, str]) -> dict[str, Any]:
    """A fresh interpreter's seconds to run the source module, and which heavy modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_TIMER, str(target.source), json.dumps(HEAVY_MODULES)],
        env=env, capture_output=True, timeout=60, check=True, cwd=ROOT,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def probe(target: Target, env: dict[str, str], path: str) -> dict[str, Any]:
    """Which heavy modules the function loads at import and after serving one request (test client)."""
    done = subprocess.run(
        [
            sys.executable, "-c", PROBE, target.target, str(target.source), target.method, path,
            json.dumps(target.headers), target.body, json.dumps(HEAVY_MODULES),
            "streamed" if target.streamed else "whole",
        ],
        env=env, capture_output=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"probe of {target.name} failed:\n{done.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per function (median)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "--fail-on-ratio", action="store_true", help=f"exit 1 when a function > {GOAL_RATIO}x its baseline"
    )
    parser.add_argument("--out", help="merge the figures into the suite's results here (bench/results.json)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    if args.out:
        require_clean_tree(args.out)

    began = time.perf_counter()
    scheduler_env = {
        "EVENTS_SCHEDULER_SERVICE_ACCOUNT": SCHEDULER_ACCOUNT,
        "EVENTS_SCHEDULER_AUDIENCE": SCHEDULER_AUDIENCE,
        "EVENTS_SCHEDULER_VERIFY_SIGNATURE": "false",
    }
    with bench_stack(heap="-Xmx512m", extra_env=scheduler_env) as stack:
        org = "bench-cold"
        deletes = args.repeat + 2  # warm-up, measured runs, the probe
        ids = seed_with_media(org, deletes + 20)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        chosen = targets(org, ids, deletes)
        log = stack.workdir / "functions-framework.log"
        print(
            f"emulators: firestore {stack.emulators.firestore_host}, storage {stack.emulators.storage_host}"
        )

        starts: dict[str, list[float]] = {t.name: [] for t in chosen}
        statuses: dict[str, list[int]] = {t.name: [] for t in chosen}
        imports: dict[str, list[float]] = {t.name: [] for t in chosen}
        modules: dict[str, dict[str, bool]] = {}
        for target in chosen:  # warm-up: disk cache and bytecode, not counted
            cold_start(target, deletes - 1, env, log)
            modules[target.name] = import_time(target, env)["modules"]
        for run in range(args.repeat):
            for target in rotated(chosen, run):
                seconds, status = cold_start(target, run, env, log)
                starts[target.name].append(seconds)
                statuses[target.name].append(status)
                imports[target.name].append(import_time(target, env)["seconds"])
            print(f"run {run + 1}/{args.repeat} done")

        delete = next(t for t in chosen if t.name == "delete_event")
        delete_probe = probe(delete, env, delete.per_run_path[deletes - 2])
        probes = {t.name: probe(t, env, t.request_path(0)) for t in chosen if t.name != "delete_event"}
        probes["delete_event"] = delete_probe

    base_start = median(starts["baseline"])
    base_import = median(imports["baseline"])
    medians = {name: median(values) for name, values in starts.items()}
    rows = []
    results = []
    for target in chosen:
        start, imp = median(starts[target.name]), median(imports[target.name])
        loaded = probes[target.name]["after_request"]
        like = baseline_of(target.name)
        entry = {
            "function": target.name,
            "request": f"{target.method} {_shown(target.path)}",
            "statuses": sorted(set(statuses[target.name])),
            "baseline": like,
            "cold_start_median_s": start,
            "cold_start_runs_s": starts[target.name],
            "cold_start_ratio": start / medians[like],
            "cold_start_ratio_to_import_only": start / base_start,
            "import_median_s": imp,
            "import_runs_s": imports[target.name],
            "import_ratio": imp / base_import,
            "modules_after_import": modules[target.name],
            "modules_after_request": loaded,
            "probe_status": probes[target.name]["status"],
        }
        results.append(entry)
        rows.append(
            (
                target.name,
                entry["request"],
                ",".join(map(str, entry["statuses"])),
                start,
                f"{entry['cold_start_ratio']:.2f}x {like}",
                f"{start / base_start:.2f}x",
                min(starts[target.name]),
                max(starts[target.name]),
                imp,
                f"{imp / base_import:.2f}x",
                "yes" if modules[target.name]["google.cloud.storage"] else "no",
                "yes" if loaded["google.cloud.storage"] else "no",
            )
        )
    print()
    print_table(
        [
            "function", "request", "status", "cold s (median)", "x same first request", "x import only",
            "min", "max", "import s", "x base", "storage@import", "storage@request",
        ],
        rows,
    )  # fmt: skip
    print()
    failures = []
    worst, worst_function = worst_ratio(medians)
    verdict = "meets" if worst <= GOAL_RATIO else "MISSES"
    print(
        f"worst: {worst_function} cold start {worst:.2f}x its baseline ({baseline_of(worst_function)}) -> "
        f"{verdict} the {GOAL_RATIO}x goal"
    )
    if worst > GOAL_RATIO and args.fail_on_ratio:
        failures.append(f"{worst_function} cold start {worst:.2f}x > {GOAL_RATIO}x")
    storage_loaded = (
        delete_probe["after_import"]["google.cloud.storage"]
        or delete_probe["after_request"]["google.cloud.storage"]
    )
    print(
        f"delete_event: DELETE answered {delete_probe['status']}; google.cloud.storage imported: "
        f"after load {delete_probe['after_import']['google.cloud.storage']}, "
        f"after the request {delete_probe['after_request']['google.cloud.storage']}"
    )
    if storage_loaded:
        failures.append("delete_event imports google.cloud.storage")
    if delete_probe["status"] != 204:
        print(f"note: the DELETE probe answered {delete_probe['status']}, not 204")
    total = time.perf_counter() - began
    print(f"total run {total:.1f}s ({args.repeat} runs per function; env {sorted(BENCH_ENV)} as in tests)")
    write_json(
        args.json,
        {
            "benchmark": "cold_start",
            "repeat": args.repeat,
            "baseline": {"cold_start_median_s": base_start, "import_median_s": base_import},
            "baselines": {name: medians[name] for name in BASELINES},
            "first_request_baseline": FIRST_REQUEST,
            "goal_ratio": GOAL_RATIO,
            "worst_ratio": worst,
            "worst_function": worst_function,
            "results": results,
            "delete_event_probe": delete_probe,
            "failures": failures,
            "total_seconds": total,
        },
    )
    if args.out:
        merge_figures(args.out, figures(starts, statuses, args.repeat))
    return exit_code(failures)


if __name__ == "__main__":
    sys.exit(main())
