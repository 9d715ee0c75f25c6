"""Demo data for the local stack: one org with three sites and six cameras, the contract's example
event, events around the contract's example dates and a week of recent events.

The contract's example event (:data:`EXAMPLE_EVENT_ID`, "Loading Dock East", 2026-04-21T13:45:22Z) is
written whole at every seed, so it is back, undeleted and unacknowledged, each time ``make dev``
starts. What ``make dev`` and ``novavms-events seed`` load also shows the operator workflow
(``operator_demo``): the example has a history (an operator starred it and took the star back), and
one more event of its camera, :data:`DISMISSED_EVENT_ID` (2026-04-20), is in the trash.

:data:`APRIL_EVENTS` events fall between 2026-04-01 and 2026-04-21 (with the example, at most 50), so
the README's and the contract's dated examples return data and the export example stays under a
small cap. The OpenAPI document's examples (the example's camera, 2026-04-20 to 2026-04-21,
``ai_tag``, unacknowledged, the example's id) match the example event and the dismissed one, so the
docs page's "Try it out" answers data with its prefilled values: the list, the export, the trash
and the history.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.config import settings
from shared.model.actor import Actor
from shared.model.changes import EventChanges
from shared.model.scope import Scope
from shared.pipeline import parse_pipeline_event
from shared.store.events import EventStore
from shared.timefmt import format_rfc3339

DEMO_ORG = "demo"
_NS = uuid.UUID("6f1c7d52-3a0e-4b8e-9d59-2f4d1c6a9e10")
SITES = [str(uuid.uuid5(_NS, f"site-{n}")) for n in range(3)]
EXAMPLE_EVENT_ID = "c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
EXAMPLE_CAMERA_ID = "550e8400-e29b-41d4-a716-446655440000"
DISMISSED_EVENT_ID = str(uuid.uuid5(_NS, "dismissed-example"))
DEMO_OPERATOR, DEMO_ADMIN = Actor.user("demo-operator"), Actor.user("demo-admin")
APRIL_START = datetime(2026, 4, 1, tzinfo=UTC)
APRIL_END = datetime(2026, 4, 21, 23, 59, 59, tzinfo=UTC)
APRIL_EVENTS = 40
CAMERAS = [
    (EXAMPLE_CAMERA_ID if n == 0 else str(uuid.uuid5(_NS, f"camera-{n}")), name, SITES[n % 3])
    for n, name in enumerate(
        ["Loading Dock East", "Main Entrance", "Parking North", "Lobby", "Server Room", "Perimeter Fence"]
    )
]
EXAMPLE_EVENT: dict[str, Any] = {
    "id": EXAMPLE_EVENT_ID,
    "camera_id": EXAMPLE_CAMERA_ID,
    "camera_name": "Loading Dock East",
    "camera_deleted": False,
    "site_id": SITES[0],
    "trigger_type": "ai_tag",
    "triggered_at": "2026-04-21T13:45:22Z",
    "clip_start_at": "2026-04-21T13:45:12Z",
    "clip_end_at": "2026-04-21T13:45:42Z",
    "duration_sec": 30,
    "summary": "Person carrying package approaches dock door",
    "narrative": "A courier in an orange vest walked to the dock...",
    "tags": ["person", "package", "vest"],
    "ai_status": "completed",
    "clip_codec": "h264",
    "recording_source": "gateway_ring_buffer",
    "snapshot_object": f"{DEMO_ORG}/{EXAMPLE_EVENT_ID}/snapshot.jpg",
    "clip_object": f"{DEMO_ORG}/{EXAMPLE_EVENT_ID}/clip.mp4",
}
DISMISSED_EVENT: dict[str, Any] = {
    **EXAMPLE_EVENT,
    "id": DISMISSED_EVENT_ID,
    "triggered_at": "2026-04-20T09:12:05Z",
    "clip_start_at": "2026-04-20T09:11:55Z",
    "clip_end_at": "2026-04-20T09:12:25Z",
    "summary": "Person waits by the dock door, then leaves",
    "narrative": "A person in a grey jacket stood by the dock door for a minute and walked away.",
    "tags": ["person"],
    "snapshot_object": f"{DEMO_ORG}/{DISMISSED_EVENT_ID}/snapshot.jpg",
    "clip_object": f"{DEMO_ORG}/{DISMISSED_EVENT_ID}/clip.mp4",
}
SCENES = [
    ("ai_tag", "Person carrying package approaches dock door", ["person", "package"]),
    ("ai_tag", "Vehicle parks in a no-parking zone", ["vehicle"]),
    ("motion", "Motion near the door", []),
    ("manual", "Operator-triggered recording", ["manual"]),
    ("ai_tag", "Two people walk past, one in an orange vest", ["person", "vest"]),
]
# A 1x1 JPEG, so signed snapshot URLs of the demo answer an image.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912"
    "130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b0800"
    "01000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b51000"
    "02010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1"
    "f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566"
    "6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9"
    "bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100"
    "003f00fbd3ffd9"
)


def demo_events(
    count: int = 200, org_id: str = DEMO_ORG, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """``count`` events over the week before ``now``, then :data:`APRIL_EVENTS` events in April 2026
    (before the example's time), in the loader's JSON Lines shape (the example event is apart)."""
    rng = random.Random(7)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    april = (APRIL_END - APRIL_START).total_seconds()
    for n in range(count + APRIL_EVENTS):
        camera_id, camera_name, site_id = CAMERAS[n % len(CAMERAS)]
        trigger, summary, tags = SCENES[rng.randrange(len(SCENES))]
        if n < count:
            at = now - timedelta(seconds=rng.randrange(7 * 24 * 3600))
            event_id = str(uuid.uuid5(_NS, f"event-{n}"))
        else:
            at = APRIL_START + timedelta(seconds=rng.randrange(int(april)))
            event_id = str(uuid.uuid5(_NS, f"april-event-{n - count}"))
        yield {
            "id": event_id,
            "camera_id": camera_id,
            "camera_name": camera_name,
            "camera_deleted": False,
            "site_id": site_id,
            "trigger_type": trigger,
            "triggered_at": format_rfc3339(at),
            "clip_start_at": format_rfc3339(at - timedelta(seconds=10)),
            "clip_end_at": format_rfc3339(at + timedelta(seconds=20)),
            "duration_sec": 30,
            "summary": summary,
            "narrative": f"{summary}. Recorded by {camera_name}.",
            "tags": tags,
            "ai_status": "completed" if trigger == "ai_tag" else rng.choice(["pending", "skipped"]),
            "clip_codec": "h264",
            "recording_source": "gateway_ring_buffer",
            "snapshot_object": f"{org_id}/{event_id}/snapshot.jpg",
            "clip_object": f"{org_id}/{event_id}/clip.mp4",
            "starred": n % 17 == 0,
        }


def ensure_buckets() -> None:
    """Create the media and export buckets when they are missing (emulator or a dev project)."""
    from google.cloud import storage

    config = settings()
    client = storage.Client(project=config.project)
    for name in (config.media_bucket, config.export_bucket):
        if name and client.lookup_bucket(name) is None:
            client.create_bucket(name)


def _in_org(event: dict[str, Any], org_id: str) -> dict[str, Any]:
    return {
        **event,
        "snapshot_object": f"{org_id}/{event['id']}/snapshot.jpg",
        "clip_object": f"{org_id}/{event['id']}/clip.mp4",
    }


def _reset(store: EventStore, event: dict[str, Any]) -> None:
    """Write ``event`` whole (operator fields reset: live, unacknowledged, no notes) with no history."""
    event_id, pipeline, operator = parse_pipeline_event(event)
    ref = store.events.document(event_id)
    for entry in ref.collection("history").list_documents():
        entry.delete()
    ref.set({**pipeline, **operator})


def seed(org_id: str = DEMO_ORG, count: int = 200, *, operator_demo: bool = False) -> int:
    """Load the demo events (idempotent) and reset the contract's example event whole (live,
    unacknowledged, no notes, no history); with ``operator_demo``, give it its demo history and put
    the dismissed event back in the trash. Upload their snapshots. Returns how many live events there
    are (a dismissed one apart)."""
    from google.cloud import storage

    ensure_buckets()
    example, dismissed = _in_org(EXAMPLE_EVENT, org_id), _in_org(DISMISSED_EVENT, org_id)
    events = [*demo_events(count, org_id), example]
    store = EventStore(Scope(org_id))
    store.upsert_pipeline(parse_pipeline_event(event) for event in events[:-1])
    _reset(store, example)
    if operator_demo:
        store.update(EXAMPLE_EVENT_ID, EventChanges(starred=True), DEMO_OPERATOR)
        store.update(EXAMPLE_EVENT_ID, EventChanges(starred=False), DEMO_OPERATOR)
        _reset(store, dismissed)
        store.dismiss(DISMISSED_EVENT_ID, DEMO_ADMIN)
    config = settings()
    if config.media_bucket:
        bucket = storage.Client(project=config.project).bucket(config.media_bucket)
        for event in [*events, dismissed] if operator_demo else events:
            bucket.blob(event["snapshot_object"]).upload_from_string(TINY_JPEG, content_type="image/jpeg")
    return len(events)
