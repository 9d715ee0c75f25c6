"""The Python client's ``webhook_endpoints`` (sync and async) against the real local stack, with the
local task runner delivering to a receiver on loopback: create (the secret once), list across pages,
get, update (filter, status), test (the message verified with ``novavms.Webhook``), delete; a
refused URL is a ValidationError naming ``url``; a viewer is refused."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import novavms
import pytest

from devstack.tasks import TaskRunner
from devstack.webhook_receiver import Received, Receiver
from tests.integration.conftest import ROOT, SITE_A, Token, reset_caches

JS_VERIFY = """
import { Webhook } from %s;
const [secret, body, headers] = JSON.parse(process.argv[1]);
const bytes = Uint8Array.from(Buffer.from(body, "base64"));
console.log(JSON.stringify(await new Webhook(secret).verify(bytes, headers)));
"""


def js_verified(secret: str, received: Received) -> object:
    """The message as the JS client's verifier (the committed dist, run by node) answers it."""
    script = JS_VERIFY % json.dumps((ROOT / "clients" / "js" / "dist" / "index.js").as_uri())
    argument = json.dumps([secret, base64.b64encode(received.body).decode(), received.headers])
    ran = subprocess.run(
        ["node", "--input-type=module", "-e", script, argument], capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    os.environ["EVENTS_CHANGES_SETTLE_SECONDS"] = "0"
    reset_caches()
    with TaskRunner(sweep_seconds=1.0) as started:
        yield started


@pytest.fixture
def admin(gateway_url: str, token: Token) -> Iterator[novavms.Client]:
    with novavms.Client(
        api_key=token("admin", sub="hooks-admin"), base_url=gateway_url, max_retries=0
    ) as client:
        yield client


def test_endpoints_through_the_python_client(admin: novavms.Client, runner: TaskRunner) -> None:
    with Receiver() as receiver:
        created = admin.webhook_endpoints.create(
            url=receiver.url,
            event_types=["event.created", "event.updated"],
            filter={"site_ids": (SITE_A,)},
            description="dock alarms",
            idempotency_key="hooks-create-1",
        )
        assert isinstance(created, novavms.WebhookEndpointCreated)
        assert created.secret is not None and created.secret.startswith("whsec_")
        assert (created.url, created.event_types, created.filter) == (
            receiver.url,
            ["event.created", "event.updated"],
            {"site_ids": [SITE_A]},
        )
        assert (created.status, created.disabled_reason, created.description) == (
            "enabled",
            None,
            "dock alarms",
        )
        assert created.created_at.tzinfo is not None

        queued = admin.webhook_endpoints.test(created.id)
        assert isinstance(queued, novavms.WebhookTestQueued) and len(queued.delivery_id) == 32
        [received] = receiver.wait_for(1)
        message = novavms.Webhook(created.secret).verify(received.body, received.headers)
        assert message["type"] == "webhook.test" and message["data"]["endpoint_id"] == created.id
        assert js_verified(created.secret, received) == message
        with pytest.raises(novavms.WebhookVerificationError):
            novavms.Webhook(created.secret).verify(received.body + b" ", received.headers)

    fetched = admin.webhook_endpoints.get(created.id)
    assert isinstance(fetched, novavms.WebhookEndpoint) and not hasattr(fetched, "secret")
    assert fetched.to_dict() == {k: v for k, v in created.to_dict().items() if k != "secret"}

    disabled = admin.webhook_endpoints.update(created.id, status="disabled", filter=None, description=None)
    assert (disabled.status, disabled.filter, disabled.description) == ("disabled", {}, None)
    assert disabled.disabled_reason
    enabled = admin.webhook_endpoints.update(created.id, status="enabled", event_types=["*"])
    assert (enabled.status, enabled.disabled_reason, enabled.event_types) == ("enabled", None, ["*"])

    others = [admin.webhook_endpoints.create(url=f"{receiver.url}/{n}", event_types=["*"]) for n in range(2)]
    first = admin.webhook_endpoints.list(limit=2)
    assert len(first.data) == 2 and first.next_cursor is not None
    walked = [endpoint.id for endpoint in admin.webhook_endpoints.list(limit=2)]
    assert sorted(walked) == sorted([created.id, *(other.id for other in others)])

    admin.webhook_endpoints.delete(created.id)
    with pytest.raises(novavms.NotFoundError):
        admin.webhook_endpoints.get(created.id)


def test_a_refused_url_is_a_validation_error_naming_url(admin: novavms.Client) -> None:
    for url in (
        "http://10.0.0.1/hooks",
        "https://user:pw@127.0.0.1/hooks",
        "https://metadata.google.internal/",
    ):
        with pytest.raises(novavms.ValidationError) as caught:
            admin.webhook_endpoints.create(url=url, event_types=["*"])
        assert "url" in caught.value.fields, url
    [endpoint] = [admin.webhook_endpoints.create(url="http://127.0.0.1:9/hooks", event_types=["*"])]
    with pytest.raises(novavms.ValidationError) as caught:
        admin.webhook_endpoints.update(endpoint.id, url="http://169.254.169.254/latest/meta-data/")
    assert "url" in caught.value.fields


def test_a_viewer_may_not_manage_endpoints(gateway_url: str, token: Token) -> None:
    viewer = token("viewer", sub="hooks-viewer", sites=[SITE_A])
    with (
        novavms.Client(api_key=viewer, base_url=gateway_url, max_retries=0) as client,
        pytest.raises(novavms.PermissionDeniedError),
    ):
        client.webhook_endpoints.list()


def test_the_async_client_has_the_same_methods(gateway_url: str, token: Token) -> None:
    async def main() -> list[str]:
        async with novavms.AsyncClient(api_key=token("admin"), base_url=gateway_url, max_retries=0) as client:
            created = await client.webhook_endpoints.create(url="http://127.0.0.1:9/a", event_types=["*"])
            updated = await client.webhook_endpoints.update(created.id, description="async")
            got = await client.webhook_endpoints.get(created.id)
            listed = [endpoint.id async for endpoint in client.webhook_endpoints.list()]
            await client.webhook_endpoints.delete(created.id)
            with pytest.raises(novavms.NotFoundError):
                await client.webhook_endpoints.test(created.id)
            return [updated.description or "", got.id, *listed]

    description, got, *listed = asyncio.run(main())
    assert description == "async" and listed == [got]


def settled(client: novavms.Client, endpoint_id: str, timeout: float = 30.0) -> novavms.WebhookDelivery:
    """The endpoint's newest delivery once it is no longer pending or retrying (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        [newest] = client.webhook_endpoints.deliveries(endpoint_id, limit=1).data
        if newest.status in ("succeeded", "failed"):
            return newest
        assert time.monotonic() < deadline, f"the delivery is still {newest.status}"
        time.sleep(0.1)


def test_operations_through_the_python_client(
    admin: novavms.Client, runner: TaskRunner, gateway_url: str, token: Token
) -> None:
    """deliveries, resend, replay, rotate_secret (both verifiers take the two signatures of a
    rotation's grace) and event_types.list, sync and async."""
    since = datetime.now(UTC) - timedelta(seconds=5)
    with Receiver() as receiver:
        created = admin.webhook_endpoints.create(url=receiver.url, event_types=["*"])
        assert created.secret is not None
        queued = admin.webhook_endpoints.test(created.id)
        [first] = receiver.wait_for(1)
        delivery = settled(admin, created.id)
        assert (delivery.id, delivery.type, delivery.message_id) == (
            queued.delivery_id,
            "webhook.test",
            first.headers["webhook-id"],
        )
        assert delivery.attempts and delivery.attempts[0].status_code == 200
        assert isinstance(delivery.created_at, datetime)

        assert admin.webhook_endpoints.resend(delivery.id).delivery_id == delivery.id
        [again] = receiver.wait_for(2)[1:]
        assert again.headers["webhook-id"] == first.headers["webhook-id"] and again.body == first.body
        assert len(settled(admin, created.id).attempts) == 2

        rotated = admin.webhook_endpoints.rotate_secret(created.id, grace_seconds=60)
        assert rotated.secret.startswith("whsec_") and rotated.secret != created.secret
        admin.webhook_endpoints.test(created.id)
        [during] = receiver.wait_for(3)[2:]
        for secret in (created.secret, rotated.secret):
            assert novavms.Webhook(secret).verify(during.body, during.headers)["type"] == "webhook.test"
            assert js_verified(secret, during) == json.loads(during.body)

        scheduled = admin.webhook_endpoints.replay(created.id, since=since, types=["event.created"])
        assert scheduled.scheduled == 0  # no event changed in this org
        with pytest.raises(novavms.ValidationError) as refused:
            admin.webhook_endpoints.replay(created.id, since="2000-01-01T00:00:00Z")
        assert "since" in refused.value.fields

    kinds = {entry.type: entry for entry in admin.event_types.list()}
    assert set(kinds) >= {"event.created", "webhook.test", "webhook_endpoint.disabled"}
    assert kinds["webhook.test"].schema["properties"]["type"] == {"type": "string", "const": "webhook.test"}

    async def main() -> tuple[int, int]:
        async with novavms.AsyncClient(api_key=token("admin"), base_url=gateway_url, max_retries=0) as client:
            first_page = await client.webhook_endpoints.deliveries(created.id)
            types = await client.event_types.list()
            return len(first_page.data), len(types)

    assert asyncio.run(main()) == (2, 6)
