"""The Python client of the NovaVMS Events API.

import novavms

client = novavms.Client(api_key="sk_live_...", base_url="https://events.example.com")
for event in client.events.list(trigger_type="ai_tag", date_from="2026-04-20"):  # every page
    print(event.id, event.triggered_at, event.summary)

``novavms.AsyncClient`` has the same resources (``events``, ``keys``, ``webhook_endpoints``), awaited;
its list calls are also async-iterable: ``async for event in client.events.list(...)``.

``novavms.Webhook(secret).verify(body, headers)`` checks a webhook message's signature and timestamp
and answers its payload (``WebhookVerificationError`` when it does not hold).
"""

from ._base_client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from ._client import AsyncClient, Client
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    GoneError,
    IngestIncompleteError,
    InternalServerError,
    MethodNotAllowedError,
    NotFoundError,
    NovaVMSError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    UploadError,
    ValidationError,
)
from ._export import ExportResult
from ._ingest import MAX_BATCH
from ._media import Media
from ._models import (
    Actor,
    ActorKind,
    AiStatus,
    ApiKey,
    ApiKeyCreated,
    BatchItem,
    BatchResult,
    BatchStatus,
    Change,
    ChangeType,
    Event,
    EventDetail,
    HistoryAction,
    HistoryEntry,
    IngestItem,
    IngestResult,
    IngestStatus,
    MediaObjects,
    Role,
    StreamTicket,
    TrashedEvent,
    TriggerType,
    UploadTarget,
    UploadUrls,
    UpsertResult,
    UpsertStatus,
)
from ._pagination import (
    AsyncEventPage,
    AsyncPage,
    AsyncPaginator,
    ChangePage,
    EventPage,
    HistoryPage,
    Page,
    TrashPage,
)
from ._params import NOT_GIVEN, ChangeFilters, EventFilters, NotGiven
from ._sse import ServerSentEvent, SSEDecoder
from ._stream import AsyncEventStream, EventStream
from ._version import __version__
from ._webhooks import (
    EventType,
    Webhook,
    WebhookAttempt,
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
    WebhookVerificationError,
)
from .resources.keys import ApiKeyList
from .resources.webhook_endpoints import WebhookDeliveryList, WebhookEndpointList

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "MAX_BATCH",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "Actor",
    "ActorKind",
    "AiStatus",
    "ApiKey",
    "ApiKeyCreated",
    "ApiKeyList",
    "AsyncClient",
    "AsyncEventPage",
    "AsyncEventStream",
    "AsyncPage",
    "AsyncPaginator",
    "AuthenticationError",
    "BatchItem",
    "BatchResult",
    "BatchStatus",
    "Change",
    "ChangeFilters",
    "ChangePage",
    "ChangeType",
    "Client",
    "ConflictError",
    "Event",
    "EventDetail",
    "EventFilters",
    "EventPage",
    "EventStream",
    "EventType",
    "ExportResult",
    "GoneError",
    "HistoryAction",
    "HistoryEntry",
    "HistoryPage",
    "IngestIncompleteError",
    "IngestItem",
    "IngestResult",
    "IngestStatus",
    "InternalServerError",
    "Media",
    "MediaObjects",
    "MethodNotAllowedError",
    "NotFoundError",
    "NotGiven",
    "NovaVMSError",
    "Page",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "Role",
    "SSEDecoder",
    "ServerSentEvent",
    "ServiceUnavailableError",
    "StreamTicket",
    "TrashPage",
    "TrashedEvent",
    "TriggerType",
    "UploadError",
    "UploadTarget",
    "UploadUrls",
    "UpsertResult",
    "UpsertStatus",
    "ValidationError",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookDeliveryList",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEndpointCreated",
    "WebhookEndpointList",
    "WebhookEndpointStatus",
    "WebhookEventType",
    "WebhookReplayScheduled",
    "WebhookResendQueued",
    "WebhookSecret",
    "WebhookTestQueued",
    "WebhookVerificationError",
    "__version__",
]
