"""POST /api/v1/events/{id}/upload-urls on the real emulators: who may ask (ingest keys, with or
without sites, and admins; a site-scoped key not for an existing event of another site); the answer is
200 whether or not the event exists; the URLs take a real PUT of the bytes into the storage emulator
(fake-gcs-server, which accepts the signed PUT but checks neither its signature nor the signed type
and size: the unit test ``tests/unit/test_upload_urls.py`` proves those are bound); the event, loaded
through the ingest API naming the uploaded objects, then serves those very bytes through its
``snapshot_url`` and ``clip_url``; the request spends the ingest budget, not the API's; an
Idempotency-Key retry names the same objects; a body with fields is 400."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import requests

from shared.ids import canonical_uuid
from tests.integration.conftest import SITE_A, SITE_B, Api, Token, event_line

EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000


def upload_urls(api: Api, bearer: str, event_id: str, **kwargs: Any) -> requests.Response:
    return api.post(f"{EVENTS}/{event_id}/upload-urls", bearer, **kwargs)


def new_key(api: Api, admin_jwt: str, **body: Any) -> str:
    answer = api.post("/api/v1/keys", admin_jwt, json={"name": "gateway", **body})
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["secret"]
    return secret


def test_urls_for_a_new_event_take_the_upload_and_the_event_then_serves_it(api: Api, token: Token) -> None:
    event_id = str(uuid.uuid4())
    gateway = new_key(api, token("admin"), role="ingest", site_ids=[SITE_A])
    answer = upload_urls(api, gateway, event_id)
    assert answer.status_code == 200, answer.text
    assert answer.headers["RateLimit-Policy"] == '"ingest";q=6000;w=60', "the ingest budget, not the API's"
    body = answer.json()
    assert set(body) == {"snapshot", "clip"}
    for kind, content, content_type in (("snapshot", JPEG, "image/jpeg"), ("clip", MP4, "video/mp4")):
        target = body[kind]
        assert target["method"] == "PUT" and target["headers"]["Content-Type"] == content_type
        assert target["object"].startswith(f"uploads/{event_id}/")
        put = requests.put(target["url"], data=content, headers=target["headers"], timeout=30)
        assert put.status_code == 200, put.text

    line = event_line(0, snapshot_object=body["snapshot"]["object"], clip_object=body["clip"]["object"])
    loaded = api.call("PUT", f"{EVENTS}/{event_id}", gateway, json={**line, "id": event_id})
    assert loaded.status_code == 201, loaded.text
    detail = api.get(f"{EVENTS}/{event_id}", token("viewer", sites=[SITE_A]))
    assert detail.status_code == 200
    snapshot = requests.get(detail.json()["snapshot_url"], timeout=30)
    assert (snapshot.status_code, snapshot.content) == (200, JPEG)
    assert snapshot.headers["Content-Type"] == "image/jpeg"
    clip = requests.get(detail.json()["clip_url"], timeout=30)
    assert (clip.status_code, clip.content) == (200, MP4)


def test_each_request_names_fresh_objects_and_an_existing_event_gets_urls_too(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    (line,) = add_events([event_line(0)])
    admin = token("admin")
    first, second = (upload_urls(api, admin, line["id"]).json() for _ in range(2))
    assert first["snapshot"]["object"] != second["snapshot"]["object"]
    assert first["clip"]["object"] != second["clip"]["object"]
    upper = upload_urls(api, admin, line["id"].upper())
    assert upper.status_code == 200 and upper.json()["snapshot"]["object"].startswith(
        f"uploads/{canonical_uuid(line['id'])}/"
    ), "the prefix is the canonical id"


def test_who_may_ask(api: Api, token: Token, add_events: AddEvents) -> None:
    (line,) = add_events([event_line(0)])
    admin_jwt = token("admin")
    allowed = [
        admin_jwt,
        new_key(api, admin_jwt, role="admin"),
        new_key(api, admin_jwt, role="ingest"),
        new_key(api, admin_jwt, role="ingest", site_ids=[SITE_A]),
    ]
    refused = [
        token("viewer", sites=[SITE_A]),
        token("operator"),
        new_key(api, admin_jwt, role="viewer", site_ids=[SITE_A]),
        new_key(api, admin_jwt, role="operator"),
    ]
    for bearer in allowed:
        assert upload_urls(api, bearer, line["id"]).status_code == 200
    for bearer in refused:
        answer = upload_urls(api, bearer, line["id"])
        assert (answer.status_code, answer.json()["error"]) == (403, "forbidden")
    assert upload_urls(api, token("admin", org_id="org-other"), line["id"]).status_code == 200, (
        "another org's admin may upload for that id in its own org: nothing of this org is shown"
    )
    missing = api.post(f"{EVENTS}/{line['id']}/upload-urls")
    assert missing.status_code == 401


def test_a_site_scoped_ingest_key_may_not_upload_for_another_sites_event(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    ours, theirs, dismissed = add_events(
        [event_line(0), event_line(1, site_id=SITE_B), event_line(2, site_id=SITE_B)]
    )
    admin = token("admin")
    assert api.delete(f"{EVENTS}/{dismissed['id']}", admin).status_code == 204
    gateway = new_key(api, admin, role="ingest", site_ids=[SITE_A])
    assert upload_urls(api, gateway, ours["id"]).status_code == 200
    for other in (theirs, dismissed):
        refused = upload_urls(api, gateway, other["id"])
        assert (refused.status_code, refused.json()["error"]) == (403, "forbidden"), other
    assert (
        upload_urls(api, new_key(api, admin, role="ingest", site_ids=[SITE_B]), theirs["id"]).status_code
        == 200
    )
    assert upload_urls(api, new_key(api, admin, role="ingest"), theirs["id"]).status_code == 200
    # An event not written yet has no site to check: the key may upload; its site is checked on write.
    fresh = str(uuid.uuid4())
    assert upload_urls(api, gateway, fresh).status_code == 200
    elsewhere = api.call("PUT", f"{EVENTS}/{fresh}", gateway, json=event_line(0, id=fresh, site_id=SITE_B))
    assert elsewhere.status_code == 403


def test_bad_requests(api: Api, token: Token) -> None:
    admin, event_id = token("admin"), str(uuid.uuid4())
    assert upload_urls(api, admin, event_id, json={}).status_code == 200
    fields = upload_urls(api, admin, event_id, json={"content_type": "text/html"})
    assert (fields.status_code, fields.json()["error"]) == (400, "validation_error")
    assert "body" in fields.json()["fields"]
    not_json = upload_urls(api, admin, event_id, data=b"x", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 400
    assert upload_urls(api, admin, "not-a-uuid").status_code == 404
    assert api.call("GET", f"{EVENTS}/{event_id}/upload-urls", admin).status_code == 405


def test_an_idempotent_retry_names_the_same_objects(api: Api, token: Token) -> None:
    admin, event_id = token("admin"), str(uuid.uuid4())
    headers = {"Idempotency-Key": f"upload-{event_id}"}
    first = upload_urls(api, admin, event_id, headers=headers)
    again = upload_urls(api, admin, event_id, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    for kind in ("snapshot", "clip"):
        assert again.json()[kind]["object"] == first.json()[kind]["object"]
    other = upload_urls(api, admin, str(uuid.uuid4()), headers=headers)
    assert other.status_code == 400, "the same key for another request"
