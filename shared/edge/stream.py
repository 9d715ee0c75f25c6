"""The live event stream, ``GET /api/v1/events/stream``: the change feed as Server-Sent Events.

Each message is ``id: <cursor>`` (the feed's cursor after that change: an ``id`` is a valid
``cursor`` of ``GET /api/v1/events/changes`` and the other way round), ``event: <change type>`` and
``data: <the change as the feed shows it to this caller>``. A stream starts after its
``Last-Event-ID`` (it wins) or ``cursor``, else at the feed's head when it opens (every change the
feed did not yet show then); it reads through the feed's own pages (:func:`shared.api.changes.read_feed`),
so it obeys the same settle rule and never skips nor repeats a change across a reconnect. A
``retry: 2000`` with the ``id`` of where it starts opens it (a client dropped before its first
change resumes from there); a comment line (``: heartbeat``) follows every
``EVENTS_STREAM_HEARTBEAT_SECONDS``; it closes cleanly after ``EVENTS_STREAM_MAX_SECONDS``, at the
expiry of the token it was opened with, and within ``EVENTS_KEY_CACHE_SECONDS`` of the revocation of
the API key it was opened with. A cursor past the retention gets one ``event: reset`` whose ``id`` is
the feed's head (resume from it), then the close.

Cost: an idle stream reads nothing. One Firestore listener per instance and org
(:class:`OrgListener`, on the org's newest change record) wakes the instance's streams of that org with
the commit time of the newest change; a woken stream reads the feed once that time is older than the
settle window, so ordering and the settle rule stay the feed's. Each open stream holds a slot of
:mod:`shared.store.stream_slots` (at most ``EVENTS_STREAM_MAX_PER_ORG`` per org across instances),
renewed at each heartbeat and freed at the close.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore

from shared.api.changes import (
    FeedQuery,
    change_view,
    position_cursor,
    read_feed,
)
from shared.config import settings
from shared.edge.auth import Credential, Principal, Role
from shared.edge.logs import log_error
from shared.errors import RateLimited
from shared.store.api_keys import ApiKeys
from shared.store.budget import request_budget
from shared.store.changes import COLLECTION as CHANGES
from shared.store.changes import FeedPosition
from shared.store.client import firestore_client
from shared.store.stream_slots import StreamSlots
from shared.timefmt import utcnow

CONTENT_TYPE = "text/event-stream; charset=utf-8"
RETRY_MILLISECONDS = 2000
RESET = "reset"
PAGE = 100
HEARTBEAT = ": heartbeat\n\n"


def message(event_id: str, event: str, data: Any) -> str:
    """One SSE message (``data`` as one line of compact JSON)."""
    return f"id: {event_id}\nevent: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class Waker:
    """How a stream learns that the org has changes: the commit times the listener reported, and an
    event set at each report."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._stamps: list[datetime] = []
        self._lock = threading.Lock()

    def wake(self, at: datetime) -> None:
        with self._lock:
            self._stamps.append(at)
        self.event.set()

    def first_after(self, position: datetime) -> datetime | None:
        """The earliest reported commit time after ``position`` (the stream has read up to it); earlier
        reports are forgotten."""
        with self._lock:
            self._stamps = [at for at in self._stamps if at > position]
            return min(self._stamps, default=None)


class OrgListener:
    """One Firestore listener on an org's newest change record, fanned out to this instance's
    streams of that org; restarted by :meth:`ensure` when its watch has stopped."""

    def __init__(self, org_id: str) -> None:
        self.org_id = org_id
        self.wakers: set[Waker] = set()
        self.latest: datetime | None = None
        self._watch: Any = None

    def ensure(self) -> None:
        """Start the listener unless it is running."""
        if self._watch is not None and self._watch.is_active:
            return
        records = firestore_client().collection("orgs").document(self.org_id).collection(CHANGES)
        newest = records.order_by("at", direction=firestore.Query.DESCENDING).limit(1)
        self._watch = newest.on_snapshot(self._changed)

    def _changed(self, documents: list[Any], _changes: Any, _read_time: Any) -> None:
        stamps = [at for snap in documents if isinstance(at := (snap.to_dict() or {}).get("at"), datetime)]
        if not stamps:
            return
        with _LOCK:
            self.latest = max(stamps)
            wakers = list(self.wakers)
        for waker in wakers:
            waker.wake(self.latest)

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.unsubscribe()
            self._watch = None


_LOCK = threading.Lock()
_LISTENERS: dict[str, OrgListener] = {}


def follow(org_id: str) -> tuple[OrgListener, Waker]:
    """Register a stream of ``org_id`` with this instance's listener of the org (started if needed)."""
    waker = Waker()
    with _LOCK:
        listener = _LISTENERS.setdefault(org_id, OrgListener(org_id))
        listener.wakers.add(waker)
        listener.ensure()
        if listener.latest is not None:
            waker.wake(listener.latest)  # a change the stream's start position may not cover
    return listener, waker


def unfollow(listener: OrgListener, waker: Waker) -> None:
    """Unregister a stream; the last one of an org stops the org's listener."""
    with _LOCK:
        listener.wakers.discard(waker)
        last = not listener.wakers and _LISTENERS.get(listener.org_id) is listener
        if last:
            del _LISTENERS[listener.org_id]
    if last:  # outside the lock: stopping joins the watch's thread, whose callback takes the lock
        listener.stop()


