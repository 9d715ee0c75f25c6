"""Webhook rules that need no stack: the Standard Webhooks signature (checked by the independent
``standardwebhooks`` library), secrets at rest, the retry schedule, which changes an endpoint
receives, and a deployment that never lets loopback URLs in."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidTag
from standardwebhooks import Webhook, WebhookVerificationError

from deploy.plan import ALL_FUNCTIONS, environment, steps
from deploy.tenants import load_tenants
from shared.config import settings
from shared.errors import ConfigurationError
from shared.store.webhooks import ENABLED, Endpoint
from shared.webhooks import signing, vault
from shared.webhooks.delivery import retry_delay


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    saved = dict(os.environ)
    settings.cache_clear()
    yield os.environ  # type: ignore[misc]
    os.environ.clear()
    os.environ.update(saved)
    settings.cache_clear()


def test_a_signature_verifies_with_an_independent_implementation() -> None:
    secret = signing.new_secret()
    assert 24 <= len(signing.secret_key(secret)) <= 64
    body = b'{"type":"event.created","data":{"note":"caf\xc3\xa9"}}'
    now = int(time.time())
    headers = signing.headers(secret, "msg_1", now, body)
    assert Webhook(secret).verify(body, headers) == {"type": "event.created", "data": {"note": "café"}}
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    stale = signing.headers(secret, "msg_1", now - 3600, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, stale)
    expected = Webhook(secret).sign("msg_1", datetime.fromtimestamp(now, UTC), body.decode())
    assert headers["webhook-signature"] == expected


@pytest.mark.parametrize("secret", ["whsec_", "sk_live_abc", "whsec_not base64!", "whsec_" + "A" * 16])
def test_a_malformed_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValueError):
        signing.secret_key(secret)


def test_a_sealed_secret_opens_only_for_its_endpoint_under_its_key(env: dict[str, str]) -> None:
    env["EVENTS_WEBHOOK_SECRET_KEY"] = "k" * 32
    secret = signing.new_secret()
    sealed = vault.seal(secret, "org-a", "ep_1")
    assert secret not in sealed and secret.encode() not in base64.b64decode(sealed)
    assert vault.open_sealed(sealed, "org-a", "ep_1") == secret
    with pytest.raises(InvalidTag):
        vault.open_sealed(sealed, "org-b", "ep_1")
    env["EVENTS_WEBHOOK_SECRET_KEY"] = "j" * 32
    settings.cache_clear()
    with pytest.raises(InvalidTag):
        vault.open_sealed(sealed, "org-a", "ep_1")


@pytest.mark.parametrize("raw", ["k" * 31, ""])
def test_the_secret_key_is_at_least_32_bytes(env: dict[str, str], raw: str) -> None:
    env["EVENTS_WEBHOOK_SECRET_KEY"] = raw
    if raw:
        with pytest.raises(ConfigurationError):
            settings()
    else:
        with pytest.raises(ConfigurationError):
            vault.seal("whsec_x", "org", "ep")


def test_retries_follow_the_schedule_with_jitter_and_retry_after(env: dict[str, str]) -> None:
    assert settings().webhook_retry_schedule == (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    env["EVENTS_WEBHOOK_RETRY_SCHEDULE"] = "10,20"
    settings.cache_clear()
    for _ in range(50):
        first = retry_delay(1, None)
        assert first is not None and 10 <= first <= 11
    assert retry_delay(3, None) is None  # two retries: three attempts in all
    waited = retry_delay(1, 600.0)
    assert waited is not None and waited >= 600
    capped = retry_delay(2, 10 * 86_400.0)
    assert capped is not None and capped <= 86_400 * 1.1


@pytest.mark.parametrize("raw", ["5,,10", "a,b", "-1", ",".join(["1"] * 21), "90000"])
def test_a_bad_schedule_is_refused(env: dict[str, str], raw: str) -> None:
    env["EVENTS_WEBHOOK_RETRY_SCHEDULE"] = raw
    with pytest.raises(ConfigurationError):
        settings()


def _endpoint(event_types: tuple[str, ...], **filters: list[str]) -> Endpoint:
    now = datetime.now(UTC)
    return Endpoint("ep_1", "https://x", event_types, filters, None, ENABLED, None, now, now, "")


def test_an_endpoint_receives_its_types_within_its_filter() -> None:
    change = {"type": "event.updated", "site_id": "s1", "camera_id": "c1", "trigger_type": "motion"}
    assert _endpoint(("*",)).receives(change)
    assert _endpoint(("event.updated",), site_ids=["s1"], trigger_types=["motion"]).receives(change)
    assert not _endpoint(("event.created",)).receives(change)
    assert not _endpoint(("*",), camera_ids=["c2"]).receives(change)
    assert not _endpoint(("*",), trigger_types=["ai_tag", "manual"]).receives(change)
    disabled = Endpoint(**{**_endpoint(("*",)).__dict__, "status": "disabled"})
    assert not disabled.receives(change)


def test_a_deployment_never_lets_loopback_webhooks_in() -> None:
    for tenant in load_tenants().values():
        for function in ALL_FUNCTIONS:
            assert "EVENTS_WEBHOOK_ALLOW_LOOPBACK" not in environment(tenant, function)
        assert not any("EVENTS_WEBHOOK_ALLOW_LOOPBACK" in line for line in steps(tenant))


def test_a_cloud_task_calls_deliver_webhook_as_the_tasks_account_at_its_time(env: dict[str, str]) -> None:
    from shared.store.webhook_queue import cloud_task

    tenant = load_tenants()["acme"]
    env.update(environment(tenant, "update_event"))
    settings.cache_clear()
    at = datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)
    task = cloud_task("acme", "0123abcd", at)
    request = task.http_request
    assert request.url == env["EVENTS_WEBHOOK_DELIVER_URL"] and request.url.endswith("-deliver-webhook")
    assert request.oidc_token.service_account_email == tenant.account("tasks")
    assert request.oidc_token.audience == request.url
    assert json.loads(request.body) == {"org_id": "acme", "delivery_id": "0123abcd"}
    assert task.schedule_time.timestamp() == at.timestamp()
    assert env["EVENTS_WEBHOOK_QUEUE"].endswith(f"/queues/{tenant.prefix}-webhooks")
