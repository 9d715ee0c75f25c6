"""Events for tests and benchmarks, in the loader's JSON Lines shape (what ``novavms-events load`` and
``shared.pipeline.parse_pipeline_event`` take).

:func:`event_line` is one plain event, any field overridable; :func:`mixed_event_line` varies cameras,
sites, triggers and text (quotes, commas, newlines, a formula) from one ``n`` to the next.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

BASE_TIME = datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)
SITE_A = "11111111-1111-4111-8111-111111111111"
SITE_B = "22222222-2222-4222-8222-222222222222"
CAMERA_A = "550e8400-e29b-41d4-a716-446655440000"
CAMERA_B = "660e8400-e29b-41d4-a716-446655440000"
CAMERA_C = "770e8400-e29b-41d4-a716-446655440000"

SITES = (SITE_A, SITE_B)
CAMERAS = (
    (CAMERA_A, "Loading Dock East", SITE_A),
    (CAMERA_B, 'Main "Entrance", gate 2', SITE_A),
    (CAMERA_C, "Parking Nord \u2013 \u00c9b\u00e8ne", SITE_B),
)
SCENES: tuple[tuple[str, str, list[str], str], ...] = (
    ("ai_tag", "Person carrying package approaches dock door", ["person", "package"], "completed"),
    ("motion", "Motion near the door, then\nnothing", [], "skipped"),
    (
        "ai_tag",
        '=HYPERLINK("http://x") vehicle parks, no-parking zone',
        ["vehicle", "no-parking"],
        "completed",
    ),
    ("manual", "Operator-triggered recording", ["manual"], "pending"),
)


def wire_time(moment: datetime) -> str:
    """A time as the loader takes it, with microseconds: ``2026-04-21T13:45:22.000000Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_line(n: int = 0, **fields: Any) -> dict[str, Any]:
    """An event in the loader's shape with a fresh id; ``n`` spaces events a minute apart back from
    BASE_TIME, ``at`` (a datetime, or text taken as is) sets ``triggered_at``, other keywords set
    fields (a new key adds one)."""
    at = fields.pop("at", BASE_TIME - timedelta(minutes=n))
    line: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "camera_id": CAMERA_A,
        "camera_name": "Loading Dock East",
        "camera_deleted": False,
        "site_id": SITE_A,
        "trigger_type": "ai_tag",
        "triggered_at": wire_time(at) if isinstance(at, datetime) else at,
        "clip_start_at": "2026-04-21T13:45:12Z",
        "clip_end_at": "2026-04-21T13:45:42Z",
        "duration_sec": 30,
        "summary": "Person carrying package approaches dock door",
        "narrative": "A courier in an orange vest walked to the dock...",
        "tags": ["person", "package"],
        "ai_status": "completed",
        "clip_codec": "h264",
        "recording_source": "gateway_ring_buffer",
    }
    line.update(fields)
    return line


def mixed_event_line(n: int) -> dict[str, Any]:
    """Event ``n`` a second apart back from BASE_TIME, cycling through :data:`CAMERAS` and
    :data:`SCENES` (text that exercises CSV quoting and formula neutralising); every 17th starred."""
    camera_id, camera_name, site_id = CAMERAS[n % len(CAMERAS)]
    trigger, summary, tags, ai_status = SCENES[n % len(SCENES)]
    at = BASE_TIME - timedelta(seconds=n)
    return event_line(
        at=at,
        camera_id=camera_id,
        camera_name=camera_name,
        site_id=site_id,
        trigger_type=trigger,
        clip_start_at=(at - timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        clip_end_at=(at + timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        summary=summary,
        narrative="A courier in an orange vest walked to the dock and left a parcel by the door.",
        tags=tags,
        ai_status=ai_status,
        starred=n % 17 == 0,
    )
