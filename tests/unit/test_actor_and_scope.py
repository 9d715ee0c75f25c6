"""Actors (shared/model/actor.py) and scopes (shared/model/scope.py)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.model.actor import PIPELINE, Actor, ActorKind
from shared.model.errors import ScopeError
from shared.model.scope import Scope

SITE_A = "11111111-1111-4111-8111-111111111111"
SITE_B = "22222222-2222-4222-8222-222222222222"
SITE_C = "33333333-3333-4333-8333-333333333333"


# -- actors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "label"),
    [
        (Actor.user("auth0|alice"), "auth0|alice"),  # a user's sub exactly, as the contract says
        (Actor.user("key:looks-like-a-key"), "key:looks-like-a-key"),
        (Actor(ActorKind.API_KEY, "k-123"), "key:k-123"),
        (Actor(ActorKind.PIPELINE, "loader"), "pipeline:loader"),
        (
            Actor(ActorKind.SCHEDULER, "sched@p.iam.gserviceaccount.com"),
            "scheduler:sched@p.iam.gserviceaccount.com",
        ),
    ],
)
def test_label(actor: Actor, label: str) -> None:
    assert actor.label == label


@pytest.mark.parametrize("kind", list(ActorKind))
def test_stored_form_round_trips(kind: ActorKind) -> None:
    actor = Actor(kind, f"id-of-{kind.value}")
    assert actor.stored() == {"kind": kind.value, "id": f"id-of-{kind.value}"}
    assert Actor.from_stored(actor.stored()) == actor


def test_kinds_are_stored_by_their_names() -> None:
    assert [kind.value for kind in ActorKind] == ["user", "api_key", "pipeline", "scheduler"]
    assert Actor(ActorKind.API_KEY, "k").stored()["kind"] == "api_key"


def test_an_old_plain_string_history_value_reads_as_a_user() -> None:
    actor = Actor.from_stored("auth0|bob")
    assert actor == Actor(ActorKind.USER, "auth0|bob")
    assert actor.label == "auth0|bob"


def test_a_stored_actor_without_a_kind_is_a_user() -> None:
    assert Actor.from_stored({"id": "auth0|bob"}) == Actor.user("auth0|bob")


@pytest.mark.parametrize("value", [None, 42, ["auth0|bob"], {}, {"kind": "user"}, {"kind": "user", "id": 7}])
def test_anything_else_is_not_a_stored_actor(value: Any) -> None:
    with pytest.raises(ValueError, match="not a stored actor"):
        Actor.from_stored(value)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        Actor.from_stored({"kind": "robot", "id": "r2"})


def test_the_pipeline_actor() -> None:
    assert Actor(ActorKind.PIPELINE, "loader") == PIPELINE
    assert PIPELINE.stored() == {"kind": "pipeline", "id": "loader"}


# -- scopes ----------------------------------------------------------------------------------------------


def test_an_org_wide_scope_reaches_every_site() -> None:
    scope = Scope("org-1")
    assert scope.sites is None
    scope.check(SITE_A)
    scope.check("any-site-at-all")
    assert scope.query_sites(None) is None
    assert scope.query_sites(SITE_B) is None


def test_a_site_scope_checks_each_site() -> None:
    scope = Scope("org-1", frozenset({SITE_A, SITE_B}))
    scope.check(SITE_A)
    scope.check(SITE_B)
    with pytest.raises(ScopeError) as refused:
        scope.check(SITE_C)
    assert refused.value.message == "this event belongs to a site outside your access"


def test_a_site_scoped_query_is_limited_to_its_sites_in_a_stable_order() -> None:
    scope = Scope("org-1", frozenset({SITE_B, SITE_C, SITE_A}))
    assert scope.query_sites(None) == (SITE_A, SITE_B, SITE_C)


def test_a_site_scoped_query_for_one_of_its_sites_is_left_to_the_filter() -> None:
    assert Scope("org-1", frozenset({SITE_A, SITE_B})).query_sites(SITE_B) is None


def test_a_site_scoped_query_for_another_site_is_forbidden() -> None:
    with pytest.raises(ScopeError):
        Scope("org-1", frozenset({SITE_A})).query_sites(SITE_C)


def test_an_empty_site_scope_reaches_nothing() -> None:
    scope = Scope("org-1", frozenset())
    assert scope.query_sites(None) == ()
    with pytest.raises(ScopeError):
        scope.check(SITE_A)
