"""Who acted: an actor is a kind and an id, recorded with every change.

Kinds: ``user`` (a person's token; id = the token's ``sub``), ``api_key`` (id = the key's id),
``pipeline`` (the recording/AI pipeline's loads) and ``scheduler`` (scheduled jobs; id = the service
account). History entries store ``{"kind": ..., "id": ...}``; entries written before actors existed
hold a plain string, which reads as a user. The API's ``acknowledged_by``/``deleted_by`` show
:attr:`Actor.label`: a user's ``sub`` exactly (the contract), ``key:<id>`` for an API key.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class ActorKind(enum.StrEnum):
    USER = "user"
    API_KEY = "api_key"
    PIPELINE = "pipeline"
    SCHEDULER = "scheduler"


@dataclass(frozen=True)
class Actor:
    """One who acts on events."""

    kind: ActorKind
    id: str

    @classmethod
    def user(cls, sub: str) -> Actor:
        return cls(ActorKind.USER, sub)

    @property
    def label(self) -> str:
        """How the API names this actor in ``acknowledged_by``/``deleted_by``."""
        if self.kind is ActorKind.USER:
            return self.id
        if self.kind is ActorKind.API_KEY:
            return f"key:{self.id}"
        return f"{self.kind.value}:{self.id}"

    def stored(self) -> dict[str, str]:
        """The form history entries hold."""
        return {"kind": self.kind.value, "id": self.id}

    @classmethod
    def from_stored(cls, value: Any) -> Actor:
        """An actor as stored; a plain string (entries older than actors) is a user."""
        if isinstance(value, str):
            return cls.user(value)
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return cls(ActorKind(value.get("kind", "user")), value["id"])
        raise ValueError(f"not a stored actor: {value!r}")


PIPELINE = Actor(ActorKind.PIPELINE, "loader")
