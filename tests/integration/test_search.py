"""``tag`` and ``q`` on the real emulators, through the gateway: each alone and combined with every other
filter and with a viewer's scope, paged with ``limit`` 3 to the end; accents, case, the prefix rule, AND
of words and each source field; notes and re-loads kept searchable; the scan cap (set low) with
``total_exact: false`` and a complete traversal; a viewer of 40 sites with 10 tags; validation; the
export, the trash and batch filters.

Every expected answer is computed here from the loaded data: each event's words are the words the
test put in its fields (lowercase, plain ASCII), and the rule is the issue's (a query word equals an
event's word, or, from 3 characters, begins one), never the product's matching code.
"""

from __future__ import annotations

import csv
import io
import os
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.tokens import stack_token
from shared.model.scope import Scope
from shared.pipeline import parse_pipeline_event
from shared.store.events import EventStore
from tests.integration.conftest import (
    BASE_TIME,
    CAMERA_A,
    CAMERA_B,
    SITE_A,
    SITE_B,
    TEST_ENV,
    Api,
    Token,
    event_line,
    reset_caches,
)
from tests.integration.test_ingest import make_key

EVENTS = "/api/v1/events"
EXPORT = f"{EVENTS}/export"
TRASH = f"{EVENTS}/deleted"
INGEST = f"{EVENTS}/ingest"
BATCH_UPDATE = f"{EVENTS}/batch-update"
BATCH_DELETE = f"{EVENTS}/batch-delete"
SITE_C = "33333333-3333-4333-8333-333333333333"
CAMERA_C = "770e8400-e29b-41d4-a716-446655440000"
CAMERA_D = "880e8400-e29b-41d4-a716-446655440000"
Params = Mapping[str, str | list[str]]
Line = dict[str, Any]

# -- the expected answers, computed from the words each event was given -------------------------------


def when(line: Line) -> datetime:
    return datetime.fromisoformat(line["triggered_at"].replace("Z", "+00:00")).astimezone(UTC)


def newest_first(lines: Sequence[Line]) -> list[str]:
    """Ids in list order: triggered_at descending, then id descending."""
    return [line["id"] for line in sorted(lines, key=lambda line: (when(line), line["id"]), reverse=True)]


def word_matches(query_word: str, event_words: set[str]) -> bool:
    """The issue's rule for one query word (both sides already lowercase ASCII)."""
    return query_word in event_words or (
        len(query_word) >= 3 and any(word.startswith(query_word) for word in event_words)
    )


def found_by(query_words: Sequence[str], event_words: set[str]) -> bool:
    return all(word_matches(word, event_words) for word in query_words)


# -- reading the API ------------------------------------------------------------------------------------


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if status != 204 else None


def traverse(api: Api, bearer: str, params: Params, path: str = EVENTS) -> tuple[list[str], list[Any]]:
    """Every id a listing answers with ``limit`` 3 (unless ``params`` sets one), following next_cursor
    to the end, and the pages."""
    query: dict[str, Any] = {"limit": "3", **params}
    pages: list[Any] = []
    while True:
        body = ok(api.get(path, bearer, params=query))
        pages.append(body)
        assert len(pages) <= 200, "the traversal does not end"
        if body["next_cursor"] is None:
            return [item["id"] for page in pages for item in page["data"]], pages
        query["cursor"] = body["next_cursor"]


def assert_traversal(api: Api, bearer: str, params: Params, expected: list[str], path: str = EVENTS) -> None:
    """Paged with limit 3 the listing gives exactly ``expected`` (so no gap, no repeat, list order),
    each page full but the last, and every page says the exact total."""
    got, pages = traverse(api, bearer, params, path)
    assert got == expected, (params, len(got), len(expected))
    assert [len(page["data"]) for page in pages[:-1]] == [3] * (len(pages) - 1), params
    assert all(page["total"] == len(expected) and page["total_exact"] for page in pages), (
        params,
        [(page["total"], page["total_exact"]) for page in pages],
    )


def ids_of(body: Any) -> list[str]:
    return [item["id"] for item in body["data"]]


def csv_ids(body: bytes) -> list[str]:
    records = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert records and records[0][0] == "id", records[:1]
    return [record[0] for record in records[1:]]


def configure(**values: int) -> None:
    """Run the service (in this process, behind the gateway) with these settings."""
    for name, value in values.items():
        os.environ[name] = str(value)
    reset_caches()


def load(org: str, lines: list[Line]) -> list[Line]:
    """Store events as the pipeline's loader does."""
    EventStore(Scope(org)).upsert_pipeline(parse_pipeline_event(line) for line in lines)
    return lines


@pytest.fixture(autouse=True)
def _many_requests() -> None:
    """The corpus's org answers several thousand list requests a minute here, past the default budget."""
    configure(EVENTS_RATE_LIMIT_PER_MINUTE=100_000)


def new_org() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"


