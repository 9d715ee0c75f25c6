"""``client.keys``: create, list and revoke the org's API keys (an admin's user token, not a key)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .._models import ApiKey, ApiKeyCreated, Role
from .._operations import Call, call
from .._pagination import AsyncPage, AsyncPaginator, Page, async_pages, sync_pages
from .._params import NOT_GIVEN, NotGiven, json_body, query

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._client import AsyncClient, Client

__all__ = ["ApiKeyList", "AsyncApiKeyList", "AsyncKeys", "Keys"]

ApiKeyList = Page[ApiKey]
"""One page of the org's keys, newest first (revoked and expired ones included, marked)."""
AsyncApiKeyList = AsyncPage[ApiKey]


def _list_call(cursor: str | None, limit: int | None) -> Call:
    return call("list_keys", params=query({"cursor": cursor, "limit": limit}))


def _create_call(
    name: str,
    role: Role,
    site_ids: Sequence[str] | NotGiven,
    expires_at: datetime | str | NotGiven | None,
    idempotency_key: str | None,
) -> Call:
    body = json_body({"name": name, "role": role, "site_ids": site_ids, "expires_at": expires_at})
    return call("create_key", json=body, idempotency_key=idempotency_key)


def _revoke_call(key_id: str, idempotency_key: str | None) -> Call:
    return call("revoke_key", path_params={"id": key_id}, idempotency_key=idempotency_key)


class Keys:
    """API keys of the caller's org. Admin role, with a user token."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        *,
        name: str,
        role: Role,
        site_ids: Sequence[str] | NotGiven = NOT_GIVEN,
        expires_at: datetime | str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> ApiKeyCreated:
        """A new key; its ``secret`` is in this answer only. A viewer key names its ``site_ids``; an
        ingest key (a recording gateway's: the ingest methods only) may, to write only those sites."""
        return ApiKeyCreated.from_dict(
            self._client._json(_create_call(name, role, site_ids, expires_at, idempotency_key))
        )

    def list(self, *, cursor: str | None = None, limit: int | None = None) -> ApiKeyList:
        """The first page of the org's keys, newest first, without secrets (``limit`` 1-100 per page,
        default 20). ``for key in client.keys.list()`` walks every key across pages; ``.data`` is
        this page's keys."""
        return sync_pages(lambda at: self._client._json(_list_call(at, limit)), ApiKey, cursor)

    def revoke(self, key_id: str, *, idempotency_key: str | None = None) -> None:
        """Revoke a key: it stops working at once (revoking twice is fine)."""
        self._client._json(_revoke_call(key_id, idempotency_key))


class AsyncKeys:
    """``client.keys`` of :class:`~novavms.AsyncClient`: the methods of :class:`Keys`, awaited."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        name: str,
        role: Role,
        site_ids: Sequence[str] | NotGiven = NOT_GIVEN,
        expires_at: datetime | str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> ApiKeyCreated:
        change = _create_call(name, role, site_ids, expires_at, idempotency_key)
        return ApiKeyCreated.from_dict(await self._client._json(change))

    def list(self, *, cursor: str | None = None, limit: int | None = None) -> AsyncPaginator[ApiKey]:
        """``await`` it for the first page; ``async for key in client.keys.list()`` walks every key
        across pages."""
        return async_pages(lambda at: self._client._json(_list_call(at, limit)), ApiKey, cursor)

    async def revoke(self, key_id: str, *, idempotency_key: str | None = None) -> None:
        await self._client._json(_revoke_call(key_id, idempotency_key))
