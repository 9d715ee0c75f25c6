"""The API's resources, each with a sync and an async class of the same methods."""

from .event_types import AsyncEventTypes, EventTypes
from .events import AsyncEvents, Events
from .keys import AsyncKeys, Keys
from .webhook_endpoints import AsyncWebhookEndpoints, WebhookEndpoints

__all__ = [
    "AsyncEventTypes",
    "AsyncEvents",
    "AsyncKeys",
    "AsyncWebhookEndpoints",
    "EventTypes",
    "Events",
    "Keys",
    "WebhookEndpoints",
]
