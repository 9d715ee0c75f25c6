"""``tag`` on the change feed and the stream, on the real emulators: only changes of events that carry one
of the tags after the change, alone and with the feed's other filters, for an admin, a viewer of one site
and a viewer of 40 sites (sites x tags past Firestore's 30 disjunctions); validation and cursors.

Expected answers come from the test's own record of each change it made and the tags the event had
after it, never from the product's filter code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from tests.integration.conftest import CAMERA_B, SITE_A, SITE_B, Api, Token, event_line
from tests.integration.test_change_feed import FEED, drain, page, settle
from tests.integration.test_stream import Reader, bearer, configure, put_event

EVENTS = "/api/v1/events"


@dataclass(frozen=True)
class Made:
    """A change the test made: the event, the change type, and the event's fields after it."""

    event_id: str
    type: str
    site_id: str
    camera_id: str
    trigger_type: str
    tags: tuple[str, ...]


class Writer:
    """Makes changes through the API and records each as :class:`Made`."""

    def __init__(self, api: Api, admin: str) -> None:
        self.api, self.admin = api, admin
        self.lines: dict[str, dict[str, Any]] = {}
        self.made: list[Made] = []

    def _record(self, event_id: str, kind: str) -> None:
        line = self.lines[event_id]
        self.made.append(
            Made(
                event_id, kind, line["site_id"], line["camera_id"], line["trigger_type"], tuple(line["tags"])
            )
        )

    def put(self, line: dict[str, Any]) -> dict[str, Any]:
        kind = "event.updated" if line["id"] in self.lines else "event.created"
        put_event(self.api, self.admin, line)
        self.lines[line["id"]] = line
        self._record(line["id"], kind)
        return line

    def patch(self, event_id: str, **changes: Any) -> None:
        answer = self.api.patch(f"{EVENTS}/{event_id}", self.admin, json=changes)
        assert answer.status_code == 200, answer.text
        self._record(event_id, "event.updated")

    def delete(self, event_id: str) -> None:
        assert self.api.delete(f"{EVENTS}/{event_id}", self.admin).status_code == 204
        self._record(event_id, "event.deleted")

    def restore(self, event_id: str) -> None:
        assert self.api.post(f"{EVENTS}/{event_id}/restore", self.admin).status_code == 200
        self._record(event_id, "event.restored")

    def expected(
        self,
        tags: list[str],
        sites: list[str] | None = None,
        types: tuple[str, ...] | None = None,
        **equal: str,
    ) -> list[tuple[str, str]]:
        """(event id, type) of each recorded change the filter selects, in the order made."""
        return [
            (made.event_id, made.type)
            for made in self.made
            if set(made.tags) & set(tags)
            and (sites is None or made.site_id in sites)
            and (types is None or made.type in types)
            and all(getattr(made, name) == value for name, value in equal.items())
        ]


def changes_of(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(change["event_id"], change["type"]) for change in found]


def a_day_of_changes(writer: Writer) -> None:
    """Creations, re-loads that add and drop tags, operator changes, a dismissal and a restoration,
    over two sites and two cameras; the last change is of a person at site A."""
    person_a = writer.put(event_line(0, tags=["person"]))
    vehicle_a = writer.put(event_line(1, tags=["vehicle"], trigger_type="motion"))
    both_b = writer.put(event_line(2, tags=["person", "vehicle"], site_id=SITE_B, camera_id=CAMERA_B))
    plain_a = writer.put(event_line(3, tags=[]))
    animal_b = writer.put(event_line(4, tags=["animal"], site_id=SITE_B, camera_id=CAMERA_B))
    writer.patch(vehicle_a["id"], acknowledged=True)
    writer.put({**plain_a, "tags": ["person"], "summary": "A person after all"})  # gains the tag
    writer.put({**person_a, "tags": ["animal"], "summary": "A fox, not a person"})  # loses it
    writer.patch(person_a["id"], starred=True)  # an animal now: not a person's change
    writer.delete(both_b["id"])
    writer.patch(animal_b["id"], notes="checked")
    writer.restore(both_b["id"])
    writer.put({**vehicle_a, "tags": ["vehicle", "person"], "summary": "A driver steps out"})


