"""The API's resources, each with a sync and an async class of the same methods."""

from .events import AsyncEvents, Events
from .keys import AsyncKeys, Keys

__all__ = ["AsyncEvents", "AsyncKeys", "Events", "Keys"]
