"""Bare Flask + Firestore functions: the floor the API is measured against when both pay the same HTTP
hop (served behind the same local gateway), and the cold-start baselines that do the same first-request
work as each function.

Each function does the minimum its answer needs with a bare ``google.cloud.firestore`` client (built on
the first request, as a function's own is): no authentication, validation, rate limit, idempotency or
response shaping. The query comes ready-made in a JSON ``spec`` (the query parameter ``spec``, or the
body), built by :func:`list_spec` from the API's own query parameters, so it is the same query the
API's store issues:

- ``floor_list``: each site chunk's page (limit+1) and, on a first page, its ``count()`` (up to the
  count cap and one more), together; merged; ``{"data", "total", ...reads}``.
- ``floor_get``: the document, then its two neighbour queries together.
- ``floor_patch``: a transaction (read, update, history entry), then the neighbour queries.
- ``floor_batch``: one read of the spec's events, one batched write of each change and its history
  entry.
- ``floor_export``: a ``count()``, then every row at the count's time in pages of 500, streamed as
  CSV and uploaded to ``gs://<spec bucket>/<spec object>`` with ``google.cloud.storage`` (a resumable
  upload finalised after the last chunk), as the export does.
- ``baseline``: answers ``ok`` (imports Firestore, does nothing).

This module imports nothing of the product (a bare function pays only for Flask, functions-framework
and Firestore; Storage is imported by the export's first request).
"""

from __future__ import annotations

import csv
import io
import json
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any

import flask
import functions_framework
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

IN_LIMIT = 30
EXPORT_PAGE = 500
UPLOAD_CHUNK_BYTES = 1024 * 1024

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _client() -> firestore.Client:
    """The process's client, built on first use (a function's first request pays for it)."""
    with _lock:
        if "client" not in _state:
            _state["client"] = firestore.Client()
            _state["pool"] = ThreadPoolExecutor(8, thread_name_prefix="bare")
        client: firestore.Client = _state["client"]
        return client


def _together(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """The calls run concurrently (the first in this thread, as the store's ``together``)."""
    _client()
    pool: ThreadPoolExecutor = _state["pool"]
    futures = [pool.submit(call) for call in calls[1:]]
    return [calls[0](), *(future.result() for future in futures)]


def _spec(request: flask.Request) -> dict[str, Any]:
    raw = request.args.get("spec")
    spec: dict[str, Any] = json.loads(raw) if raw else (request.get_json(silent=True) or {})
    return spec


def _events(org_id: str) -> Any:
    return _client().collection("orgs").document(org_id).collection("events")


def _queries(spec: dict[str, Any], descending: bool = True) -> list[Any]:
    """The ordered queries (one per chunk of 30 sites) of a spec's filter."""
    direction = firestore.Query.DESCENDING if descending else firestore.Query.ASCENDING
    base = _events(spec["org"]).where(filter=FieldFilter("deleted", "==", False))
    for name, value in spec.get("eq", []):
        base = base.where(filter=FieldFilter(name, "==", value))
    if spec.get("from"):
        base = base.where(filter=FieldFilter("triggered_at", ">=", datetime.fromisoformat(spec["from"])))
    if spec.get("to"):
        base = base.where(filter=FieldFilter("triggered_at", "<=", datetime.fromisoformat(spec["to"])))
    base = base.order_by("triggered_at", direction=direction).order_by("__name__", direction=direction)
    sites = spec.get("sites")
    if not sites:
        return [base]
    chunks = [sites[i : i + IN_LIMIT] for i in range(0, len(sites), IN_LIMIT)]
    return [base.where(filter=FieldFilter("site_id", "in", list(chunk))) for chunk in chunks]


def _read(query: Any, after: tuple[datetime, str] | None, count: int, read_time: Any = None) -> list[Any]:
    if after is not None:
        query = query.start_after({"triggered_at": after[0], "__name__": after[1]})
    return list(query.limit(count).stream(read_time=read_time))


def _count(query: Any, cap: int) -> int:
    return sum(int(result[0].value) for result in query.limit(cap + 1).count(alias="total").get())


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value for name, value in document.items()
    }


def _neighbours(org_id: str, snap: Any) -> list[list[Any]]:
    position = (snap.get("triggered_at"), snap.id)
    newer = _queries({"org": org_id}, descending=False)[0]
    older = _queries({"org": org_id})[0]
    runs: list[list[Any]] = _together(
        [partial(_read, newer, position, 1), partial(_read, older, position, 1)]
    )
    return runs


def _history_entry() -> dict[str, Any]:
    return {"at": datetime.now(UTC), "by": {"kind": "user", "id": "floor"}, "action": "update", "changes": {}}


def _answer(body: dict[str, Any]) -> flask.Response:
    return flask.Response(json.dumps(body, default=str), content_type="application/json")


@functions_framework.http  # type: ignore[untyped-decorator]
def baseline(request: flask.Request) -> str:
    """Nothing but the imports."""
    return "ok"


@functions_framework.http  # type: ignore[untyped-decorator]
def floor_list(request: flask.Request) -> flask.Response:
    """A list page of the spec's query."""
    spec = _spec(request)
    queries = _queries(spec)
    limit = int(spec["limit"])
    after = (datetime.fromisoformat(spec["after"][0]), spec["after"][1]) if spec.get("after") else None
    calls: list[Callable[[], Any]] = [partial(_read, query, after, limit + 1) for query in queries]
    if after is None:
        calls += [partial(_count, query, int(spec["count_cap"])) for query in queries]
    results = _together(calls)
    runs = results[: len(queries)]
    merged = sorted(
        (snap for run in runs for snap in run),
        key=lambda snap: (snap.get("triggered_at"), snap.id),
        reverse=True,
    )[: limit + 1]
    return _answer(
        {
            "data": [{"id": snap.id, **_plain(snap.to_dict())} for snap in merged[:limit]],
            "total": sum(results[len(queries) :]),
            "chunks": len(queries),
            "documents": sum(len(run) for run in runs),
            "rpcs": len(calls),
            "returned": min(len(merged), limit),
        }
    )


