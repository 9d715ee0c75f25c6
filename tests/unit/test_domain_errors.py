"""The model's and the store's refusals (shared/model/errors.py) and their one mapping to the
contract's HTTP errors (shared/edge/errors.py)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as google

from shared.edge.errors import api_error, from_domain
from shared.errors import ApiError, NotFound
from shared.model import errors as domain
from shared.model.errors import (
    ConflictError,
    DomainError,
    IndexNotReady,
    InvalidValue,
    NotFoundError,
    ScopeError,
    StoreUnavailable,
    TooManyEvents,
)
from shared.store.budget import query_run


@pytest.mark.parametrize(
    ("error", "status", "code", "headers"),
    [
        (NotFoundError(), 404, "not_found", {}),
        (NotFoundError("no such key in this org"), 404, "not_found", {}),
        (ScopeError("outside"), 403, "forbidden", {}),
        (ConflictError("taken"), 409, "conflict", {}),
        (ConflictError("in flight", retry_after=1), 409, "conflict", {"Retry-After": "1"}),
        (TooManyEvents("more than 10"), 413, "payload_too_large", {}),
        (StoreUnavailable("silent", 2), 503, "unavailable", {"Retry-After": "2"}),
        (IndexNotReady("index not ready", 30, None, "..."), 503, "unavailable", {"Retry-After": "30"}),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, DomainError) else None,
)
def test_each_refusal_is_one_http_error(
    error: DomainError, status: int, code: str, headers: dict[str, str]
) -> None:
    answer = from_domain(error)
    assert (answer.status, answer.code, answer.message, answer.headers) == (
        status,
        code,
        error.message,
        headers,
    )
    assert answer.body("r-1") == {"error": code, "message": error.message, "request_id": "r-1"}


def test_an_invalid_value_is_a_validation_error_naming_its_field() -> None:
    answer = from_domain(InvalidValue("Idempotency-Key", "was already used"))
    assert (answer.status, answer.code) == (400, "validation_error")
    assert answer.fields == {"Idempotency-Key": "was already used"}
    assert answer.message == "Idempotency-Key: was already used"


def test_every_kind_of_refusal_is_mapped_to_a_4xx_or_503() -> None:
    kinds = [
        value
        for value in vars(domain).values()
        if isinstance(value, type) and issubclass(value, DomainError) and value is not DomainError
    ]
    assert len(kinds) == 7
    for kind in kinds:
        error = kind.__new__(kind)
        DomainError.__init__(error, "refused", 1)
        if isinstance(error, InvalidValue):
            error.field, error.problem = "f", "bad"
        status = from_domain(error).status
        assert 400 <= status < 500 or status == 503, (kind, status)


def test_an_unmapped_kind_is_a_500_never_the_callers_fault() -> None:
    class Unmapped(DomainError):
        pass

    assert from_domain(Unmapped("?")).status == 500


def test_api_error_passes_api_errors_maps_domain_errors_and_leaves_the_rest() -> None:
    raised = NotFound("gone")
    assert api_error(raised) is raised
    mapped = api_error(ScopeError("outside"))
    assert isinstance(mapped, ApiError) and mapped.status == 403
    assert api_error(RuntimeError("bug")) is None


LINK = "https://console.firebase.google.com/v1/r/project/p/firestore/indexes?create_composite=Cl9w"


@pytest.mark.parametrize(
    "firestore_says",
    [
        f"The query requires an index. You can create it here: {LINK}",
        f"The query requires an index. That index is currently building and cannot be used yet. "
        f"See its status here: {LINK}",
    ],
    ids=["missing", "building"],
)
def test_a_query_refused_for_its_index_is_index_not_ready_with_the_link(firestore_says: str) -> None:
    with pytest.raises(IndexNotReady) as raised, query_run():
        raise google.FailedPrecondition(firestore_says)
    assert (raised.value.link, raised.value.detail) == (LINK, firestore_says)
    answer = from_domain(raised.value)
    assert (answer.status, answer.code, answer.headers) == (503, "unavailable", {"Retry-After": "30"})
    assert answer.message == "the query's index is not ready (missing or still building); retry later"


def test_an_index_refusal_without_a_link_still_names_the_index() -> None:
    with pytest.raises(IndexNotReady) as raised, query_run():
        raise google.FailedPrecondition("The query requires an index.")
    assert raised.value.link is None


@pytest.mark.parametrize(
    "other",
    [google.FailedPrecondition("the stored version does not match the required base version"), KeyError("x")],
    ids=["other-precondition", "bug"],
)
def test_anything_else_a_query_raises_passes_unchanged(other: Exception) -> None:
    with pytest.raises(type(other)) as raised, query_run():
        raise other
    assert raised.value is other