# -- a corpus that tests only read ----------------------------------------------------------------------

CAMERAS = (  # id, site, the words of its name
    (CAMERA_A, SITE_A, ("loading", "dock", "east")),
    (CAMERA_B, SITE_A, ("north", "gate")),
    (CAMERA_C, SITE_B, ("parking", "lot")),
    (CAMERA_D, SITE_C, ("back", "alley")),
)
TAGS = ("person", "vehicle", "package", "animal", "bicycle")
SUMMARY_WORDS = ("courier", "van", "truck", "delivery", "visitor", "ladder", "doorway", "crowd")
NARRATIVE_WORDS = ("walked", "parked", "waited", "carried", "entered", "left")
NOTE_WORDS = ("suspicious", "known", "resident")
TRIGGERS = ("motion", "ai_tag", "manual")
STATUSES = ("pending", "completed", "skipped", "failed")
CORPUS_SIZE = 96


@dataclass(frozen=True)
class Corpus:
    """An org's events as loaded, each with the words the test gave it."""

    org: str
    lines: list[Line]
    words: dict[str, set[str]]

    def expected(self, *keep: Callable[[Line], bool]) -> list[str]:
        """The ids, in list order, of the events every one of ``keep`` keeps."""
        return newest_first([line for line in self.lines if all(test(line) for test in keep)])

    def finds(self, q: str) -> Callable[[Line], bool]:
        """Whether an event matches ``q`` (lowercase ASCII words) by the issue's rule."""
        return lambda line: found_by(q.lower().split(), self.words[line["id"]])


def corpus_line(chooser: random.Random) -> tuple[Line, set[str]]:
    camera_id, site_id, name_words = chooser.choice(CAMERAS)
    summary = chooser.sample(SUMMARY_WORDS, 3)
    narrative = chooser.sample(NARRATIVE_WORDS, 3)
    tags = chooser.sample(TAGS, chooser.randrange(3))
    notes = chooser.sample(NOTE_WORDS, 1) if chooser.random() < 0.3 else []
    line = event_line(
        at=BASE_TIME - timedelta(hours=chooser.randrange(64)),  # 96 events in 64 hours: ties
        camera_id=camera_id,
        site_id=site_id,
        camera_name=" ".join(word.title() for word in name_words),
        summary=" ".join(summary).capitalize() + ".",
        narrative=", then ".join(narrative) + ".",
        tags=tags,
        trigger_type=chooser.choice(TRIGGERS),
        ai_status=chooser.choice(STATUSES),
        acknowledged=chooser.random() < 0.4,
        starred=chooser.random() < 0.3,
    )
    if notes:
        line["notes"] = notes[0].upper()
    return line, {*name_words, *summary, *narrative, *tags, *notes}


@pytest.fixture(scope="module")
def corpus(emulators: Any) -> Corpus:
    chooser = random.Random(28)
    made = [corpus_line(chooser) for _ in range(CORPUS_SIZE)]
    org = new_org()
    lines = load(org, [line for line, _ in made])
    return Corpus(org, lines, {line["id"]: words for line, words in made})


DATE_FROM, DATE_TO = BASE_TIME - timedelta(hours=40), BASE_TIME - timedelta(hours=10)
# Every other filter, as query parameters and as the test's own predicate.
OTHER_FILTERS: dict[str, tuple[dict[str, str], Callable[[Line], bool]]] = {
    "no other filter": ({}, lambda line: True),
    "camera_id": ({"camera_id": CAMERA_B}, lambda line: line["camera_id"] == CAMERA_B),
    "site_id": ({"site_id": SITE_A}, lambda line: line["site_id"] == SITE_A),
    "dates": (
        {"date_from": DATE_FROM.isoformat(), "date_to": DATE_TO.isoformat()},
        lambda line: DATE_FROM <= when(line) <= DATE_TO,
    ),
    "trigger_type": ({"trigger_type": "motion"}, lambda line: line["trigger_type"] == "motion"),
    "ai_status": ({"ai_status": "completed"}, lambda line: line["ai_status"] == "completed"),
    "acknowledged=true": ({"acknowledged": "true"}, lambda line: line["acknowledged"]),
    "acknowledged=false": ({"acknowledged": "false"}, lambda line: not line["acknowledged"]),
    "starred": ({"starred": "true"}, lambda line: line["starred"]),
    "site, trigger and dates": (
        {"site_id": SITE_A, "trigger_type": "ai_tag", "date_from": DATE_FROM.isoformat()},
        lambda line: (
            line["site_id"] == SITE_A and line["trigger_type"] == "ai_tag" and when(line) >= DATE_FROM
        ),
    ),
}
VIEWER_SITES = [SITE_A, SITE_C]
SCOPES = {"admin": None, "viewer of two sites": VIEWER_SITES}