def test_the_feed_selects_changes_by_the_tags_after_each_change(api: Api, token: Token) -> None:
    settle(0)
    admin = token("admin")
    writer = Writer(api, admin)
    a_day_of_changes(writer)
    viewer_a = token("viewer", sites=[SITE_A])
    many_sites = [SITE_A, SITE_B, *(str(uuid.uuid4()) for _ in range(38))]
    viewer_40 = token("viewer", sites=many_sites)

    cases: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
        (admin, {"tag": "person"}, writer.expected(["person"])),
        (admin, {"tag": ["person", "vehicle"]}, writer.expected(["person", "vehicle"])),
        (admin, {"tag": "animal", "camera_id": CAMERA_B}, writer.expected(["animal"], camera_id=CAMERA_B)),
        (admin, {"tag": "vehicle", "site_id": SITE_B}, writer.expected(["vehicle"], site_id=SITE_B)),
        (
            admin,
            {"tag": "vehicle", "trigger_type": "motion"},
            writer.expected(["vehicle"], trigger_type="motion"),
        ),
        (
            admin,
            {"tag": ["person", "animal"], "types": "event.updated,event.deleted"},
            writer.expected(["person", "animal"], types=("event.updated", "event.deleted")),
        ),
        (viewer_a, {"tag": "person"}, writer.expected(["person"], [SITE_A])),
        (viewer_a, {"tag": ["vehicle", "animal"]}, writer.expected(["vehicle", "animal"], [SITE_A])),
        (
            viewer_a,
            {"tag": ["person", "animal"], "types": "event.updated"},
            writer.expected(["person", "animal"], [SITE_A], types=("event.updated",)),
        ),
        (
            viewer_40,
            {"tag": ["person", "vehicle", "animal"]},
            writer.expected(["person", "vehicle", "animal"]),
        ),
        (
            viewer_40,
            {"tag": ["person", "vehicle", "animal", "package"], "types": "event.created,event.restored"},
            writer.expected(
                ["person", "vehicle", "animal", "package"], types=("event.created", "event.restored")
            ),
        ),
        (admin, {"tag": "bicycle"}, []),
    ]
    for bearer_token, params, expected in cases:
        found, _ = drain(api, bearer_token, **params)
        assert changes_of(found) == expected, params
        paged, _ = drain(api, bearer_token, limit=2, **params)
        assert changes_of(paged) == expected, ("limit 2", params)
    # each case above selects some changes and leaves others out
    assert all(0 < len(expected) < len(writer.made) for _, _, expected in cases[:-1])
    # a change younger than the reads above is found by a cursor of the same filter, and only by it
    _, cursor = drain(api, admin, tag="person")
    animal, person = writer.made[0].event_id, writer.made[-1].event_id
    writer.patch(animal, acknowledged=True)
    writer.patch(person, notes="driver known")
    found, _ = drain(api, admin, cursor, tag="person")
    assert changes_of(found) == [(person, "event.updated")]
    assert api.get(FEED, admin, params={"cursor": cursor, "tag": "vehicle"}).status_code == 400
    assert api.get(FEED, admin, params={"cursor": cursor}).status_code == 400


def test_bad_tags_on_the_feed_are_400_naming_tag(api: Api, token: Token) -> None:
    settle(0)
    admin = token("admin")
    for params in ({"tag": [f"t{n}" for n in range(11)]}, {"tag": ""}, {"tag": ["person", ""]}):
        answer = api.get(FEED, admin, params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert "tag" in answer.json()["fields"], answer.json()
    assert page(api, admin, tag=[f"t{n}" for n in range(10)])["data"] == []


def test_the_stream_delivers_only_changes_of_events_carrying_the_tags(api: Api, token: Token) -> None:
    configure(changes_settle_seconds=1, stream_heartbeat_seconds=2, stream_max_seconds=600)
    admin = token("admin")
    viewer_a = token("viewer", sites=[SITE_A])
    readers = {
        "admin, person": (Reader(api.base, bearer(admin), {"tag": "person"}).start(), ["person"], None),
        "viewer of A, person or vehicle": (
            Reader(api.base, bearer(viewer_a), cast(dict[str, str], {"tag": ["person", "vehicle"]})).start(),
            ["person", "vehicle"],
            [SITE_A],
        ),
    }
    writer = Writer(api, admin)
    a_day_of_changes(writer)  # its last change is of a person at site A: every reader ends with it
    for name, (reader, tags, sites) in readers.items():
        expected = writer.expected(tags, sites)
        got = reader.wait_for(len(expected))
        assert reader.status == 200, (name, reader.status, reader.body)
        assert changes_of([message.change for message in got]) == expected, name
        assert [message.event for message in got] == [kind for _, kind in expected], name
        reader.close()
    for params in ({"tag": [f"t{n}" for n in range(11)]}, {"tag": ""}):
        refused = api.get(f"{EVENTS}/stream", admin, params=params)
        assert refused.status_code == 400 and refused.json()["fields"]["tag"] != "unknown query parameter"