@functions_framework.http  # type: ignore[untyped-decorator]
def floor_get(request: flask.Request) -> flask.Response:
    """An event and its neighbours' ids."""
    spec = _spec(request)
    snap = _events(spec["org"]).document(spec["id"]).get()
    newer, older = _neighbours(spec["org"], snap)
    return _answer(
        {
            "event": {"id": snap.id, **_plain(snap.to_dict())},
            "prev": newer[0].id if newer else None,
            "next": older[0].id if older else None,
            "documents": 1 + len(newer) + len(older),
            "rpcs": 3,
        }
    )


@functions_framework.http  # type: ignore[untyped-decorator]
def floor_patch(request: flask.Request) -> flask.Response:
    """A transactional change with its history entry, then the neighbours' ids."""
    spec = _spec(request)
    ref = _events(spec["org"]).document(spec["id"])

    @firestore.transactional  # type: ignore[untyped-decorator]
    def change(transaction: Any) -> Any:
        snap = ref.get(transaction=transaction)
        transaction.update(ref, {"notes": spec["notes"]})
        transaction.create(
            ref.collection("history").document(),
            _history_entry(),
        )
        return snap

    snap = change(_client().transaction())
    newer, older = _neighbours(spec["org"], snap)
    return _answer(
        {
            "event": {"id": snap.id, **_plain({**(snap.to_dict() or {}), "notes": spec["notes"]})},
            "prev": newer[0].id if newer else None,
            "next": older[0].id if older else None,
            "documents": 1 + len(newer) + len(older),
            "rpcs": 5,  # begin, get, commit, two neighbour queries
        }
    )


@functions_framework.http  # type: ignore[untyped-decorator]
def floor_batch(request: flask.Request) -> flask.Response:
    """Many events changed at once: one read of them all, one batched write of each change and its
    history entry."""
    spec = _spec(request)
    client = _client()
    refs = [_events(spec["org"]).document(event_id) for event_id in spec["ids"]]
    batch = client.batch()
    changed = 0
    for snap in client.get_all(refs):
        if not snap.exists:
            continue
        batch.update(snap.reference, spec["changes"])
        batch.create(
            snap.reference.collection("history").document(),
            _history_entry(),
        )
        changed += 1
    if changed:
        batch.commit()
    return _answer({"changed": changed})


def _csv(page: list[Any]) -> bytes:
    """A page as CSV rows: the id, then every field's value in name order."""
    out = io.StringIO()
    writer = csv.writer(out)
    for snap in page:
        document = _plain(snap.to_dict())
        writer.writerow([snap.id, *(document[name] for name in sorted(document))])
    return out.getvalue().encode()


def _export_lines(spec: dict[str, Any]) -> Iterator[bytes]:
    """Every row of the spec's query at its count's time, as CSV, a page at a time."""
    query = _queries(spec)[0]
    results = query.count(alias="total").get()
    total, read_time = int(results[0][0].value), results[0][0].read_time
    rows = 0
    after: tuple[datetime, str] | None = None
    while rows < total:
        page = _read(query, after, min(EXPORT_PAGE, total - rows), read_time)
        if not page:
            return
        rows += len(page)
        yield _csv(page)
        after = (page[-1].get("triggered_at"), page[-1].id)


@functions_framework.http  # type: ignore[untyped-decorator]
def floor_export(request: flask.Request) -> flask.Response:
    """Every row streamed, and the same bytes uploaded to the spec's bucket."""
    spec = _spec(request)
    from google.cloud import storage

    with _lock:
        if "storage" not in _state:
            _state["storage"] = storage.Client()
    blob = _state["storage"].bucket(spec["bucket"]).blob(f"floor/{uuid.uuid4().hex}.csv")
    lines = _export_lines(spec)

    def body() -> Iterator[bytes]:
        with blob.open(
            "wb", chunk_size=UPLOAD_CHUNK_BYTES, content_type="text/plain", ignore_flush=True
        ) as out:
            for chunk in lines:
                out.write(chunk)
                yield chunk

    return flask.Response(body(), content_type="text/csv")


def list_spec(
    org_id: str,
    params: dict[str, str],
    sites: Sequence[str] | None,
    after: tuple[datetime, str] | None,
    count_cap: int,
) -> dict[str, Any]:
    """The spec of a list request's query: its filter as the API parses it (``shared.api.query``),
    the viewer's sites (none when it filters on one site), the page's limit and position."""
    from shared.api.query import parse_list_query

    event_filter = parse_list_query({k: [v] for k, v in params.items() if k != "limit"}).filter
    return {
        "org": org_id,
        "eq": [list(pair) for pair in event_filter.equalities()],
        "from": event_filter.date_from.isoformat() if event_filter.date_from else None,
        "to": event_filter.date_to.isoformat() if event_filter.date_to else None,
        "sites": sorted(sites) if sites is not None and event_filter.site_id is None else None,
        "limit": int(params.get("limit", "20")),
        "after": [after[0].isoformat(), after[1]] if after is not None else None,
        "count_cap": count_cap,
    }