def listeners() -> int:
    """How many org listeners this instance runs."""
    with _LOCK:
        return len(_LISTENERS)


@dataclass
class Stream:
    """One open stream: its caller, credential, query, position and slot."""

    principal: Principal
    credential: Credential
    query: FeedQuery
    position: FeedPosition
    slot_id: str
    catch_up: bool = True  # read at once from ``position`` (False at the head: the listener wakes it)

    @property
    def redacted(self) -> bool:
        return self.principal.role < Role.ADMIN


def head() -> FeedPosition:
    """The feed's head now: after every change the feed may already show."""
    return FeedPosition(utcnow() - timedelta(seconds=settings().changes_settle_seconds), "")


def take_slot(principal: Principal) -> str:
    """A slot of the org's open streams; 429 with ``Retry-After`` when the org holds its limit."""
    config = settings()
    slot_id, now = uuid.uuid4().hex, utcnow()
    lease = timedelta(seconds=2 * config.stream_heartbeat_seconds)
    if not StreamSlots(principal.org_id).take(slot_id, config.stream_max_per_org, now, now + lease):
        error = RateLimited(
            f"this org already holds {config.stream_max_per_org} open event streams; close one or retry later"
        )
        error.headers["Retry-After"] = str(config.stream_heartbeat_seconds)
        raise error
    return slot_id


def reset_stream(principal: Principal, query: FeedQuery, reason: str) -> Iterator[str]:
    """The answer to a cursor past the retention: ``retry``, one ``reset`` message naming the head,
    then the close."""
    cursor = position_cursor(head(), principal.scope, principal.role.name, query)
    yield f"retry: {RETRY_MILLISECONDS}\n\n" + message(cursor, RESET, {"code": "gone", "message": reason})


def _key_live(key_id: str) -> bool:
    """Whether the API key a stream was opened with still authenticates (read from the store)."""
    record = ApiKeys().find(key_id)
    return record is not None and record.usable_at(utcnow())


def run_stream(stream: Stream) -> Iterator[str]:
    """The stream's body: messages as the feed admits them, heartbeats, the close. Frees the slot and
    leaves the listener when it ends, whether it closes or the client goes away."""
    config = settings()
    principal, scope = stream.principal, stream.principal.scope
    role = principal.role.name
    query = replace(stream.query, limit=PAGE)
    settle = timedelta(seconds=config.changes_settle_seconds)
    started = time.monotonic()
    ends = started + config.stream_max_seconds
    if stream.credential.expires_at is not None:
        ends = min(ends, started + (stream.credential.expires_at - utcnow()).total_seconds())
    heartbeat = started + config.stream_heartbeat_seconds
    key_check = started + max(1, config.key_cache_seconds)
    slots = StreamSlots(principal.org_id)
    followed: tuple[OrgListener, Waker] | None = None
    try:
        followed = listener, waker = follow(principal.org_id)
        # the opening names where the stream starts, so a client dropped before its first change
        # resumes there (an id without data moves an EventSource's last event id, dispatching nothing)
        opening = position_cursor(stream.position, scope, role, query)
        yield f"retry: {RETRY_MILLISECONDS}\nid: {opening}\n\n"
        read_now = stream.catch_up
        while True:
            moment = time.monotonic()
            if moment >= ends:
                return
            if read_now:
                with request_budget():
                    found = read_feed(scope, query, stream.position, utcnow())
                stream.position = found.last
                if found.changes:
                    yield "".join(
                        message(
                            position_cursor(change.position, scope, role, query),
                            change.data["type"],
                            change_view(change, redacted=stream.redacted),
                        )
                        for change in found.changes
                    )
                if len(found.changes) == PAGE:
                    continue
            if moment >= heartbeat:
                yield HEARTBEAT
                heartbeat = moment + config.stream_heartbeat_seconds
                lease = timedelta(seconds=2 * config.stream_heartbeat_seconds)
                with request_budget():
                    slots.renew(stream.slot_id, utcnow() + lease)
                with _LOCK:
                    listener.ensure()
            if stream.credential.key_id is not None and moment >= key_check:
                with request_budget():
                    if not _key_live(stream.credential.key_id):
                        return
                key_check = moment + max(1, config.key_cache_seconds)
            # the earliest change reported but not yet read is readable once older than the settle
            # window; later reports never postpone it
            pending = waker.first_after(stream.position.at)
            due: float | None = None
            if pending is not None:
                due = time.monotonic() + max(0.0, (pending + settle - utcnow()).total_seconds())
            wakes = [ends, heartbeat] + ([key_check] if stream.credential.key_id is not None else [])
            if due is not None:
                wakes.append(due)
            wait = min(wakes) - time.monotonic()
            if wait > 0 and waker.event.wait(wait):
                waker.event.clear()
            pending = waker.first_after(stream.position.at)
            read_now = pending is not None and pending + settle <= utcnow()
    except GeneratorExit:
        raise
    except Exception as exc:  # the stream closes; the client resumes from its last id
        log_error("event stream stopped", org_id=principal.org_id, error=repr(exc))
    finally:
        if followed is not None:
            unfollow(*followed)
        try:
            with request_budget():
                slots.release(stream.slot_id)
        except Exception as exc:  # the slot lapses within two heartbeats anyway
            log_error("stream slot not released", org_id=principal.org_id, error=repr(exc))
