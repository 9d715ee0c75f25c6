"""What search adds to a list page: ``tag`` and ``q`` first pages in an org of 10k events whose text
and tags come from realistic vocabularies, through the API, against the bare Firestore queries doing
the same work. ``python -m bench.search [--events 10000] [--repeat 30] [--out bench/results.json]``.

- **API**: ``GET /api/v1/events`` with ``tag``/``q`` and ``limit=50`` through the local gateway (a
  first page: its page and its total). Before each request the URL cache is cleared (every answer
  signs its 50 snapshot URLs) and so is the instance's choice of a search's query word (every
  multi-word search counts its words' candidates, as a new search does).
- **Bare**: a plain ``google.cloud.firestore`` client in this process issuing the same queries with
  the same reads. A tag filter, or a ``q`` of one word alone, is one query: the page (limit + 1) and
  its count, together. A ``q`` of several words (or ``q`` with ``tag``) first counts each word's
  candidates together (up to the scan cap + 1) and takes the rarest (the longest on a tie), then reads
  that word's candidates newest first in batches of 500 to the end (or the scan cap) and checks the
  tags and the other words on each; the matches are the total, the first 50 the page.

Every timed page is checked: the API's ``X-Store-Cost`` (the ``events`` documents read, RPCs and
index entries counted) must equal the bare side's, and its total and page the bare side's; a
difference stops the benchmark (the comparison would not be of the same work). Merged into
``--out`` as ``search_list_p50_ratio`` (the worst case's API/bare p50 ratio), with each case under
``search``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import requests

from bench.common import (
    bench_stack,
    bulk_load,
    dev_token,
    merge_json,
    print_table,
    require_clean_tree,
    stored_shape,
)
from bench.load import percentile
from bench.suite import Floor
from devstack.factories import BASE_TIME, event_line
from shared.model.search import MAX_PREFIX, TERMS_FIELD

EVENTS = "/api/v1/events"
LIMIT = 50
GOAL = 1.2
SCAN_CAP = 5000  # EVENTS_SEARCH_SCAN_CAP's default, set for the API below
COUNT_CAP = 10_000  # EVENTS_COUNT_CAP's default: a first page counts up to it and one more


@dataclass(frozen=True)
class SearchCase:
    """One measured first page: its ``tag`` values and ``q`` text."""

    name: str
    tags: tuple[str, ...] = ()
    q: str = ""

    def params(self) -> dict[str, Any]:
        return (
            {"limit": str(LIMIT)}
            | ({"tag": list(self.tags)} if self.tags else {})
            | ({"q": self.q} if self.q else {})
        )


CASES = (
    SearchCase("tag, one value", tags=("person",)),
    SearchCase("tag, three values", tags=("animal", "cat", "dog")),
    SearchCase("q, one word", q="ladder"),
    SearchCase("q, two words", q="Courier parcel"),
    SearchCase("q, two words + tag", q="silver van", tags=("license_plate",)),
)

# -- the org: a week of events from realistic vocabularies -------------------------------------------

SITES = tuple(str(uuid.uuid5(uuid.NAMESPACE_URL, f"novavms-bench-search-site-{i}")) for i in range(4))
CAMERA_NAMES = (
    "North Gate",
    "South Gate",
    "Loading Dock East",
    "Loading Dock West",
    "Main Entrance",
    "Reception Lobby",
    "Parking Lot A",
    "Parking Lot B",
    "Warehouse Aisle 3",
    "Warehouse Aisle 7",
    "Rear Door",
    "Yard Perimeter",
    "Fuel Station",
    "Bike Shed",
    "Rooftop Plant",
    "Mail Room",
)
COLOURS = ("red", "blue", "white", "black", "grey", "silver", "green", "yellow", "orange", "brown")
PEOPLE = ("courier", "visitor", "worker", "technician", "guard", "cleaner", "jogger", "driver")
CLOTHES = ("jacket", "vest", "hoodie", "coat", "uniform", "helmet", "cap", "backpack")
CARRIED = ("parcel", "box", "bag", "ladder", "toolbox", "envelope", "crate", "trolley")
PERSON_ACTS = ("walks to", "waits at", "loiters near", "leaves through", "stops at", "runs past")
VEHICLES = (("car", "sedan"), ("car", "hatchback"), ("truck", "lorry"), ("truck", "pickup"), ("car", "van"))
VEHICLE_ACTS = ("parks at", "stops at", "reverses to", "idles near", "drives past", "turns at")
ANIMALS = ("dog", "cat", "fox", "deer")
PLACES = ("door", "gate", "dock", "fence", "barrier", "ramp", "bench", "stairs", "shutter", "kerb")
DIRECTIONS = ("north", "south", "east", "west", "towards the street", "out of frame")
WEATHER = ("in light rain", "at dusk", "under floodlights", "in bright sun", "in fog", "at night")


def scene(rng: random.Random) -> tuple[str, str | None, str | None, list[str], str]:
    """A random event's trigger, summary, narrative, tags and AI status."""
    kind = rng.choices(("person", "vehicle", "animal", "bicycle", "motion"), (20, 35, 10, 5, 30))[0]
    place, colour, weather = rng.choice(PLACES), rng.choice(COLOURS), rng.choice(WEATHER)
    direction, seconds = rng.choice(DIRECTIONS), rng.randint(4, 180)
    tags: list[str] = []
    if kind == "motion":
        return "motion", f"Motion near the {place}, nothing identified", None, [], "skipped"
    if kind == "person":
        who, wearing, act = rng.choice(PEOPLE), rng.choice(CLOTHES), rng.choice(PERSON_ACTS)
        carrying = rng.choice(CARRIED) if rng.random() < 0.5 else None
        tags = ["person"] + (["package"] if carrying in ("parcel", "box", "crate", "envelope") else [])
        holding = f" carrying a {carrying}" if carrying else ""
        summary = f"{who.capitalize()} in a {colour} {wearing}{holding} {act} the {place}"
        narrative = (
            f"A {who} wearing a {colour} {wearing} {act} the {place} {weather}{holding}. "
            f"They stay about {seconds} seconds, then head {direction}."
        )
        if rng.random() < 0.5:
            tags.append("face")
    elif kind == "vehicle":
        tag, body = rng.choice(VEHICLES)
        act = rng.choice(VEHICLE_ACTS)
        tags = [tag] + (["license_plate"] if rng.random() < 0.4 else [])
        summary = f"{colour.capitalize()} {body} {act} the {place}"
        narrative = (
            f"A {colour} {body} {act} the {place} {weather}. The engine runs for about {seconds} "
            f"seconds before it leaves {direction}."
        )
        if rng.random() < 0.15:
            tags.append("person")
            narrative += f" The {rng.choice(PEOPLE)} gets out and walks to the {rng.choice(PLACES)}."
    elif kind == "animal":
        animal = rng.choice(ANIMALS)
        tags = [animal if animal in ("dog", "cat") else "animal"]
        summary = f"{animal.capitalize()} crosses near the {place}"
        narrative = f"A {animal} crosses in front of the {place} {weather} and moves {direction}."
    else:
        tags = ["bicycle", "person"]
        summary = f"Cyclist on a {colour} bicycle passes the {place}"
        narrative = f"A cyclist on a {colour} bicycle passes the {place} {weather}, heading {direction}."
    return "ai_tag", summary, narrative, tags, "completed"