def bearer_for(org: str, scope: str) -> str:
    sites = SCOPES[scope]
    return stack_token(org, "admin" if sites is None else "viewer", env=TEST_ENV, site_ids=sites)


def in_scope(scope: str | list[str] | None) -> Callable[[Line], bool]:
    """Whether a caller of this scope (a name of :data:`SCOPES`, or its sites) reaches an event."""
    sites = SCOPES[scope] if isinstance(scope, str) else scope
    return lambda line: sites is None or line["site_id"] in sites


def tagged_with(tags: Sequence[str]) -> Callable[[Line], bool]:
    return lambda line: bool(set(line["tags"]) & set(tags))


# -- 1 and 2: each alone and with every other filter and scope, paged to the end -----------------------


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("other", list(OTHER_FILTERS))
@pytest.mark.parametrize("tags", [["person"], ["vehicle", "animal"], ["bicycle", "package", "person"]])
def test_tag_alone_and_with_each_filter_and_scope_pages_to_the_end(
    api: Api, corpus: Corpus, tags: list[str], other: str, scope: str
) -> None:
    params, keep = OTHER_FILTERS[other]
    expected = corpus.expected(in_scope(scope), keep, tagged_with(tags))
    assert_traversal(api, bearer_for(corpus.org, scope), {**params, "tag": tags}, expected)


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("other", list(OTHER_FILTERS))
@pytest.mark.parametrize("q", ["walked", "cour", "Van WALK", "truck left deliv", "person parked"])
def test_q_alone_and_with_each_filter_and_scope_pages_to_the_end(
    api: Api, corpus: Corpus, q: str, other: str, scope: str
) -> None:
    params, keep = OTHER_FILTERS[other]
    expected = corpus.expected(in_scope(scope), keep, corpus.finds(q))
    assert_traversal(api, bearer_for(corpus.org, scope), {**params, "q": q}, expected)


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize(("q", "tags"), [("walked", ["person"]), ("van cour", ["vehicle", "package"])])
def test_q_and_tag_together(api: Api, corpus: Corpus, q: str, tags: list[str], scope: str) -> None:
    expected = corpus.expected(in_scope(scope), tagged_with(tags), corpus.finds(q))
    assert expected, "the corpus must have matches for this case"
    assert_traversal(api, bearer_for(corpus.org, scope), {"q": q, "tag": tags}, expected)


def test_the_corpus_gives_every_case_something_to_find(corpus: Corpus) -> None:
    """The combinations above are only proof when they select some events and not all."""
    for other, (_, keep) in OTHER_FILTERS.items():
        for scope in SCOPES:
            tagged = corpus.expected(in_scope(scope), keep, tagged_with(["person"]))
            walked = corpus.expected(in_scope(scope), keep, corpus.finds("walked"))
            assert 0 < len(tagged) < CORPUS_SIZE and 0 < len(walked) < CORPUS_SIZE, (other, scope)


# -- 3: the words ---------------------------------------------------------------------------------------


def listed(api: Api, bearer: str, **params: Any) -> list[str]:
    ids, _ = traverse(api, bearer, {"limit": "100", **params})
    return ids


def test_accents_and_case_do_not_matter(api: Api, token: Token, org: str) -> None:
    lines = load(
        org,
        [
            event_line(0, summary="Café closed early", tags=[]),
            event_line(1, summary="CAFE sign lit", tags=[]),
            event_line(2, summary="Ärger am Tor", tags=[]),
            event_line(3, summary="arger twice", tags=[]),
            event_line(4, summary="Straße blocked", tags=[]),
            event_line(5, summary="Nothing here", camera_name="Parking Nord \u2013 \u00c9b\u00e8ne", tags=[]),
            event_line(6, summary="Quiet night", tags=[]),
        ],
    )
    ids = [line["id"] for line in lines]
    admin = token("admin")
    for q in ("cafe", "CAFÉ", "Café", "cAfÉ"):
        assert listed(api, admin, q=q) == ids[0:2], q
    for q in ("Ärger", "arger", "ARGER", "ärg"):
        assert listed(api, admin, q=q) == ids[2:4], q
    assert listed(api, admin, q="STRASSE") == [ids[4]]
    assert listed(api, admin, q="ebene") == listed(api, admin, q="ÉBÈNE") == [ids[5]]
    assert listed(api, admin, q="nord ÉB") == [], "two characters match only an equal word"
    assert listed(api, admin, q="nord ÉBÈ") == [ids[5]]


