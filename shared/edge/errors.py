"""The one mapping of the model's and the store's refusals (:mod:`shared.model.errors`) to the
contract's HTTP errors (:mod:`shared.errors`), which leave a function in the error envelope.

404 ``not_found``, 403 ``forbidden``, 409 ``conflict`` (``Retry-After`` when the refusal names
one), 413 ``payload_too_large``, 400 ``validation_error`` naming the field, 503 ``unavailable``
with ``Retry-After``.
"""

from __future__ import annotations

from shared.errors import (
    ApiError,
    Conflict,
    Forbidden,
    InternalError,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    ValidationError,
)
from shared.model.errors import (
    ConflictError,
    DomainError,
    InvalidValue,
    NotFoundError,
    ScopeError,
    StoreUnavailable,
    TooManyEvents,
)


def from_domain(error: DomainError) -> ApiError:
    """The HTTP error a refusal of the model or the store is answered with."""
    answer: ApiError
    if isinstance(error, NotFoundError):
        answer = NotFound(error.message)
    elif isinstance(error, ScopeError):
        answer = Forbidden(error.message)
    elif isinstance(error, ConflictError):
        answer = Conflict(error.message, retry_after=error.retry_after)
    elif isinstance(error, TooManyEvents):
        answer = PayloadTooLarge(error.message)
    elif isinstance(error, InvalidValue):
        answer = ValidationError.field(error.field, error.problem)
    elif isinstance(error, StoreUnavailable):
        answer = Unavailable(error.message, error.retry_after or 1)
    else:  # a kind nobody mapped is a bug (a unit test maps every kind): never the caller's fault
        answer = InternalError("internal error; quote the request id to support")
    return answer


def api_error(raised: BaseException) -> ApiError | None:
    """The HTTP error ``raised`` is answered with: an :class:`ApiError` itself, a domain error's
    mapping, or None for anything else (the caller decides: an outage, a bug)."""
    if isinstance(raised, ApiError):
        return raised
    if isinstance(raised, DomainError):
        return from_domain(raised)
    return None
