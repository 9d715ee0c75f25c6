"""The benchmark suite of issue 13: the API through the local gateway against a Firestore floor measured
in the same run, for orgs of 1k, 10k and 50k events.

    python -m bench.suite [--sizes 1000,10000,50000] [--repeat 6] [--memory-rows 10000,50000]
                          [--viewer-max-size 10000] [--out bench/results.json]
    python -m bench.suite --smoke --out /tmp/x/results.json      # a tiny run (CI's smoke)

Starts its own emulators (or uses those the environment names) under the bench settings (rate limit
1,000,000 a minute: no request is limited; ``X-Store-Cost`` on every answer). For each size, smallest
first, it bulk-loads an org (batched writes of stored documents; every event names a snapshot and a
clip, spread over 50 sites), then measures each case ``--repeat`` times after one untimed warm-up,
the API and the two floors in turn (which goes first rotates), so contention from anything else on
the machine hits all alike:

- the API: an HTTP request with a dev token to the local gateway (in this process), body read; the
  signed-URL cache is cleared before each request, so every answer signs its URLs (production path,
  HMAC) on a cold cache;
- the HTTP floor (``floor_http``): a bare Flask + Firestore function (``bench.bare_functions``)
  served behind the same local gateway, on the same server, so it pays the same HTTP hop as the API:
  the same query (built from the same parameters), no authentication or response shaping;
- the in-process floor (``floor``): a bare, warm ``google.cloud.firestore`` client in this process
  doing the same minimum, with no HTTP at all.

Both floors do the minimum the answer needs: a list issues each site chunk's page query (limit+1)
and ``count()`` together; a GET reads the document, then its two neighbour queries together; a PATCH
runs a transaction (read, update, history entry), then the neighbour queries. ``list_p50_ratio`` is
the API against the HTTP floor (like with like); ``list_p50_ratio_in_process`` against the in-process
one.

List cases: no filter, each filter alone, all filters, pages 1/5/20 (a cursor made for that page),
a viewer with 10 and with 45 sites (2 chunks of Firestore's ``in``), limit 20 and 100. Then: export
rows/s (the API's CSV export against the in-process count + paged scan, pages of 500, and against
the bare export function behind the gateway, which also uploads, at each size up to
``--export-max``), the export's peak memory (``bench.export_memory``'s method) at ``--memory-rows``,
cold start per function against a bare function doing the same first request
(``bench.cold_start``'s method) and signing 100 URLs on a cold cache with the
production HMAC signer and with a simulated IAM signBlob of ``--rtt-ms`` per call.

Writes ``--out`` (JSON: commit, date, every raw figure and the headline keys; the figures other
benchmarks merged into it are kept, and ``measured_at`` names each one's commit), a PNG plot of list
p50 against org size beside it (``latency.png``), and a Markdown table: into docs/benchmarks.md
between its ``bench:suite`` markers when ``--out`` is the committed ``bench/results.json``, else into
``table.md`` beside ``--out``. The committed results are measured on a clean tree only (no ``+dirty``
commit). Exit 1 when a request fails or an answer lacks the store-cost header; goals missed are
reported, not failed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import requests

from bench.bare_functions import list_spec
from bench.common import (
    BENCH_ENV,
    bench_stack,
    bulk_load,
    dev_token,
    provenance,
    require_clean_tree,
    seed_with_media,
    stored_shape,
)
from bench.load import markdown_table, percentile, service_logs, serving
from devstack.factories import BASE_TIME, CAMERA_A, mixed_event_line

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results.json"
BENCHMARKS_GUIDE = ROOT / "docs" / "benchmarks.md"
START_MARKER = "<!-- bench:suite:start -->"
END_MARKER = "<!-- bench:suite:end -->"
SITE_COUNT = 50
SITES = tuple(str(uuid.uuid5(uuid.NAMESPACE_URL, f"novavms-bench-site-{i}")) for i in range(SITE_COUNT))
IN_LIMIT = 30  # Firestore's `in`: at most 30 values, so 45 sites are 2 chunks
COUNT_CAP = 10_000  # EVENTS_COUNT_CAP: the API counts a first page up to it (and one more)
REQUEST_TIMEOUT = 120.0
EXPORT_PAGE = 500  # shared.exports.export.READ_PAGE
GOALS = {
    "list_p50_ratio": 1.2,
    "reads_per_page_extra": 0,
    "export_rows_per_s_ratio": 0.9,
    "signing_ms_per_100_urls_at_50ms_rtt": 10.0,
    "cold_start_ratio": 1.3,
}
WINDOW_FROM = (BASE_TIME - timedelta(seconds=900)).strftime("%Y-%m-%dT%H:%M:%SZ")
WINDOW_TO = (BASE_TIME - timedelta(seconds=100)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Case:
    """One measured request shape."""

    name: str
    kind: str  # list, get, patch
    params: dict[str, str] = field(default_factory=dict)
    role: str = "admin"  # admin, viewer10, viewer45
    page: int = 1

    @property
    def limit(self) -> int:
        return int(self.params.get("limit", "20"))


LIST_CASES = (
    Case("no filter, limit 20 (page 1)", "list", {"limit": "20"}),
    Case("no filter, limit 100", "list", {"limit": "100"}),
    Case("page 5", "list", {"limit": "20"}, page=5),
    Case("page 20", "list", {"limit": "20"}, page=20),
    Case("camera_id", "list", {"limit": "20", "camera_id": CAMERA_A}),
    Case("site_id", "list", {"limit": "20", "site_id": SITES[0]}),
    Case("date_from/date_to", "list", {"limit": "20", "date_from": WINDOW_FROM, "date_to": WINDOW_TO}),
    Case("trigger_type", "list", {"limit": "20", "trigger_type": "motion"}),
    Case("ai_status", "list", {"limit": "20", "ai_status": "completed"}),
    Case("starred", "list", {"limit": "20", "starred": "true"}),
    Case(
        "all filters",
        "list",
        {
            "limit": "20",
            "camera_id": CAMERA_A,
            "site_id": SITES[0],
            "date_from": "2026-04-20",
            "date_to": "2026-04-21",
            "trigger_type": "ai_tag",
            "ai_status": "completed",
            "starred": "true",
        },
    ),
    Case("viewer, 10 sites", "list", {"limit": "20"}, role="viewer10"),
    Case("viewer, 45 sites", "list", {"limit": "20"}, role="viewer45"),
)
OTHER_CASES = (Case("get (prev/next)", "get"), Case("PATCH", "patch"))
VIEWER_SITES = {"admin": None, "viewer10": SITES[:10], "viewer45": SITES[:45]}


# -- data ----------------------------------------------------------------------------------------


def suite_documents(org_id: str, count: int, wanted: dict[int, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Event ``n`` of ``mixed_event_line`` (a second apart, newest first) on site ``n % 50``, naming a
    snapshot and a clip, in the stored shape; fills ``wanted`` (n -> id) for the n asked for."""
    for n in range(count):
        line = mixed_event_line(n)
        line["site_id"] = SITES[n % SITE_COUNT]
        line["snapshot_object"] = f"{org_id}/{line['id']}/snapshot.jpg"
        line["clip_object"] = f"{org_id}/{line['id']}/clip.mp4"
        event_id, document = stored_shape(line)
        if n in wanted:
            wanted[n] = event_id
        yield event_id, document


