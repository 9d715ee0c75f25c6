"""``client.webhook_endpoints``: the org's webhook endpoints (admin): create, list, get, update,
delete, and send a ``webhook.test`` message. Verify what they receive with :class:`novavms.Webhook`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._operations import Call, call
from .._pagination import AsyncPage, AsyncPaginator, Page, async_pages, sync_pages
from .._params import NOT_GIVEN, NotGiven, json_body, query
from .._webhooks import (
    WebhookEndpoint,
    WebhookEndpointCreated,
    WebhookEndpointStatus,
    WebhookEventType,
    WebhookTestQueued,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .._client import AsyncClient, Client

__all__ = ["AsyncWebhookEndpoints", "WebhookEndpointList", "WebhookEndpoints"]

WebhookEndpointList = Page[WebhookEndpoint]
"""One page of the org's webhook endpoints, newest first."""
AsyncWebhookEndpointList = AsyncPage[WebhookEndpoint]


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