def test_three_characters_begin_a_word_two_only_equal_one(api: Api, token: Token, org: str) -> None:
    long_word = "supercalifragilisticexpialidocious"  # longer than any stored prefix
    lines = load(
        org,
        [
            event_line(0, summary="package left", narrative="", tags=[]),
            event_line(1, summary="pa waved", narrative="", tags=[]),
            event_line(2, summary="packages stacked", narrative="", tags=[]),
            event_line(3, summary=f"a {long_word} moment", narrative="", tags=[]),
            event_line(4, summary="x marks the spot", narrative="", tags=[]),
            event_line(5, summary="pac", narrative="", tags=[]),
        ],
    )
    ids = [line["id"] for line in lines]
    admin = token("admin")
    assert listed(api, admin, q="pac") == [ids[0], ids[2], ids[5]]
    assert listed(api, admin, q="pa") == [ids[1]], "two characters: only the word pa itself"
    assert listed(api, admin, q="PACKAGE") == [ids[0], ids[2]]
    assert listed(api, admin, q="packages") == [ids[2]], "a query word longer than the event's word"
    assert listed(api, admin, q="x") == [ids[4]]
    assert listed(api, admin, q="ma") == [], "marks is not found by two of its letters"
    assert listed(api, admin, q="mar") == [ids[4]]
    assert listed(api, admin, q=long_word[:20]) == [ids[3]]
    assert listed(api, admin, q=long_word[:23]) == [ids[3]]
    assert listed(api, admin, q=long_word) == [ids[3]]
    assert listed(api, admin, q=long_word[:20] + "xxx") == [], "past 20 characters the rest counts too"
    assert listed(api, admin, q=long_word + "s") == []


def test_every_word_must_match_and_q_combines_with_tag(api: Api, token: Token, org: str) -> None:
    lines = load(
        org,
        [
            event_line(0, summary="red van parked", tags=["vehicle"]),
            event_line(1, summary="red door", tags=["person"]),
            event_line(2, summary="blue van", tags=["vehicle"]),
            event_line(3, summary="Red, the van; again", tags=["person", "vehicle"]),
            event_line(4, summary="nothing", narrative="a red van went by", tags=[]),
        ],
    )
    ids = [line["id"] for line in lines]
    admin = token("admin")
    assert listed(api, admin, q="red van") == [ids[0], ids[3], ids[4]]
    assert listed(api, admin, q="van red van") == [ids[0], ids[3], ids[4]], "a repeated word is one word"
    assert listed(api, admin, q="red van parked") == [ids[0]]
    assert listed(api, admin, q="red, van!") == [ids[0], ids[3], ids[4]], "punctuation separates words"
    assert listed(api, admin, q="red van", tag="person") == [ids[3]]
    assert listed(api, admin, q="red", tag=["person", "vehicle"]) == [ids[0], ids[1], ids[3]]
    assert listed(api, admin, q="van", tag="animal") == []
    parking = load(org, [event_line(5, summary="", narrative="", tags=["no-parking"])])[0]["id"]
    assert listed(api, admin, tag="no-parking") == [parking], "a tag is matched whole"
    assert listed(api, admin, tag="parking") == []
    assert listed(api, admin, q="no-parking") == listed(api, admin, q="parking no") == [parking]


def test_each_source_field_is_searched_and_no_other(api: Api, token: Token, org: str) -> None:
    lines = load(
        org,
        [
            event_line(0, summary="zebra crossing", narrative="", tags=[], camera_name="Cam"),
            event_line(1, summary="", narrative="a quokka smiled", tags=[], camera_name="Cam"),
            event_line(2, summary="", narrative="", tags=["wombat"], camera_name="Cam"),
            event_line(3, summary="", narrative="", tags=[], camera_name="Okapi Yard"),
            event_line(4, summary="", narrative="", tags=[], camera_name="Cam", notes="Narwhal sighted"),
            event_line(5, summary="", narrative="", tags=[], camera_name="Cam", clip_codec="h265"),
        ],
    )
    ids = [line["id"] for line in lines]
    admin = token("admin")
    for index, q in enumerate(("zebra", "quokka", "wombat", "okapi", "narwhal")):
        assert listed(api, admin, q=q) == [ids[index]], q
        assert listed(api, admin, q=q[:4]) == [ids[index]], q[:4]
    assert listed(api, admin, q="h265") == [], "the codec is not a source field"
    assert listed(api, admin, q="gateway") == [], "nor the recording source"
    assert listed(api, admin, q="cam") == [ids[0], ids[1], ids[2], ids[4], ids[5]]


# -- 4: words kept current --------------------------------------------------------------------------------


def test_notes_are_searchable_after_a_patch_and_forgotten_after_the_next(
    api: Api, token: Token, org: str
) -> None:
    lines = load(org, [event_line(n, tags=[]) for n in range(3)])
    target = lines[1]["id"]
    operator = token("operator")
    assert listed(api, operator, q="lurker") == []
    ok(api.patch(f"{EVENTS}/{target}", operator, json={"notes": "Lurker by the fence"}))
    assert listed(api, operator, q="lurker") == [target]
    assert listed(api, operator, q="lurk fence") == [target]
    ok(api.patch(f"{EVENTS}/{target}", operator, json={"notes": "All clear"}))
    assert listed(api, operator, q="lurker") == []
    assert listed(api, operator, q="fence") == []
    assert listed(api, operator, q="clear") == [target]
    ok(api.patch(f"{EVENTS}/{target}", operator, json={"starred": True}))
    assert listed(api, operator, q="clear") == [target], "a change of other fields keeps the words"
    ok(api.patch(f"{EVENTS}/{target}", operator, json={"notes": None}))
    assert listed(api, operator, q="clear") == []
    assert listed(api, operator, q="courier") == [line["id"] for line in lines], "the narrative stays"