@dataclass
class Org:
    org_id: str
    size: int
    seed_seconds: float
    get_id: str
    patch_ids: list[str]
    tokens: dict[str, str]


def seed_org(size: int) -> Org:
    org_id = f"bench-suite-{size}-{uuid.uuid4().hex[:6]}"
    wanted: dict[int, str] = {size // 2: ""} | {size // 3 + k: "" for k in range(1, 9)}
    seconds = bulk_load(org_id, size, documents=suite_documents(org_id, size, wanted))
    tokens = {
        "admin": dev_token(org_id, "admin", sub="bench-admin"),
        **{
            role: _viewer_token(org_id, list(sites or ()))
            for role, sites in VIEWER_SITES.items()
            if sites is not None
        },
    }
    patch_ids = [wanted[size // 3 + k] for k in range(1, 9)]
    return Org(org_id, size, seconds, wanted[size // 2], patch_ids, tokens)


def _viewer_token(org_id: str, sites: list[str]) -> str:
    from devstack.tokens import stack_token

    return stack_token(org_id, "viewer", env=BENCH_ENV, sub=f"bench-viewer-{len(sites)}", site_ids=sites)


# -- the floor: a bare, warm Firestore client ------------------------------------------------------


class Floor:
    """The minimum each answer needs, issued by a bare ``google.cloud.firestore`` client."""

    def __init__(self) -> None:
        from google.cloud import firestore

        self.client = firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])
        self.pool = ThreadPoolExecutor(8, thread_name_prefix="floor")

    def close(self) -> None:
        self.pool.shutdown()
        self.client.close()

    def together(self, calls: Sequence[Callable[[], Any]]) -> list[Any]:
        """The calls run concurrently (the first in this thread, as the store's ``together``)."""
        futures = [self.pool.submit(call) for call in calls[1:]]
        return [calls[0](), *(future.result() for future in futures)]

    def queries(
        self, org_id: str, params: dict[str, str], sites: Sequence[str] | None, desc: bool = True
    ) -> list[Any]:
        """The ordered queries (one per chunk of 30 sites) of a list request's filter."""
        from google.cloud import firestore
        from google.cloud.firestore_v1.base_query import FieldFilter

        from shared.api.query import parse_list_query

        event_filter = parse_list_query({k: [v] for k, v in params.items() if k != "limit"}).filter
        direction = firestore.Query.DESCENDING if desc else firestore.Query.ASCENDING
        base = self.client.collection("orgs").document(org_id).collection("events")
        base = base.where(filter=FieldFilter("deleted", "==", False))
        for name, value in event_filter.equalities():
            base = base.where(filter=FieldFilter(name, "==", value))
        if event_filter.date_from is not None:
            base = base.where(filter=FieldFilter("triggered_at", ">=", event_filter.date_from))
        if event_filter.date_to is not None:
            base = base.where(filter=FieldFilter("triggered_at", "<=", event_filter.date_to))
        base = base.order_by("triggered_at", direction=direction).order_by("__name__", direction=direction)
        if sites is None or event_filter.site_id is not None:
            return [base]
        ordered = sorted(sites)
        chunks = [ordered[i : i + IN_LIMIT] for i in range(0, len(ordered), IN_LIMIT)]
        return [base.where(filter=FieldFilter("site_id", "in", list(chunk))) for chunk in chunks]

    @staticmethod
    def _read(query: Any, after: tuple[datetime, str] | None, count: int) -> list[Any]:
        if after is not None:
            query = query.start_after({"triggered_at": after[0], "__name__": after[1]})
        return list(query.limit(count).stream())

    @staticmethod
    def _count(query: Any) -> int:
        """Matches up to the count cap and one past it: what the API's total needs."""
        counted = query.limit(COUNT_CAP + 1).count(alias="total").get()
        return sum(int(result[0].value) for result in counted)

    def list_page(
        self, org_id: str, case: Case, sites: Sequence[str] | None, after: tuple[datetime, str] | None
    ) -> dict[str, int]:
        """A list page: each chunk's page (limit+1) and, on a first page, its count (up to the cap),
        all together; merged. A later page needs no count: its total comes with the cursor."""
        queries = self.queries(org_id, case.params, sites)
        calls: list[Callable[[], Any]] = [partial(self._read, q, after, case.limit + 1) for q in queries]
        if after is None:
            calls += [partial(self._count, q) for q in queries]
        results = self.together(calls)
        runs = results[: len(queries)]
        merged = sorted(
            (snap for run in runs for snap in run),
            key=lambda snap: (snap.get("triggered_at"), snap.id),
            reverse=True,
        )[: case.limit + 1]
        return {
            "chunks": len(queries),
            "documents": sum(len(run) for run in runs),
            "rpcs": len(calls),
            "returned": min(len(merged), case.limit),
            "total": sum(results[len(queries) :]),
        }

    def neighbours(self, org_id: str, position: tuple[datetime, str]) -> int:
        """prev/next: the two neighbour queries together; documents read."""
        newer = self.queries(org_id, {}, None, desc=False)[0]
        older = self.queries(org_id, {}, None)[0]
        runs = self.together(
            [partial(self._read, newer, position, 1), partial(self._read, older, position, 1)]
        )
        return sum(len(run) for run in runs)

    def get(self, org_id: str, event_id: str) -> dict[str, int]:
        snap = self.client.collection("orgs").document(org_id).collection("events").document(event_id).get()
        read = self.neighbours(org_id, (snap.get("triggered_at"), snap.id))
        return {"documents": 1 + read, "rpcs": 3}

    def patch(self, org_id: str, event_id: str, notes: str) -> dict[str, int]:
        from google.cloud import firestore

        ref = self.client.collection("orgs").document(org_id).collection("events").document(event_id)

        @firestore.transactional  # type: ignore[untyped-decorator]
        def change(transaction: Any) -> Any:
            snap = ref.get(transaction=transaction)
            now = datetime.now(UTC)
            transaction.update(ref, {"notes": notes})
            transaction.create(
                ref.collection("history").document(),
                {"at": now, "by": {"kind": "user", "id": "floor"}, "action": "update", "changes": {}},
            )
            return snap

        snap = change(self.client.transaction())
        read = self.neighbours(org_id, (snap.get("triggered_at"), snap.id))
        return {"documents": 1 + read, "rpcs": 5}  # begin, get, commit, two neighbour queries

    def export(self, org_id: str) -> int:
        """An export's reads: the count, then every row at the count's time in pages of 500."""
        query = self.queries(org_id, {}, None)[0]
        results = query.count(alias="total").get()
        total = int(results[0][0].value)
        read_time = results[0][0].read_time
        rows = 0
        after: tuple[datetime, str] | None = None
        while rows < total:
            q = (
                query
                if after is None
                else query.start_after({"triggered_at": after[0], "__name__": after[1]})
            )
            page = list(q.limit(min(EXPORT_PAGE, total - rows)).stream(read_time=read_time))
            rows += len(page)
            if not page:
                break
            after = (page[-1].get("triggered_at"), page[-1].id)
        return rows


# -- the HTTP floor: bare functions behind the same gateway ------------------------------------------

FLOOR_PREFIX = "/__floor/"
FLOOR_FUNCTIONS = ("floor_list", "floor_get", "floor_patch", "floor_export")


class WithFloor:
    """The local gateway's app, and the bare functions of ``bench.bare_functions`` at
    ``/__floor/<function>`` beside it: one server, one hop, for the API and its floor."""

    def __init__(self) -> None:
        import functions_framework

        from bench import bare_functions
        from devstack.gateway import Gateway

        self.gateway = Gateway()
        source = str(Path(bare_functions.__file__))
        self.floor = {name: functions_framework.create_app(name, source, "http") for name in FLOOR_FUNCTIONS}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith(FLOOR_PREFIX) and path[len(FLOOR_PREFIX) :] in self.floor:
            return self.floor[path[len(FLOOR_PREFIX) :]]({**environ, "PATH_INFO": "/"}, start_response)
        return self.gateway(environ, start_response)


class HttpFloor:
    """The bare functions through the gateway: the same queries as :class:`Floor`, over HTTP."""

    def __init__(self, base: str, failures: list[str]) -> None:
        self.base = base + FLOOR_PREFIX
        self.session = requests.Session()
        self.session.trust_env = False
        self.failures = failures

    def _call(self, method: str, function: str, spec: dict[str, Any]) -> dict[str, Any]:
        answer = self.session.request(
            method, self.base + function, params={"spec": json.dumps(spec)}, timeout=REQUEST_TIMEOUT
        )
        if answer.status_code != 200:
            self.failures.append(f"{function}: {answer.status_code} {answer.text[:300]}")
            return {}
        body: dict[str, Any] = answer.json()
        return body

    def list_page(
        self, org_id: str, case: Case, sites: Sequence[str] | None, after: tuple[datetime, str] | None
    ) -> dict[str, Any]:
        return self._call("GET", "floor_list", list_spec(org_id, case.params, sites, after, COUNT_CAP))

    def get(self, org_id: str, event_id: str) -> dict[str, Any]:
        return self._call("GET", "floor_get", {"org": org_id, "id": event_id})

    def patch(self, org_id: str, event_id: str, notes: str) -> dict[str, Any]:
        return self._call("PATCH", "floor_patch", {"org": org_id, "id": event_id, "notes": notes})

    def export(self, spec: dict[str, Any]) -> str:
        """The bare export's CSV (its rows are its lines)."""
        answer = self.session.get(
            self.base + "floor_export", params={"spec": json.dumps(spec)}, timeout=REQUEST_TIMEOUT
        )
        if answer.status_code != 200:
            self.failures.append(f"floor_export: {answer.status_code} {answer.text[:300]}")
        return answer.text


# -- the API through the gateway --------------------------------------------------------------------


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.trust_env = False
        self.failures: list[str] = []

    def call(
        self, method: str, path: str, token: str, params: dict[str, str] | None = None, body: Any = None
    ) -> requests.Response:
        from shared import media

        media.CACHE.clear()  # every answer signs its URLs on a cold cache
        answer = self.session.request(
            method,
            self.base + path,
            params=params,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=REQUEST_TIMEOUT,
        )
        answer.content  # noqa: B018 - the body is part of the request's time
        if answer.status_code != 200:
            self.failures.append(f"{method} {path} {params}: {answer.status_code} {answer.text[:300]}")
        elif "X-Store-Cost" not in answer.headers:
            self.failures.append(f"{method} {path}: no X-Store-Cost header")
        return answer


def store_cost(answer: requests.Response) -> dict[str, dict[str, int]]:
    from shared.store.meter import parse_header

    return parse_header(answer.headers.get("X-Store-Cost", ""))


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def summarise(values: Sequence[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p90": percentile(values, 90)}


def cursor_for(
    api: Api, floor: Floor, org: Org, case: Case
) -> tuple[str | None, tuple[datetime, str] | None]:
    """The API cursor of page ``case.page`` (followed through the API's own ``next_cursor``, untimed)
    and the floor's position of the same page (None, None: page 1)."""
    if case.page == 1:
        return None, None
    token = org.tokens[case.role]
    api_cursor: str | None = None
    for _ in range(case.page - 1):
        params = dict(case.params) | ({"cursor": api_cursor} if api_cursor else {})
        api_cursor = api.call("GET", "/api/v1/events", token, params).json()["next_cursor"]
        if api_cursor is None:
            raise RuntimeError(f"{case.name}: the org of {org.size} has no page {case.page}")
    skip = (case.page - 1) * case.limit - 1
    query = floor.queries(org.org_id, case.params, VIEWER_SITES[case.role])[0]
    snap = next(iter(query.offset(skip).limit(1).stream()))
    return api_cursor, (snap.get("triggered_at"), snap.id)


def measure_size(
    api: Api, floor: Floor, http_floor: HttpFloor, org: Org, repeat: int, viewer_max_size: int
) -> dict[str, Any]:
    """Every case of one org: the API, the HTTP floor and the in-process floor in turn (which goes
    first rotates); raw figures."""
    results: dict[str, Any] = {}
    patches = iter(range(10**9))
    for case in (*LIST_CASES, *OTHER_CASES):
        if case.role != "admin" and org.size > viewer_max_size:
            print(f"  {case.name:30} not measured above {viewer_max_size:,} events (--viewer-max-size)")
            continue
        api_ms: list[float] = []
        floor_ms: list[float] = []
        http_ms: list[float] = []
        costs: list[dict[str, dict[str, int]]] = []
        floor_reads: list[dict[str, int]] = []
        http_reads: list[dict[str, Any]] = []
        sites = VIEWER_SITES[case.role]
        token = org.tokens[case.role]
        api_cursor, position = cursor_for(api, floor, org, case) if case.kind == "list" else (None, None)

        def run_api(case: Case = case, token: str = token, api_cursor: str | None = api_cursor) -> Any:
            if case.kind == "list":
                params = dict(case.params) | ({"cursor": api_cursor} if api_cursor else {})
                return api.call("GET", "/api/v1/events", token, params)
            if case.kind == "get":
                return api.call("GET", f"/api/v1/events/{org.get_id}", token)
            event_id = org.patch_ids[next(patches) % len(org.patch_ids)]
            return api.call("PATCH", f"/api/v1/events/{event_id}", token, body={"notes": uuid.uuid4().hex})

        def run_floor(
            case: Case = case,
            sites: Sequence[str] | None = sites,
            position: Any = position,
            floor: Floor | HttpFloor = floor,
        ) -> dict[str, Any]:
            if case.kind == "list":
                return floor.list_page(org.org_id, case, sites, position)
            if case.kind == "get":
                return floor.get(org.org_id, org.get_id)
            event_id = org.patch_ids[next(patches) % len(org.patch_ids)]
            return floor.patch(org.org_id, event_id, uuid.uuid4().hex)

        run_http = partial(run_floor, floor=http_floor)
        run_api()  # warm-up, not counted
        run_floor()
        run_http()
        for index in range(repeat):
            for which in (index % 3, (index + 1) % 3, (index + 2) % 3):
                if which == 0:
                    ms, answer = timed(run_api)
                    api_ms.append(ms)
                    costs.append(store_cost(answer))
                    if case.kind == "list" and answer.status_code == 200:
                        body = answer.json()
                        if any(item.get("snapshot_url") is None for item in body["data"]):
                            api.failures.append(f"{case.name}: an event without a signed snapshot URL")
                elif which == 1:
                    ms, reads = timed(run_http)
                    http_ms.append(ms)
                    http_reads.append(reads)
                else:
                    ms, reads = timed(run_floor)
                    floor_ms.append(ms)
                    floor_reads.append(reads)
        entry: dict[str, Any] = {
            "kind": case.kind,
            "params": case.params,
            "role": case.role,
            "page": case.page,
            "api_ms": api_ms,
            "floor_http_ms": http_ms,
            "floor_ms": floor_ms,
            "api": summarise(api_ms),
            "floor_http": summarise(http_ms),
            "floor": summarise(floor_ms),
            "store_cost": costs,
            "floor_reads": floor_reads,
        }
        entry["ratio_p50"] = entry["api"]["p50"] / entry["floor_http"]["p50"]
        entry["ratio_p90"] = entry["api"]["p90"] / entry["floor_http"]["p90"]
        entry["ratio_p50_in_process"] = entry["api"]["p50"] / entry["floor"]["p50"]
        entry["ratio_p90_in_process"] = entry["api"]["p90"] / entry["floor"]["p90"]
        if {reads.get("documents") for reads in http_reads} != {reads["documents"] for reads in floor_reads}:
            api.failures.append(f"{case.name}: the HTTP floor read other documents than the in-process one")
        if case.kind == "list":
            extras = [
                page_extra(cost.get("events", {}), reads)
                for cost, reads in zip(costs, floor_reads, strict=True)
            ]
            entry["reads_per_page_extra"] = max(extras)
            entry["chunks"] = floor_reads[0]["chunks"]
        results[case.name] = entry
        print(
            f"  {case.name:30} api p50 {entry['api']['p50']:7.1f} ms"
            f"  floor http {entry['floor_http']['p50']:7.1f} ms x{entry['ratio_p50']:.2f}"
            f"  in-process {entry['floor']['p50']:7.1f} ms x{entry['ratio_p50_in_process']:.2f}"
            f"  cost {_cost_text(costs[-1])}",
            flush=True,
        )
    return results


def page_extra(events: dict[str, int], floor: dict[str, int]) -> int:
    """Documents read beyond N+1 per chunk (what the floor read: min(N+1, what the chunk has)) plus
    RPCs beyond one query per chunk and, on a first page, one count per chunk (the floor's)."""
    documents = events.get("documents", 0) - floor["documents"]
    rpcs = events.get("rpcs", 0) - floor["rpcs"]
    return documents + rpcs


def _cost_text(cost: dict[str, dict[str, int]]) -> str:
    return " ".join(
        f"{purpose}:{values.get('rpcs', 0)}r/{values.get('documents', 0)}d"
        for purpose, values in sorted(cost.items())
    )


# -- export ----------------------------------------------------------------------------------------


def measure_export(api: Api, floor: Floor, http_floor: HttpFloor, org: Org, repeat: int) -> dict[str, Any]:
    """Rows/s of the API's CSV export (streamed through the gateway, also written to the bucket), of
    the bare export function behind the same gateway (count + paged scan as CSV, also uploaded) and of
    the in-process floor's count + paged scan, in turn."""
    from shared.config import settings

    rates: dict[str, list[float]] = {"api": [], "floor_http": [], "floor": []}
    token = org.tokens["admin"]
    spec = {"org": org.org_id, "bucket": settings().export_bucket}

    def run(which: str) -> tuple[float, int]:
        if which == "api":
            ms, answer = timed(lambda: api.call("GET", "/api/v1/events/export", token))
            return ms, int(answer.headers.get("X-Export-Rows", "0"))
        if which == "floor_http":
            ms, text = timed(lambda: http_floor.export(spec))
            return ms, sum(1 for _ in csv.reader(io.StringIO(text)))
        return timed(lambda: floor.export(org.org_id))

    for index in range(repeat + 1):
        names = list(rates)
        for which in names[index % 3 :] + names[: index % 3]:
            ms, rows = run(which)
            if rows != org.size:
                api.failures.append(f"{which} export of {org.org_id}: {rows} rows, expected {org.size}")
            if index:  # the first round warms up
                rates[which].append(rows / ms * 1000)
    medians = {which: statistics.median(values) for which, values in rates.items()}
    print(
        f"  export: api {medians['api']:.0f} rows/s, floor http {medians['floor_http']:.0f} rows/s, "
        f"in-process {medians['floor']:.0f} rows/s",
        flush=True,
    )
    return {
        "rows": org.size,
        "api_rows_per_s": rates["api"],
        "floor_http_rows_per_s": rates["floor_http"],
        "floor_rows_per_s": rates["floor"],
        "api_median_rows_per_s": medians["api"],
        "floor_http_median_rows_per_s": medians["floor_http"],
        "floor_median_rows_per_s": medians["floor"],
        "ratio": medians["api"] / medians["floor"],
        "ratio_http": medians["api"] / medians["floor_http"],
    }


def measure_memory(rows: int, org: Org | None) -> dict[str, Any]:
    """``bench.export_memory``'s figures (peak traced MB of the real export path and of a plain scan)
    for an org of ``rows`` events (the measured org of that size, else a fresh bulk-loaded one)."""
    from bench.export_memory import check_object, export_all, scan_all, traced

    load_seconds = 0.0
    if org is None:
        org_id = f"bench-suite-memory-{rows}-{uuid.uuid4().hex[:6]}"
        load_seconds = bulk_load(org_id, rows)
    else:
        org_id = org.org_id
    scan = traced(partial(scan_all, org_id))
    export = traced(partial(export_all, org_id))
    check_object(export["object"], export["bytes"], export["rows"])
    if scan["rows"] != rows or export["rows"] != rows:
        raise RuntimeError(f"memory at {rows}: scan {scan['rows']} rows, export {export['rows']}")
    print(
        f"  memory {rows} rows: export peak {export['peak_mb']:.2f} MB ({export['seconds']:.1f}s), "
        f"scan peak {scan['peak_mb']:.2f} MB",
        flush=True,
    )
    return {"rows": rows, "load_seconds": load_seconds, "scan": scan, "export": export}


# -- cold start -------------------------------------------------------------------------------------


def measure_cold_start(workdir: Path, repeat: int, only: Sequence[str] = ()) -> dict[str, Any]:
    """``bench.cold_start``'s measure for every function and the bare functions that do the same
    first request, round robin after one untimed warm-up each; medians and ratios (to the function's
    own baseline, and to the one that only imports Firestore)."""
    from bench.cold_start import baseline_of, cold_start, figures, rotated, targets

    org = f"bench-suite-cold-{uuid.uuid4().hex[:6]}"
    deletes = repeat + 1
    ids = seed_with_media(org, deletes + 20)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    chosen = [t for t in targets(org, ids, deletes) if not only or t.name in only]
    log = workdir / "functions-framework.log"
    runs: dict[str, list[float]] = {t.name: [] for t in chosen}
    statuses: dict[str, list[int]] = {t.name: [] for t in chosen}
    for target in chosen:
        cold_start(target, deletes - 1, env, log)
    for run in range(repeat):
        for target in rotated(chosen, run):
            seconds, status = cold_start(target, run, env, log)
            runs[target.name].append(seconds)
            statuses[target.name].append(status)
    cold = figures(runs, statuses, repeat)
    print(
        f"  cold start: worst {cold['worst_function']} {cold['worst_ratio']:.2f}x its baseline "
        f"({baseline_of(cold['worst_function'])}); {cold['worst_ratio_to_import_only']:.2f}x at worst "
        f"against importing Firestore only ({cold['baseline_s']:.3f}s)",
        flush=True,
    )
    return cold


# -- signing ----------------------------------------------------------------------------------------


class SimulatedSignBlob:
    """IAM signBlob with a simulated round trip: sleeps ``rtt`` seconds, then signs (HMAC)."""

    remote = True

    def __init__(self, rtt: float) -> None:
        from shared.url_signing import HmacSigner

        self.rtt = rtt
        self._hmac = HmacSigner("bench-signblob@novavms-bench.iam.gserviceaccount.com", "bench-simulated")
        self.algorithm = self._hmac.algorithm
        self.credential_id = self._hmac.credential_id

    def sign(self, string_to_sign: bytes, datestamp: str) -> str:
        time.sleep(self.rtt)
        return self._hmac.sign(string_to_sign, datestamp)


def measure_signing(repeat: int, rtt_ms: float) -> dict[str, Any]:
    """ms to sign 100 URLs on a cold cache through ``shared.media.signed_urls``: the production signer
    (HMAC, local) and a simulated IAM signBlob (``rtt_ms`` each, 8 at a time as for remote signers)."""
    from shared import media

    names = [f"bench/{uuid.uuid4()}/snapshot.jpg" for _ in range(100)]

    def cold(rounds: int) -> list[float]:
        values = []
        for _ in range(rounds):
            media.CACHE.clear()
            ms, urls = timed(lambda: media.signed_urls(names))
            if any(url is None for url in urls):
                raise RuntimeError("signing returned no URL")
            values.append(ms)
        return values

    cold(3)  # warm-up: the signer is built, the day's key derived
    hmac_ms = cold(repeat)
    media.CACHE.clear()
    media.signed_urls(names)
    warm_ms = [timed(lambda: media.signed_urls(names))[0] for _ in range(repeat)]
    with mock.patch.object(media, "signer", lambda: SimulatedSignBlob(rtt_ms / 1000)):
        iam_ms = cold(max(3, repeat // 10))
    media.CACHE.clear()
    result = {
        "urls": len(names),
        "rtt_ms": rtt_ms,
        "hmac_cold_ms": hmac_ms,
        "hmac_cold_median_ms": statistics.median(hmac_ms),
        "hmac_warm_cache_median_ms": statistics.median(warm_ms),
        "iam_signblob_cold_ms": iam_ms,
        "iam_signblob_cold_median_ms": statistics.median(iam_ms),
        "iam_threads": media.IAM_SIGNING_THREADS,
    }
    print(
        f"  signing 100 URLs, cold cache: hmac {result['hmac_cold_median_ms']:.2f} ms, "
        f"simulated signBlob at {rtt_ms:.0f} ms {result['iam_signblob_cold_median_ms']:.0f} ms",
        flush=True,
    )
    return result


# -- outputs ----------------------------------------------------------------------------------------


def others_of(out: Path, results: dict[str, Any]) -> dict[str, Any]:
    """What other benchmarks merged into ``out`` (kept beside the suite's figures), and
    ``measured_at``: the commit and time of each benchmark's figures, the suite's included (figures
    merged before benchmarks recorded theirs are listed as ``unrecorded``)."""
    existing: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    if existing.get("benchmark") != "suite":  # a smoke's fresh --out, or another file: nothing to keep
        existing = {}
    measured_at: dict[str, Any] = dict(existing.pop("measured_at", {}))
    kept = {key: value for key, value in existing.items() if key not in results}
    recorded = {key for entry in measured_at.values() for key in entry.get("keys", [])}
    unrecorded = sorted(set(kept) - recorded)
    if unrecorded:
        measured_at["unrecorded"] = {"commit": "before this record was kept", "keys": unrecorded}
    measured_at["suite"] = {"commit": results["commit"], "date": results["date"], "keys": sorted(results)}
    return {**kept, "measured_at": measured_at}


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The top-level keys and the goals."""
    sizes: dict[str, Any] = results["sizes"]

    def worst(key: str) -> tuple[dict[str, float], str, tuple[float, str]]:
        """The worst list case's ratio ``key`` by size, the size the headline reads, and that case."""
        by_size = {
            size: max(case[key] for case in data["cases"].values() if case["kind"] == "list")
            for size, data in sizes.items()
        }
        at = "10000" if "10000" in by_size else max(by_size, key=lambda s: (int(s) <= 10000, int(s)))
        case = max((c[key], name) for name, c in sizes[at]["cases"].items() if c["kind"] == "list")
        return by_size, at, case

    by_size, ratio_size, worst_case = worst("ratio_p50")
    in_process_by_size, _, in_process_case = worst("ratio_p50_in_process")
    extra = max(
        case["reads_per_page_extra"]
        for data in sizes.values()
        for case in data["cases"].values()
        if case["kind"] == "list"
    )
    exports = results["export"]
    export_key = max(exports, key=int)
    memory = results["export_memory"]
    growth = memory[-1]["export"]["peak_mb"] - memory[0]["export"]["peak_mb"]
    signing = results["signing"]
    cold = results["cold_start"]
    values = {
        "list_p50_ratio": worst_case[0],
        "list_p50_ratio_case": worst_case[1],
        "list_p50_ratio_size": int(ratio_size),
        "list_p50_ratio_by_size": {size: by_size[size] for size in sizes},
        "list_p50_ratio_floor": "a bare Flask + Firestore function behind the same local gateway",
        "list_p50_ratio_in_process": in_process_case[0],
        "list_p50_ratio_in_process_case": in_process_case[1],
        "list_p50_ratio_in_process_by_size": {size: in_process_by_size[size] for size in sizes},
        "reads_per_page_extra": extra,
        "export_rows_per_s_ratio": exports[export_key]["ratio"],
        "export_rows_per_s_ratio_rows": int(export_key),
        "export_rows_per_s_ratio_http": exports[export_key]["ratio_http"],
        "export_peak_mb_by_rows": {str(m["rows"]): m["export"]["peak_mb"] for m in memory},
        "export_peak_growth_mb": growth,
        "signing_ms_per_100_urls_at_50ms_rtt": signing["hmac_cold_median_ms"],
        "signing_iam_ms_per_100_urls_at_50ms_rtt": signing["iam_signblob_cold_median_ms"],
        "cold_start_worst_ratio": cold["worst_ratio"],
        "cold_start_worst_function": cold["worst_function"],
        "cold_start_worst_ratio_to_import_only": cold["worst_ratio_to_import_only"],
    }
    values["goals"] = {
        "list_p50_ratio <= 1.2 at every size (flat 1k-50k)": max(by_size.values()) <= GOALS["list_p50_ratio"],
        "reads_per_page_extra == 0": extra == GOALS["reads_per_page_extra"],
        "export_rows_per_s_ratio >= 0.9": values["export_rows_per_s_ratio"]
        >= GOALS["export_rows_per_s_ratio"],
        "export peak memory flat (growth < 1 MB)": growth < 1.0,
        "signing 100 URLs cold < 10 ms": values["signing_ms_per_100_urls_at_50ms_rtt"]
        < GOALS["signing_ms_per_100_urls_at_50ms_rtt"],
        "cold start <= 1.3x baseline, every function": cold["worst_ratio"] <= GOALS["cold_start_ratio"],
    }
    return values


def table(results: dict[str, Any]) -> str:
    """The Markdown the benchmarks guide shows: list/get/PATCH p50 per size, then the headline figures."""
    sizes = list(results["sizes"])
    names = list(results["sizes"][sizes[0]]["cases"])
    headers = ["case"]
    for size in sizes:
        label = f"{int(size) // 1000}k" if int(size) >= 1000 else size
        headers += [
            f"{label} API ms",
            f"{label} floor ms (HTTP / in-process)",
            f"{label} x (HTTP / in-process)",
        ]
    rows: list[list[object]] = []
    for name in names:
        row: list[object] = [name]
        for size in sizes:
            case = results["sizes"][size]["cases"].get(name)
            if case is None:
                row += ["not measured", "", ""]
                continue
            row += [
                f"{case['api']['p50']:.1f}",
                f"{case['floor_http']['p50']:.1f} / {case['floor']['p50']:.1f}",
                f"{case['ratio_p50']:.2f} / {case['ratio_p50_in_process']:.2f}",
            ]
        rows.append(row)
    lines = [
        markdown_table(headers, rows),
        "",
        "The HTTP floor is a bare Flask + Firestore function behind the same local gateway (the same hop as "
        "the API); the in-process floor is a bare Firestore client in the benchmark's process (no HTTP).",
        "",
    ]
    h = results
    lines.append("| figure | value | goal | met |")
    lines.append("|---|---|---|---|")
    met = list(h["goals"].values())
    memory = ", ".join(f"{int(r):,} rows {mb:.2f} MB" for r, mb in h["export_peak_mb_by_rows"].items())
    figures = [
        (
            f"`list_p50_ratio` (worst list case at {h['list_p50_ratio_size']:,}: {h['list_p50_ratio_case']})",
            f"{h['list_p50_ratio']:.2f} (by size: "
            + ", ".join(f"{int(s):,}: {v:.2f}" for s, v in h["list_p50_ratio_by_size"].items())
            + ")",
            "≤ 1.2, flat",
            met[0],
        ),
        (
            f"`list_p50_ratio_in_process` (against a bare client without HTTP; worst at "
            f"{h['list_p50_ratio_size']:,}: {h['list_p50_ratio_in_process_case']})",
            f"{h['list_p50_ratio_in_process']:.2f} (by size: "
            + ", ".join(f"{int(s):,}: {v:.2f}" for s, v in h["list_p50_ratio_in_process_by_size"].items())
            + ")",
            "reported",
            True,
        ),
        ("`reads_per_page_extra`", str(h["reads_per_page_extra"]), "0", met[1]),
        (
            f"`export_rows_per_s_ratio` ({h['export_rows_per_s_ratio_rows']:,} rows)",
            f"{h['export_rows_per_s_ratio']:.2f} against the in-process scan "
            f"({h['export_rows_per_s_ratio_http']:.2f} against the bare export function behind the gateway)",
            "≥ 0.9",
            met[2],
        ),
        (
            "export peak memory",
            f"{memory} (growth {h['export_peak_growth_mb']:+.2f} MB)",
            "flat",
            met[3],
        ),
        (
            "`signing_ms_per_100_urls_at_50ms_rtt` (HMAC, cold cache)",
            f"{h['signing_ms_per_100_urls_at_50ms_rtt']:.2f} ms (IAM signBlob at 50 ms: "
            f"{h['signing_iam_ms_per_100_urls_at_50ms_rtt']:.0f} ms)",
            "< 10 ms",
            met[4],
        ),
        (
            "cold start, worst function / a bare Flask + Firestore function doing the same first request "
            f"({h['cold_start_worst_function']})",
            f"{h['cold_start_worst_ratio']:.2f}x (against a function that only imports Firestore: "
            f"{h['cold_start_worst_ratio_to_import_only']:.2f}x)",
            "≤ 1.3x",
            met[5],
        ),
    ]
    for label, value, goal, met in figures:
        lines.append(f"| {label} | {value} | {goal} | {'yes' if met else '**no**'} |")
    lines.append("")
    lines.append(
        f"Commit {h['commit']}, {h['date']}; {h['settings']['repeat']} repetitions per case; {h['machine']}."
    )
    return "\n".join(lines)


def write_table(path: Path, text: str) -> None:
    """Between the markers of ``path`` (docs/benchmarks.md); a file without them must be new
    (``table.md``)."""
    block = f"{START_MARKER}\n{text}\n{END_MARKER}"
    current = path.read_text() if path.exists() else None
    if current is None:
        path.write_text(block + "\n")
    elif START_MARKER in current and END_MARKER in current:
        head, _, rest = current.partition(START_MARKER)
        _, _, tail = rest.partition(END_MARKER)
        path.write_text(head + block + tail)
    elif path.name == "table.md":
        path.write_text(block + "\n")
    else:
        raise RuntimeError(
            f"{path} has no {START_MARKER} ... {END_MARKER} markers to write the table between"
        )
    print(f"wrote the table into {path}")


def plot(results: dict[str, Any], path: Path) -> None:
    """p50 of each list case against org size: the API (solid), the bare function behind the same
    gateway (dash-dot) and the in-process bare client (dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(size) for size in results["sizes"]]
    names = [
        name for name, case in results["sizes"][str(sizes[0])]["cases"].items() if case["kind"] == "list"
    ]
    columns = 4
    rows = -(-len(names) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows), squeeze=False)
    for index, name in enumerate(names):
        ax = axes[index // columns][index % columns]
        measured = [s for s in sizes if name in results["sizes"][str(s)]["cases"]]
        api = [results["sizes"][str(s)]["cases"][name]["api"]["p50"] for s in measured]
        floor = [results["sizes"][str(s)]["cases"][name]["floor"]["p50"] for s in measured]
        http = [results["sizes"][str(s)]["cases"][name]["floor_http"]["p50"] for s in measured]
        ax.plot(measured, api, "o-", label="API (gateway)")
        ax.plot(measured, http, "^-.", label="floor: bare function (gateway)")
        ax.plot(measured, floor, "s--", label="floor: bare client (in-process)")
        ax.set_title(name, fontsize=9)
        ax.set_xscale("log")
        ax.set_ylim(bottom=0)
        ax.set_xlabel("events in org", fontsize=8)
        ax.set_ylabel("p50 ms", fontsize=8)
        ax.tick_params(labelsize=7)
        if index == 0:
            ax.legend(fontsize=7)
    for index in range(len(names), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.suptitle(
        f"List p50 latency against org size, API vs floors ({results['commit'][:12]}, {results['date']})"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    print(f"wrote {path}")


# -- main -------------------------------------------------------------------------------------------


def render(results: dict[str, Any], out: Path) -> None:
    """The plot beside ``out`` and the table: into docs/benchmarks.md for the committed results, else
    ``table.md`` beside ``out``."""
    plot(results, out.parent / "latency.png")
    markdown = table(results)
    write_table(BENCHMARKS_GUIDE if out == DEFAULT_OUT else out.parent / "table.md", markdown)
    print()
    print(markdown)


@contextlib.contextmanager
def gateway(workdir: Path) -> Iterator[str]:
    """The local gateway with the bare functions beside it (:class:`WithFloor`); its base URL."""
    with service_logs(workdir / "service.log"), serving(WithFloor()) as base:
        yield base


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="org sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=6, help="measured requests per case, API and floor")
    parser.add_argument("--smoke", action="store_true", help="a tiny run: one org of 500, 2 repetitions")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="the JSON results (default: the committed one)"
    )
    parser.add_argument("--memory-rows", default="10000,50000", help="rows of the export memory figures")
    parser.add_argument(
        "--export-max", type=int, default=10000, help="largest org whose export rate is measured"
    )
    parser.add_argument(
        "--export-repeat", type=int, default=3, help="measured exports per size, API and floor"
    )
    parser.add_argument("--cold-repeat", type=int, default=5, help="cold starts per function")
    parser.add_argument("--rtt-ms", type=float, default=50.0, help="the simulated signBlob round trip")
    parser.add_argument("--heap", default="-Xmx2g", help="JAVA_TOOL_OPTIONS of the Firestore emulator")
    parser.add_argument(
        "--viewer-max-size",
        type=int,
        default=10000,
        help="measure the viewer cases only in orgs up to this size (the emulator's `in` queries are slow)",
    )
    parser.add_argument(
        "--render", action="store_true", help="measure nothing: redraw the plot and table from --out"
    )
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    if args.render:
        render(json.loads(out.read_text()), out)
        return 0
    if args.smoke:
        if out == DEFAULT_OUT:
            parser.error("--smoke needs an --out of its own (it never writes the committed results)")
        args.sizes, args.repeat, args.memory_rows = "500", 2, "500,1000"
        args.export_repeat, args.cold_repeat = 1, 1
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    memory_rows = sorted({int(s) for s in args.memory_rows.split(",")})
    if not sizes or sizes[0] < 100 or args.repeat < 1:
        parser.error("--sizes: at least 100 events each; --repeat: at least 1")
    out.parent.mkdir(parents=True, exist_ok=True)
    require_clean_tree(out)

    began = time.perf_counter()
    from bench.cold_start import SCHEDULER_ACCOUNT, SCHEDULER_AUDIENCE

    extra_env = {
        # Every first page counts, as the floor's does (an instance would reuse a count for 5 s).
        "EVENTS_COUNT_CACHE_SECONDS": "0",
        "EVENT_EXPORT_MAX_ROWS": str(max([*memory_rows, args.export_max]) + 1),
        "EVENTS_SCHEDULER_SERVICE_ACCOUNT": SCHEDULER_ACCOUNT,
        "EVENTS_SCHEDULER_AUDIENCE": SCHEDULER_AUDIENCE,
        "EVENTS_SCHEDULER_VERIFY_SIGNATURE": "false",
    }
    results: dict[str, Any] = {
        "benchmark": "suite",
        **provenance(),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
        "emulators and gateway on the same cores",
        "settings": {
            "sizes": sizes,
            "repeat": args.repeat,
            "memory_rows": memory_rows,
            "export_max": args.export_max,
            "cold_repeat": args.cold_repeat,
            "rtt_ms": args.rtt_ms,
            "smoke": args.smoke,
            "viewer_max_size": args.viewer_max_size,
            "rate_limit_per_minute": BENCH_ENV.get("EVENTS_RATE_LIMIT_PER_MINUTE"),
        },
        "sizes": {},
        "export": {},
    }
    timings: dict[str, float] = {}
    with bench_stack(heap=args.heap, extra_env=extra_env) as stack:
        print(
            f"emulators: firestore {stack.emulators.firestore_host}, storage {stack.emulators.storage_host}"
        )
        started = time.perf_counter()
        results["signing"] = measure_signing(200 if not args.smoke else 10, args.rtt_ms)
        results["cold_start"] = measure_cold_start(
            stack.workdir,
            args.cold_repeat,
            ("baseline", "bare_list", "bare_get", "list_events", "get_event") if args.smoke else (),
        )
        timings["signing_and_cold_start_s"] = time.perf_counter() - started
        floor = Floor()
        orgs: dict[int, Org] = {}
        with gateway(stack.workdir) as base:
            api = Api(base)
            http_floor = HttpFloor(base, api.failures)
            for size in sizes:  # smallest first: each org is measured before a larger one is loaded
                org = seed_org(size)
                orgs[size] = org
                print(
                    f"org of {size:,}: loaded in {org.seed_seconds:.1f}s ({size / org.seed_seconds:.0f}/s)",
                    flush=True,
                )
                started = time.perf_counter()
                cases = measure_size(api, floor, http_floor, org, args.repeat, args.viewer_max_size)
                entry: dict[str, Any] = {
                    "org_id": org.org_id,
                    "seed_seconds": org.seed_seconds,
                    "cases": cases,
                }
                if size <= args.export_max:
                    results["export"][str(size)] = measure_export(
                        api, floor, http_floor, org, args.export_repeat
                    )
                entry["measure_seconds"] = time.perf_counter() - started
                results["sizes"][str(size)] = entry
                partial_out = out.with_name(out.stem + ".partial.json")
                partial_out.write_text(json.dumps(results, indent=2, default=str) + "\n")
            if not results["export"]:
                parser.error("--export-max: smaller than every size")
        floor.close()
        started = time.perf_counter()
        results["export_memory"] = [measure_memory(rows, orgs.get(rows)) for rows in memory_rows]
        timings["export_memory_s"] = time.perf_counter() - started
    timings["total_s"] = time.perf_counter() - began
    results["timings"] = timings
    results["failures"] = api.failures
    top = headline(results)
    results = {key: results[key] for key in ("benchmark", "commit", "date")} | top | results
    results |= others_of(out, results)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    out.with_name(out.stem + ".partial.json").unlink(missing_ok=True)
    print(f"wrote {out}")
    render(results, out)
    print(f"\ntotal {timings['total_s']:.0f}s")
    for failure in api.failures[:20]:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if api.failures else 0


if __name__ == "__main__":
    sys.exit(main())