def search_documents(org_id: str, count: int, seed: int = 28) -> Iterator[tuple[str, dict[str, Any]]]:
    """``count`` events a minute apart (newest first, a week of footage for 10k) on 16 cameras over 4
    sites, each naming a snapshot and a clip, in the stored shape (search terms included)."""
    rng = random.Random(seed)
    for n in range(count):
        camera = n * 7 % len(CAMERA_NAMES)
        trigger, summary, narrative, tags, ai_status = scene(rng)
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"novavms-bench-search-{org_id}-{n}"))
        line = event_line(
            at=BASE_TIME - timedelta(minutes=n, seconds=rng.randint(0, 59)),
            camera_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"novavms-bench-search-camera-{camera}")),
            camera_name=CAMERA_NAMES[camera],
            site_id=SITES[camera % len(SITES)],
            trigger_type=trigger,
            summary=summary,
            narrative=narrative,
            tags=tags,
            ai_status=ai_status,
            snapshot_object=f"{org_id}/{event_id}/snapshot.jpg",
            clip_object=f"{org_id}/{event_id}/clip.mp4",
            starred=n % 23 == 0,
        )
        line["id"] = event_id
        yield stored_shape(line)


# -- the bare side ---------------------------------------------------------------------------------


def bare_match(data: dict[str, Any], tags: Sequence[str], query_words: Sequence[str]) -> bool:
    """Whether a stored event has one of ``tags`` (none: any event) and every query word among its
    terms (words of at most 20 characters: their term decides)."""
    has_tag = not tags or bool(set(tags) & set(data.get("tags") or ()))
    return has_tag and set(data.get(TERMS_FIELD) or ()).issuperset(query_words)


@dataclass
class Work:
    """What one first page read: its page (ids), total, and the store usage behind them."""

    ids: list[str] = field(default_factory=list)
    total: int = 0
    documents: int = 0
    rpcs: int = 0
    counted: int = 0

    def usage(self) -> dict[str, int]:
        return {"documents": self.documents, "rpcs": self.rpcs, "counted": self.counted}


