"""Every function is an ``@endpoint`` of its route, and every mutating route takes Idempotency-Key."""

from __future__ import annotations

import importlib

import pytest

from shared.edge.routes import MUTATING_METHODS, ROUTES, Route


def _entry_point(route: Route) -> object:
    return getattr(importlib.import_module(f"functions.{route.function}"), route.function)


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.function)
def test_each_function_is_an_endpoint_of_its_route(route: Route) -> None:
    entry_point = _entry_point(route)
    assert entry_point.__name__ == route.function  # type: ignore[attr-defined]
    assert entry_point.__doc__  # functools.wraps kept the handler's contract docstring
    assert hasattr(entry_point, "steps")


@pytest.mark.parametrize(
    "route",
    [route for route in ROUTES if route.method in MUTATING_METHODS and route.public],
    ids=lambda route: route.function,
)
def test_every_public_mutating_route_is_idempotent(route: Route) -> None:
    steps = _entry_point(route).steps  # type: ignore[attr-defined]
    assert any(step.__qualname__.startswith("idempotent.") for step in steps), route


@pytest.mark.parametrize(
    "route", [route for route in ROUTES if route.kind == "api"], ids=lambda route: route.function
)
def test_every_api_route_is_rate_limited_first(route: Route) -> None:
    from shared.edge.rate_limit import rate_limit

    steps = _entry_point(route).steps  # type: ignore[attr-defined]
    assert steps and steps[0] is rate_limit, route