def test_a_reload_makes_its_new_words_searchable_and_the_old_ones_gone(
    api: Api, token: Token, org: str
) -> None:
    admin = token("admin")
    ingest = make_key(api, admin, "ingest")
    first = event_line(
        0, summary="Courier at the door", narrative="An orange vest walked in", tags=["person"]
    )
    second = event_line(1, summary="Quiet", narrative="Nothing moved", tags=[])
    for line in (first, second):
        assert api.call("PUT", f"{EVENTS}/{line['id']}", ingest, json=line).status_code == 201
    ok(api.patch(f"{EVENTS}/{first['id']}", admin, json={"acknowledged": True, "notes": "Checked tape"}))
    assert listed(api, admin, q="orange") == [first["id"]]

    reloaded = {**first, "narrative": "A gardener trimmed the hedge", "tags": ["person", "tool"]}
    assert api.call("PUT", f"{EVENTS}/{first['id']}", ingest, json=reloaded).status_code == 200
    assert listed(api, admin, q="gardener hedge") == [first["id"]]
    assert listed(api, admin, q="orange") == [] and listed(api, admin, q="vest") == []
    assert listed(api, admin, q="courier") == [first["id"]], "the summary did not change"
    assert listed(api, admin, q="checked tape") == [first["id"]], "the operator's notes survive"
    assert listed(api, admin, tag="tool") == [first["id"]]
    item = ok(api.get(f"{EVENTS}/{first['id']}", admin))
    assert item["acknowledged"] is True and item["notes"] == "Checked tape"

    # the batch route too: new tags and narrative replace the old
    batch = {**second, "narrative": "A fox crossed", "tags": ["animal"]}
    ok(api.post(INGEST, ingest, json={"events": [batch]}))
    assert listed(api, admin, q="fox") == [second["id"]]
    assert listed(api, admin, q="moved") == []
    assert listed(api, admin, tag="animal") == [second["id"]]
    assert listed(api, admin, tag=["tool", "animal"]) == [first["id"], second["id"]]


def test_a_long_narrative_does_not_crowd_out_the_other_fields(api: Api, token: Token, org: str) -> None:
    """An event keeps a bounded number of terms; the summary, tags, camera name and notes come first."""
    narrative = " ".join(f"w{n:05d}longword" for n in range(600))  # 9,000 characters, ~5,000 terms
    (line,) = load(org, [event_line(0, summary="Heron at dawn", tags=["bird"], narrative=narrative)])
    operator = token("operator")
    assert listed(api, operator, q="w00000longword") == [line["id"]], "the narrative's first words are kept"
    assert listed(api, operator, q="w00599longword") == [], "past the bound (so the order below matters)"
    for q in ("heron", "bird", "loading dock", "her daw"):
        assert listed(api, operator, q=q) == [line["id"]], q
    ok(api.patch(f"{EVENTS}/{line['id']}", operator, json={"notes": "Egret too"}))
    assert listed(api, operator, q="egret") == [line["id"]], "notes come before the narrative"
    assert listed(api, operator, q="heron egr") == [line["id"]]


# -- 5: the scan cap and many sites -----------------------------------------------------------------------


def run_words(n: int) -> str:
    """Event ``n``'s summary: both words of the search now and then, between runs of ten or more
    events with only one of them, so that whichever word the query is on, five candidates in a row
    (the cap below) hold no match (nine or more in a row, whatever the order inside a minute)."""
    if n in (0, 1, 2, 3, 15, 30, 31, 50, 59):
        return "red van"
    return "red" if 4 <= n <= 14 or 32 <= n <= 44 else "van"