class Bare:
    """A search's first page from a plain Firestore client (:class:`bench.suite.Floor`'s): the
    queries the API makes, written out here."""

    def __init__(self, floor: Floor, org_id: str) -> None:
        self.floor = floor
        self.events = floor.client.collection("orgs").document(org_id).collection("events")

    def _query(self, field_path: str, op: str, value: Any) -> Any:
        from google.cloud import firestore
        from google.cloud.firestore_v1.base_query import FieldFilter

        desc = firestore.Query.DESCENDING
        return (
            self.events.where(filter=FieldFilter("deleted", "==", False))
            .where(filter=FieldFilter(field_path, op, value))
            .order_by("triggered_at", direction=desc)
            .order_by("__name__", direction=desc)
        )

    @staticmethod
    def _tally(query: Any, up_to: int) -> int:
        return sum(int(result[0].value) for result in query.limit(up_to).count(alias="total").get())

    def page(self, case: SearchCase) -> Work:
        from shared.model.search import words

        query_words = sorted(dict.fromkeys(words(case.q)))
        tags = sorted(set(case.tags))
        if any(len(word) > MAX_PREFIX for word in query_words):
            raise ValueError("the bare check takes words of at most 20 characters (their term decides)")
        if not query_words or (len(query_words) == 1 and not tags):
            if query_words:
                query = self._query(TERMS_FIELD, "array_contains", query_words[0])
            elif len(tags) == 1:
                query = self._query("tags", "array_contains", tags[0])
            else:
                query = self._query("tags", "array_contains_any", tags)
            snaps, total = self.floor.together(
                [partial(Floor._read, query, None, LIMIT + 1), partial(self._tally, query, COUNT_CAP + 1)]
            )
            return Work([snap.id for snap in snaps[:LIMIT]], total, len(snaps), 2, total)
        return self._search(query_words, tags)

    def _search(self, query_words: list[str], tags: list[str]) -> Work:
        """Count each word's candidates (several words), read the rarest word's to the end or the cap
        and check the tags and the other words on each."""
        from shared.store.events import SCAN_BATCH  # the store's batch of candidates

        work = Work()
        chosen = query_words[0]
        if len(query_words) > 1:
            queries = [self._query(TERMS_FIELD, "array_contains", word) for word in query_words]
            counts = self.floor.together([partial(self._tally, query, SCAN_CAP + 1) for query in queries])
            work.rpcs += len(queries)
            work.counted += sum(counts)
            chosen = min(zip(counts, query_words, strict=True), key=lambda pair: (pair[0], -len(pair[1])))[1]
        query = self._query(TERMS_FIELD, "array_contains", chosen)
        after: tuple[datetime, str] | None = None
        while (share := min(SCAN_BATCH, SCAN_CAP - work.documents)) > 0:
            run = Floor._read(query, after, share)
            work.rpcs += 1
            work.documents += len(run)
            for snap in run:
                if bare_match(snap.to_dict() or {}, tags, query_words):
                    work.total += 1
                    if len(work.ids) < LIMIT:
                        work.ids.append(snap.id)
            if len(run) < share:
                break
            after = (run[-1].get("triggered_at"), run[-1].id)
        return work


# -- measuring -------------------------------------------------------------------------------------


def api_page(session: requests.Session, base: str, org_id: str, case: SearchCase) -> Work:
    """The API's first page, on a cold URL cache and without a remembered query word."""
    from shared import media
    from shared.store.events import WORD_CHOICE
    from shared.store.meter import parse_header

    media.CACHE.clear()
    WORD_CHOICE.clear()
    headers = {"Authorization": f"Bearer {dev_token(org_id, 'admin')}"}
    answer = session.get(base + EVENTS, params=case.params(), headers=headers, timeout=120)
    answer.raise_for_status()
    body = answer.json()
    if not body["total_exact"] or any(item.get("snapshot_url") is None for item in body["data"]):
        raise AssertionError(f"{case.name}: an inexact total or an unsigned snapshot: {body['total']}")
    cost = parse_header(answer.headers["X-Store-Cost"]).get("events", {})
    return Work(
        [item["id"] for item in body["data"]],
        int(body["total"]),
        cost.get("documents", 0),
        cost.get("rpcs", 0),
        cost.get("counted", 0),
    )


def same_work(case: SearchCase, api: Work, bare: Work) -> None:
    """AssertionError unless both sides answered the same page and total from the same reads."""
    if api.usage() != bare.usage():
        raise AssertionError(
            f"{case.name}: the API's store usage {api.usage()} is not the bare {bare.usage()}"
        )
    if (api.total, api.ids) != (bare.total, bare.ids):
        raise AssertionError(f"{case.name}: the API answered {api.total} matches, the bare side {bare.total}")


