"""``client.webhook_endpoints``: the org's webhook endpoints (admin): create, list, get, update,
delete, send a ``webhook.test`` message, read an endpoint's delivery log, send a delivery again,
replay past changes and rotate the signing secret. Verify what they receive with
:class:`novavms.Webhook`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._operations import Call, call
from .._pagination import AsyncPage, AsyncPaginator, Page, async_pages, sync_pages
from .._params import NOT_GIVEN, NotGiven, json_body, query
from .._webhooks import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEndpointCreated,
    WebhookEndpointStatus,
    WebhookEventType,
    WebhookReplayScheduled,
    WebhookResendQueued,
    WebhookSecret,
    WebhookTestQueued,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from .._client import AsyncClient, Client

__all__ = ["AsyncWebhookEndpoints", "WebhookDeliveryList", "WebhookEndpointList", "WebhookEndpoints"]

WebhookEndpointList = Page[WebhookEndpoint]
"""One page of the org's webhook endpoints, newest first."""
AsyncWebhookEndpointList = AsyncPage[WebhookEndpoint]
WebhookDeliveryList = Page[WebhookDelivery]
"""One page of an endpoint's deliveries, newest first."""


def _list_call(cursor: str | None, limit: int | None) -> Call:
    return call("list_webhook_endpoints", params=query({"cursor": cursor, "limit": limit}))


def _create_call(
    url: str,
    event_types: Sequence[WebhookEventType],
    filter: Mapping[str, Sequence[str]] | NotGiven | None,
    description: str | NotGiven | None,
    idempotency_key: str | None,
) -> Call:
    body = json_body(
        {"url": url, "event_types": event_types, "filter": _filter(filter), "description": description}
    )
    return call("create_webhook_endpoint", json=body, idempotency_key=idempotency_key)


def _get_call(endpoint_id: str) -> Call:
    return call("get_webhook_endpoint", path_params={"id": endpoint_id})


def _update_call(
    endpoint_id: str,
    url: str | NotGiven,
    event_types: Sequence[WebhookEventType] | NotGiven,
    filter: Mapping[str, Sequence[str]] | NotGiven | None,
    description: str | NotGiven | None,
    status: WebhookEndpointStatus | NotGiven,
    idempotency_key: str | None,
) -> Call:
    fields = {
        "url": url,
        "event_types": event_types,
        "filter": _filter(filter),
        "description": description,
        "status": status,
    }
    return call(
        "update_webhook_endpoint",
        path_params={"id": endpoint_id},
        json=json_body(fields),
        idempotency_key=idempotency_key,
    )


def _delete_call(endpoint_id: str, idempotency_key: str | None) -> Call:
    return call("delete_webhook_endpoint", path_params={"id": endpoint_id}, idempotency_key=idempotency_key)


def _test_call(endpoint_id: str) -> Call:
    return call("test_webhook_endpoint", path_params={"id": endpoint_id})


def _deliveries_call(
    endpoint_id: str, cursor: str | None, limit: int | None, status: WebhookDeliveryStatus | None
) -> Call:
    params = query({"cursor": cursor, "limit": limit, "status": status})
    return call("list_webhook_deliveries", path_params={"id": endpoint_id}, params=params)


def _resend_call(delivery_id: str, idempotency_key: str | None) -> Call:
    return call("resend_webhook_delivery", path_params={"id": delivery_id}, idempotency_key=idempotency_key)


def _stamp(value: datetime | str | NotGiven | None) -> Any:
    """A time as the body takes it (RFC 3339); not given and None pass through."""
    if value is None or isinstance(value, (str, NotGiven)):
        return value
    return value.isoformat()


def _replay_call(
    endpoint_id: str,
    since: datetime | str,
    until: datetime | str | NotGiven | None,
    types: Sequence[str] | NotGiven | None,
    idempotency_key: str | None,
) -> Call:
    listed = types if types is None or isinstance(types, NotGiven) else list(types)
    body = json_body({"since": _stamp(since), "until": _stamp(until), "types": listed})
    return call(
        "replay_webhook_endpoint",
        path_params={"id": endpoint_id},
        json=body,
        idempotency_key=idempotency_key,
    )