def test_past_the_scan_cap_pages_come_short_and_a_traversal_is_complete(api: Api, token: Token) -> None:
    org = new_org()
    lines = load(
        org,
        [
            event_line(  # four events a minute: resuming inside a tie too
                at=BASE_TIME - timedelta(minutes=n // 4),
                summary=run_words(n),
                narrative="",
                tags=["vehicle"] if n % 2 else [],
            )
            for n in range(60)
        ],
    )
    expected = newest_first([line for line in lines if {"van", "red"} <= set(line["summary"].split())])
    configure(EVENTS_SEARCH_SCAN_CAP=5)
    admin = token("admin", org_id=org)

    got, pages = traverse(api, admin, {"q": "red van"})
    assert got == expected
    assert pages[0]["total_exact"] is False and pages[0]["total"] <= len(expected)
    short = [page for page in pages[:-1] if len(page["data"]) < 3]
    assert short, "some page stopped at the cap before filling up"
    assert any(not page["data"] and page["next_cursor"] for page in pages), "a page may hold none"
    assert all(page["total_exact"] is False for page in pages)

    with_tag = newest_first([line for line in lines if line["id"] in expected and "vehicle" in line["tags"]])
    got, pages = traverse(api, admin, {"q": "van red", "tag": "vehicle"})
    assert got == with_tag and pages[0]["total_exact"] is False

    got, pages = traverse(api, admin, {"q": "red van", "limit": "100"})
    assert got == expected, "a larger limit reads the same"

    configure(EVENTS_SEARCH_SCAN_CAP=5000, EVENTS_COUNT_CACHE_SECONDS=0)
    assert_traversal(api, admin, {"q": "red van", "tag": "vehicle"}, with_tag)


def test_past_the_count_cap_a_search_says_so_and_pages_on(api: Api, token: Token, org: str) -> None:
    lines = load(
        org, [event_line(n, summary=("red van", "red", "van")[n % 3], tags=["vehicle"]) for n in range(24)]
    )
    configure(EVENTS_COUNT_CAP=4)
    admin = token("admin")
    both = newest_first([line for line in lines if line["summary"] == "red van"])
    for params, expected in (
        ({"tag": "vehicle"}, newest_first(lines)),
        ({"q": "red"}, newest_first([line for line in lines if "red" in line["summary"]])),
        ({"q": "van red"}, both),
        ({"q": "van red", "tag": "vehicle"}, both),
    ):
        got, pages = traverse(api, admin, params)
        assert got == expected, params
        assert all((page["total"], page["total_exact"]) == (4, False) for page in pages), params


def wide_org(site_count: int, events: int) -> tuple[str, list[str], list[Line]]:
    """An org of ``site_count`` sites with ``events`` events spread over them, tagged from 12 tags."""
    org = new_org()
    sites = [str(uuid.uuid4()) for _ in range(site_count)]
    vocabulary = [f"tag{n}" for n in range(12)]
    chooser = random.Random(site_count)
    lines = [
        event_line(
            at=BASE_TIME - timedelta(minutes=chooser.randrange(events)),
            site_id=sites[n % site_count],
            tags=chooser.sample(vocabulary, chooser.randrange(3)),
            summary="van" if n % 4 else "red van",
            narrative="",
        )
        for n in range(events)
    ]
    return org, sites, load(org, lines)


def test_a_viewer_of_forty_sites_with_ten_tags(api: Api) -> None:
    org, sites, lines = wide_org(45, 180)
    viewer = stack_token(org, "viewer", env=TEST_ENV, site_ids=sites[:40])
    tags = [f"tag{n}" for n in range(10)]
    reached = [line for line in lines if line["site_id"] in sites[:40]]
    expected = newest_first([line for line in reached if set(line["tags"]) & set(tags)])
    assert 0 < len(expected) < len(reached)
    assert_traversal(api, viewer, {"tag": tags}, expected)
    red = newest_first(
        [line for line in reached if set(line["tags"]) & set(tags) and "red" in line["summary"]]
    )
    assert red
    assert_traversal(api, viewer, {"tag": tags, "q": "red"}, red)
    assert_traversal(api, viewer, {"tag": tags, "q": "van red"}, red)
    assert_traversal(
        api, viewer, {"tag": tags[:1]}, newest_first([line for line in reached if tags[0] in line["tags"]])
    )

    configure(EVENTS_SEARCH_SCAN_CAP=5, EVENTS_COUNT_CACHE_SECONDS=0)  # the total above is not reused
    got, pages = traverse(api, viewer, {"tag": tags, "q": "van red"})
    assert got == red and pages[0]["total_exact"] is False


# -- 6: validation ------------------------------------------------------------------------------------------


def test_bad_tag_and_q_are_400_naming_them(api: Api, token: Token, org: str) -> None:
    load(org, [event_line(n) for n in range(5)])
    admin = token("admin")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"tag": [f"t{n}" for n in range(11)]}, "tag"),
        ({"tag": ""}, "tag"),
        ({"tag": ["person", ""]}, "tag"),
        ({"tag": "x" * 101}, "tag"),
        ({"q": "--"}, "q"),
        ({"q": ""}, "q"),
        ({"q": "one two three four five six"}, "q"),
        ({"q": "a" * 201}, "q"),
        ({"q": ["van", "red"]}, "q"),
    ]
    for params, field in cases:
        answer = api.get(EVENTS, admin, params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert field in answer.json()["fields"], (params, answer.json())
        assert api.get(EXPORT, admin, params=params).status_code == 400, params
    # the limits themselves are allowed
    ok(api.get(EVENTS, admin, params={"tag": [f"t{n}" for n in range(10)]}))
    ok(api.get(EVENTS, admin, params={"q": "one two three four five"}))
    ok(api.get(EVENTS, admin, params={"q": "a" * 200}))

    first = ok(api.get(EVENTS, admin, params={"limit": "2", "tag": "person", "q": "courier"}))
    cursor = first["next_cursor"]
    assert cursor
    for params in ({"tag": "vehicle", "q": "courier"}, {"tag": "person", "q": "door"}, {"q": "courier"}, {}):
        answer = api.get(EVENTS, admin, params={"limit": "2", "cursor": cursor, **params})
        assert answer.status_code == 400, (params, answer.text)
    same = {"q": "Courier", "tag": "person"}  # the same words, folded
    assert ids_of(ok(api.get(EVENTS, admin, params={"limit": "2", "cursor": cursor, **same}))), same
    both = ok(
        api.get(EVENTS, admin, params={"limit": "2", "tag": ["person", "package"], "q": "door courier"})
    )
    reordered = {"tag": ["package", "person", "person"], "q": "COURIER, door"}  # tags and words in any order
    assert ids_of(
        ok(api.get(EVENTS, admin, params={"limit": "2", "cursor": both["next_cursor"], **reordered}))
    )


# -- 7, 8, 9: the export, the trash and batch filters --------------------------------------------------------


# (params, tags any of, q words, the trigger_type filter too)
EXPORT_CASES = {
    "one tag": pytest.param({"tag": "person"}, ["person"], "", False),
    "two tags": pytest.param({"tag": ["vehicle", "animal"]}, ["vehicle", "animal"], "", False),
    "one word": pytest.param({"q": "cour"}, [], "cour", False),
    "one word and a filter": pytest.param({"q": "Walked", "ai_status": "completed"}, [], "walked", False),
    "two words": pytest.param({"q": "van walked"}, [], "van walked", False),
    "a word, a tag and a filter": pytest.param(
        {"q": "walked", "tag": "person", "trigger_type": "motion"}, ["person"], "walked", True
    ),
}


@pytest.mark.parametrize(
    ("params", "tags", "q", "motion"), list(EXPORT_CASES.values()), ids=list(EXPORT_CASES)
)
def test_the_export_holds_exactly_the_matches(
    api: Api, corpus: Corpus, params: Params, tags: list[str], q: str, motion: bool
) -> None:
    """(Operators reach every site: only viewers and ingest keys are site-scoped.)"""
    keep = [in_scope(None)]
    keep += [tagged_with(tags)] if tags else []
    keep += [corpus.finds(q)] if q else []
    keep += [OTHER_FILTERS["trigger_type"][1]] if motion else []
    keep += [OTHER_FILTERS["ai_status"][1]] if "ai_status" in params else []
    expected = corpus.expected(*keep)
    assert expected, "the case must select some events"
    operator = stack_token(corpus.org, "operator", env=TEST_ENV)
    answer = api.get(EXPORT, operator, params=params)
    assert answer.status_code == 200, answer.text
    assert csv_ids(answer.content) == expected


def test_a_search_export_under_the_export_cap_passes_the_scan_cap(api: Api, token: Token, org: str) -> None:
    # 10 matches among 20 candidates, whichever word the query is on
    lines = load(org, [event_line(n, summary=("red van", "red", "van")[n % 3], tags=[]) for n in range(30)])
    expected = newest_first([line for line in lines if line["summary"] == "red van"])
    operator = token("operator")
    configure(EVENTS_SEARCH_SCAN_CAP=5)
    answer = api.get(EXPORT, operator, params={"q": "van red"})
    assert answer.status_code == 200, answer.text
    assert csv_ids(answer.content) == expected
    configure(EVENTS_SEARCH_SCAN_CAP=5, EVENT_EXPORT_MAX_ROWS=10)
    refused = api.get(EXPORT, operator, params={"q": "van red"})
    assert refused.status_code == 413, "20 candidates to check, more than the export cap and the scan cap"
    assert refused.json()["error"] == "payload_too_large"
    configure(EVENTS_SEARCH_SCAN_CAP=40, EVENT_EXPORT_MAX_ROWS=10)
    answer = api.get(EXPORT, operator, params={"q": "van red"})
    assert answer.status_code == 200 and csv_ids(answer.content) == expected


def test_the_trash_takes_tag_and_q(api: Api, token: Token, org: str) -> None:
    lines = load(
        org,
        [
            event_line(
                n, tags=["person"] if n % 2 else ["vehicle"], summary="red van" if n % 3 else "blue van"
            )
            for n in range(14)
        ],
    )
    admin = token("admin")
    dismissed = [lines[n] for n in (5, 0, 9, 3, 12, 7, 1, 10, 4)]  # dismissal order, not list order
    for line in dismissed:
        ok(api.delete(f"{EVENTS}/{line['id']}", admin), 204)
    newest_dismissal_first = list(reversed(dismissed))

    def trash(keep: Callable[[Line], bool]) -> list[str]:
        return [line["id"] for line in newest_dismissal_first if keep(line)]

    assert_traversal(api, admin, {"tag": "person"}, trash(lambda line: "person" in line["tags"]), TRASH)
    assert_traversal(api, admin, {"q": "red"}, trash(lambda line: "red" in line["summary"]), TRASH)
    assert_traversal(
        api,
        admin,
        {"q": "van red", "tag": ["person"]},
        trash(lambda line: "red" in line["summary"] and "person" in line["tags"]),
        TRASH,
    )
    live = newest_first([line for line in lines if line not in dismissed and "person" in line["tags"]])
    assert_traversal(api, admin, {"tag": "person"}, live)

    configure(EVENTS_SEARCH_SCAN_CAP=2, EVENTS_COUNT_CACHE_SECONDS=0)
    got, pages = traverse(api, admin, {"q": "red van"}, TRASH)
    assert got == trash(lambda line: "red" in line["summary"]), "resumed inside the trash's order"
    assert pages[0]["total_exact"] is False


def test_batch_update_by_tag_and_q_filters(api: Api, token: Token, org: str) -> None:
    lines = load(
        org,
        [
            event_line(
                n, tags=[["person"], ["vehicle"], ["person", "package"], []][n % 4], summary=f"word{n % 3}"
            )
            for n in range(16)
        ],
    )
    operator = token("operator")
    answer = ok(
        api.post(
            BATCH_UPDATE, operator, json={"filter": {"tag": ["person"]}, "changes": {"acknowledged": True}}
        )
    )
    person = {line["id"] for line in lines if "person" in line["tags"]}
    assert {result["id"] for result in answer["results"]} == person
    assert answer["matched"] == answer["changed"] == len(person)
    assert set(listed(api, operator, acknowledged="true")) == person

    chosen = {
        line["id"]
        for line in lines
        if line["summary"] == "word1" and set(line["tags"]) & {"vehicle", "package"}
    }
    answer = ok(
        api.post(
            BATCH_UPDATE,
            operator,
            json={"filter": {"tag": ["vehicle", "package"], "q": "WORD1"}, "changes": {"starred": True}},
        )
    )
    assert {result["id"] for result in answer["results"]} == chosen and answer["changed"] == len(chosen)
    assert set(listed(api, operator, starred="true")) == chosen
    answer = ok(
        api.post(BATCH_UPDATE, operator, json={"filter": {"tag": ["vehicle"]}, "changes": {"notes": "seen"}})
    )
    assert {result["id"] for result in answer["results"]} == {
        line["id"] for line in lines if "vehicle" in line["tags"]
    }
    assert set(listed(api, operator, q="seen")) == {line["id"] for line in lines if "vehicle" in line["tags"]}

    for bad_filter, field in (
        ({"tag": []}, "filter.tag"),
        ({"tag": 5}, "filter.tag"),
        ({"tag": [5]}, "filter.tag"),
        ({"tag": [""]}, "filter.tag"),
        ({"tag": [f"t{n}" for n in range(11)]}, "filter.tag"),
        ({"q": "--"}, "filter.q"),
        ({"q": ["red"]}, "filter.q"),
    ):
        refused = api.post(
            BATCH_UPDATE, operator, json={"filter": bad_filter, "changes": {"acknowledged": False}}
        )
        assert refused.status_code == 400, (bad_filter, refused.text)
        assert field in refused.json()["fields"], (bad_filter, refused.json())
    assert set(listed(api, operator, acknowledged="true")) == person, "nothing written by a refused batch"

    admin = token("admin")
    tagged_none = ok(api.post(BATCH_DELETE, admin, json={"filter": {"tag": ["animal"]}}))
    assert tagged_none["matched"] == 0
    dismissed = ok(
        api.post(BATCH_DELETE, admin, json={"filter": {"q": "word0 word0", "tag": ["vehicle", "package"]}})
    )
    gone = {
        line["id"]
        for line in lines
        if line["summary"] == "word0" and {"vehicle", "package"} & set(line["tags"])
    }
    assert gone and {result["id"] for result in dismissed["results"]} == gone
    assert dismissed["changed"] == len(gone)
    assert set(listed(api, operator)) == {line["id"] for line in lines} - gone


def test_batch_update_by_one_word_changes_exactly_its_matches(api: Api, token: Token, org: str) -> None:
    lines = load(org, [event_line(n, summary=f"word{n % 3}", tags=[]) for n in range(12)])
    operator = token("operator")
    chosen = {line["id"] for line in lines if line["summary"] == "word2"}
    answer = ok(
        api.post(BATCH_UPDATE, operator, json={"filter": {"q": "word2"}, "changes": {"starred": True}})
    )
    assert {result["id"] for result in answer["results"]} == chosen
    assert set(listed(api, operator, starred="true")) == chosen