def measure(base: str, org_id: str, events: int, case: SearchCase, repeat: int, bare: Bare) -> dict[str, Any]:
    """p50/p90 ms of the API's first page and of the bare work, alternating which goes first, every
    round checked by :func:`same_work` (the first round warms both and is not timed)."""
    session = requests.Session()
    session.trust_env = False
    seconds: dict[str, list[float]] = {"api": [], "bare": []}
    done: dict[str, Work] = {}

    def api() -> None:
        done["api"] = api_page(session, base, org_id, case)

    def run_bare() -> None:
        done["bare"] = bare.page(case)

    for round_number in range(repeat + 1):
        order = (("api", api), ("bare", run_bare)) if round_number % 2 else (("bare", run_bare), ("api", api))
        for label, call in order:
            started = time.perf_counter()
            call()
            if round_number:
                seconds[label].append(time.perf_counter() - started)
        same_work(case, done["api"], done["bare"])
    if done["api"].total == 0:
        raise AssertionError(f"{case.name}: nothing matches")
    p50 = {label: statistics.median(values) * 1000 for label, values in seconds.items()}
    p90 = {label: percentile(values, 90) * 1000 for label, values in seconds.items()}
    work = done["bare"]
    return {
        "params": {key: value for key, value in case.params().items() if key != "limit"},
        "matches": work.total,
        "match_share": round(work.total / events, 4),
        "documents_per_page": work.documents,
        "documents_per_page_api": done["api"].documents,
        "rpcs_per_page": work.rpcs,
        "counted_per_page": work.counted,
        "api_p50_ms": round(p50["api"], 2),
        "bare_p50_ms": round(p50["bare"], 2),
        "api_p90_ms": round(p90["api"], 2),
        "bare_p90_ms": round(p90["bare"], 2),
        "ratio": round(p50["api"] / p50["bare"], 3),
        "ratio_p90": round(p90["api"] / p90["bare"], 3),
        "api_ms": [round(s * 1000, 2) for s in seconds["api"]],
        "bare_ms": [round(s * 1000, 2) for s in seconds["bare"]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="events in the org")
    parser.add_argument("--repeat", type=int, default=30, help="pages timed per case, each way")
    parser.add_argument("--out", default="bench/results.json", help="JSON file to merge the figures into")
    args = parser.parse_args(argv)
    require_clean_tree(args.out)
    org = "bench-search"
    with bench_stack(
        heap="-Xmx1g",
        extra_env={
            "EVENTS_COUNT_CACHE_SECONDS": "0",
            "EVENTS_COUNT_CAP": str(COUNT_CAP),
            "EVENTS_SEARCH_SCAN_CAP": str(SCAN_CAP),
            # the emulator has no indexes: a word's query scans every event's terms, which takes
            # seconds at 10k events (longer than the default 10 s budget on a busy machine)
            "EVENTS_STORE_DEADLINE_SECONDS": "60",
        },
    ):
        from devstack.gateway import gateway_server

        loaded = bulk_load(org, args.events, documents=search_documents(org, args.events))
        server = gateway_server(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        floor = Floor()
        bare = Bare(floor, org)
        base = f"http://127.0.0.1:{server.server_port}"
        cases = {}
        for case in CASES:
            cases[case.name] = measure(base, org, args.events, case, args.repeat, bare)
            print(f"  {case.name:22} x{cases[case.name]['ratio']:.3f}", flush=True)
        floor.close()
        server.shutdown()
    worst = max(cases, key=lambda name: cases[name]["ratio"])
    ratio = cases[worst]["ratio"]
    result = {
        "search_list_p50_ratio": ratio,
        "search": {
            "events": args.events,
            "limit": LIMIT,
            "load_seconds": round(loaded, 1),
            "repeat": args.repeat,
            "worst_case": worst,
            "goals": {f"search list p50 <= {GOAL}x bare": ratio <= GOAL},
            **cases,
        },
    }
    print_table(
        [
            "case",
            "matches",
            "docs read",
            "RPCs",
            "API p50 ms",
            "bare p50 ms",
            "x p50",
            "API p90",
            "bare p90",
            "x p90",
        ],
        [
            [
                name,
                c["matches"],
                c["documents_per_page"],
                c["rpcs_per_page"],
                c["api_p50_ms"],
                c["bare_p50_ms"],
                c["ratio"],
                c["api_p90_ms"],
                c["bare_p90_ms"],
                c["ratio_p90"],
            ]
            for name, c in cases.items()
        ],
    )
    merge_json(args.out, result, "search")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
