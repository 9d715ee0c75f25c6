"""What the model and the store refuse, in their own words: plain exceptions that know no HTTP.

The edge maps each kind to one of the contract's HTTP errors, in one place
(:func:`shared.edge.errors.from_domain`): :class:`NotFoundError` 404 ``not_found``, :class:`ScopeError`
403 ``forbidden``, :class:`ConflictError` 409 ``conflict``, :class:`TooManyEvents` 413
``payload_too_large``, :class:`InvalidValue` 400 ``validation_error`` naming its field,
:class:`StoreUnavailable` (and its kind :class:`IndexNotReady`) 503 ``unavailable``. ``retry_after``
(seconds, or None) says when trying again can succeed.
"""

from __future__ import annotations


class DomainError(Exception):
    """An operation the model or the store refused; ``message`` says why, for the caller."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class NotFoundError(DomainError):
    """The thing asked for does not exist here (another org's is absent too)."""

    def __init__(self, message: str = "event not found") -> None:
        super().__init__(message)


class ScopeError(DomainError):
    """The thing asked for is outside what the caller's scope reaches (a viewer's sites)."""


class ConflictError(DomainError):
    """The thing is in a state that refuses the operation now (an id taken, a request in flight)."""


class TooManyEvents(DomainError):
    """An operation would touch more events than its cap allows."""


class InvalidValue(DomainError):
    """A value the caller gave (``field``) cannot be used: ``problem`` says why."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class StoreUnavailable(DomainError):
    """The data store did not answer within the request's budget, or said it is unavailable."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after)


class IndexNotReady(StoreUnavailable):
    """A query needs a Firestore index that is missing or still building: ``link`` is where Firestore
    says it can be created or watched (None when its message named none), ``detail`` its message."""

    def __init__(self, message: str, retry_after: int, link: str | None, detail: str) -> None:
        super().__init__(message, retry_after)
        self.link = link
        self.detail = detail