def _rotate_call(endpoint_id: str, grace_seconds: int | NotGiven, idempotency_key: str | None) -> Call:
    return call(
        "rotate_webhook_secret",
        path_params={"id": endpoint_id},
        json=json_body({"grace_seconds": grace_seconds}),
        idempotency_key=idempotency_key,
    )


def _filter(value: Mapping[str, Sequence[str]] | NotGiven | None) -> Any:
    """A filter as the body takes it (its lists as lists); not given and None pass through."""
    if value is None or isinstance(value, NotGiven):
        return value
    return {name: list(values) for name, values in value.items()}


class WebhookEndpoints:
    """Webhook endpoints of the caller's org. Admin role."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        *,
        url: str,
        event_types: Sequence[WebhookEventType],
        filter: Mapping[str, Sequence[str]] | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookEndpointCreated:
        """A new endpoint receiving the changes of ``event_types`` (``"*"``: all) that match
        ``filter`` (``site_ids``, ``camera_ids``, ``trigger_types``); its ``secret`` is in this
        answer only. The URL must be https and reach a public address (400 otherwise)."""
        created = _create_call(url, event_types, filter, description, idempotency_key)
        return WebhookEndpointCreated.from_dict(self._client._json(created))

    def list(self, *, cursor: str | None = None, limit: int | None = None) -> WebhookEndpointList:
        """The first page of the org's endpoints, newest first (``limit`` 1-100 per page, default 20);
        iterating it walks every endpoint across pages."""
        return sync_pages(lambda at: self._client._json(_list_call(at, limit)), WebhookEndpoint, cursor)

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        """One endpoint (404 ``NotFoundError`` when the org has none of that id)."""
        return WebhookEndpoint.from_dict(self._client._json(_get_call(endpoint_id)))

    def update(
        self,
        endpoint_id: str,
        *,
        url: str | NotGiven = NOT_GIVEN,
        event_types: Sequence[WebhookEventType] | NotGiven = NOT_GIVEN,
        filter: Mapping[str, Sequence[str]] | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        status: WebhookEndpointStatus | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        """Change the fields given (``filter`` replaces the whole filter; ``status="enabled"`` turns
        a disabled endpoint back on and clears ``disabled_reason``)."""
        change = _update_call(endpoint_id, url, event_types, filter, description, status, idempotency_key)
        return WebhookEndpoint.from_dict(self._client._json(change))

    def delete(self, endpoint_id: str, *, idempotency_key: str | None = None) -> None:
        """Delete an endpoint: it receives nothing more."""
        self._client._json(_delete_call(endpoint_id, idempotency_key))

    def test(self, endpoint_id: str) -> WebhookTestQueued:
        """Send the endpoint a ``webhook.test`` message now; answers its delivery's id."""
        return WebhookTestQueued.from_dict(self._client._json(_test_call(endpoint_id)))

    def deliveries(
        self,
        endpoint_id: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        status: WebhookDeliveryStatus | None = None,
    ) -> WebhookDeliveryList:
        """The first page of the endpoint's delivery log, newest first (``limit`` 1-100, default 20;
        ``status`` keeps one kind); iterating it walks every delivery across pages."""
        return sync_pages(
            lambda at: self._client._json(_deliveries_call(endpoint_id, at, limit, status)),
            WebhookDelivery,
            cursor,
        )

    def resend(self, delivery_id: str, *, idempotency_key: str | None = None) -> WebhookResendQueued:
        """Send a delivery again: a new attempt series, the same ``webhook-id`` and body (409 when
        its endpoint is disabled or deleted, or an attempt is in flight)."""
        return WebhookResendQueued.from_dict(self._client._json(_resend_call(delivery_id, idempotency_key)))

    def replay(
        self,
        endpoint_id: str,
        *,
        since: datetime | str,
        until: datetime | str | NotGiven | None = NOT_GIVEN,
        types: Sequence[str] | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookReplayScheduled:
        """New deliveries of the changes kept from ``since`` (within the change log's retention) to
        ``until`` (default now) of ``types`` that the endpoint receives, each with its change's
        ``webhook-id``; answers how many (at most 10,000 changes a replay)."""
        replay = _replay_call(endpoint_id, since, until, types, idempotency_key)
        return WebhookReplayScheduled.from_dict(self._client._json(replay))

    def rotate_secret(
        self,
        endpoint_id: str,
        *,
        grace_seconds: int | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookSecret:
        """A new signing secret (shown only here); for ``grace_seconds`` (default 86400, 0-604800)
        messages carry both signatures, the new and the old."""
        rotate = _rotate_call(endpoint_id, grace_seconds, idempotency_key)
        return WebhookSecret.from_dict(self._client._json(rotate))


class AsyncWebhookEndpoints:
    """``client.webhook_endpoints`` of :class:`~novavms.AsyncClient`: the methods of
    :class:`WebhookEndpoints`, awaited."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        url: str,
        event_types: Sequence[WebhookEventType],
        filter: Mapping[str, Sequence[str]] | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookEndpointCreated:
        created = _create_call(url, event_types, filter, description, idempotency_key)
        return WebhookEndpointCreated.from_dict(await self._client._json(created))

    def list(self, *, cursor: str | None = None, limit: int | None = None) -> AsyncPaginator[WebhookEndpoint]:
        """``await`` it for the first page; ``async for endpoint in ...list()`` walks every one."""
        return async_pages(lambda at: self._client._json(_list_call(at, limit)), WebhookEndpoint, cursor)

    async def get(self, endpoint_id: str) -> WebhookEndpoint:
        return WebhookEndpoint.from_dict(await self._client._json(_get_call(endpoint_id)))

    async def update(
        self,
        endpoint_id: str,
        *,
        url: str | NotGiven = NOT_GIVEN,
        event_types: Sequence[WebhookEventType] | NotGiven = NOT_GIVEN,
        filter: Mapping[str, Sequence[str]] | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        status: WebhookEndpointStatus | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        change = _update_call(endpoint_id, url, event_types, filter, description, status, idempotency_key)
        return WebhookEndpoint.from_dict(await self._client._json(change))

    async def delete(self, endpoint_id: str, *, idempotency_key: str | None = None) -> None:
        await self._client._json(_delete_call(endpoint_id, idempotency_key))

    async def test(self, endpoint_id: str) -> WebhookTestQueued:
        return WebhookTestQueued.from_dict(await self._client._json(_test_call(endpoint_id)))

    def deliveries(
        self,
        endpoint_id: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        status: WebhookDeliveryStatus | None = None,
    ) -> AsyncPaginator[WebhookDelivery]:
        """``await`` it for the first page; ``async for delivery in ...deliveries(id)`` walks every one."""
        return async_pages(
            lambda at: self._client._json(_deliveries_call(endpoint_id, at, limit, status)),
            WebhookDelivery,
            cursor,
        )

    async def resend(self, delivery_id: str, *, idempotency_key: str | None = None) -> WebhookResendQueued:
        resend = _resend_call(delivery_id, idempotency_key)
        return WebhookResendQueued.from_dict(await self._client._json(resend))

    async def replay(
        self,
        endpoint_id: str,
        *,
        since: datetime | str,
        until: datetime | str | NotGiven | None = NOT_GIVEN,
        types: Sequence[str] | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookReplayScheduled:
        replay = _replay_call(endpoint_id, since, until, types, idempotency_key)
        return WebhookReplayScheduled.from_dict(await self._client._json(replay))

    async def rotate_secret(
        self,
        endpoint_id: str,
        *,
        grace_seconds: int | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookSecret:
        rotate = _rotate_call(endpoint_id, grace_seconds, idempotency_key)
        return WebhookSecret.from_dict(await self._client._json(rotate))
