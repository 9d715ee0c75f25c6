"""Who is calling (shared/edge/auth.py): claims -> principal, the bearer header, the role rule, and
``authenticate_user`` end to end on HS256 tokens minted as the local stack mints them."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from werkzeug.datastructures import Headers

from shared.edge.auth import (
    Principal,
    Role,
    authenticate_user,
    bearer_token,
    principal_from_claims,
    require_role,
)
from shared.errors import AuthRequired, ConfigurationError, Forbidden
from shared.ids import valid_org_id
from shared.model.actor import Actor, ActorKind
from shared.model.scope import Scope
from tests.conftest import TEST_ENV, Token, reset_caches

SITE_A = "11111111-1111-4111-8111-111111111111"
SITE_B = "22222222-2222-4222-8222-222222222222"


def claims(role: str = "operator", **more: Any) -> dict[str, Any]:
    return {"org_id": "org-1", "sub": "auth0|alice", "role": role, **more}


def refusal(given: dict[str, Any]) -> str:
    with pytest.raises(AuthRequired) as refused:
        principal_from_claims(given)
    assert refused.value.status == 401 and refused.value.code == "auth_required"
    assert refused.value.headers["WWW-Authenticate"] == 'Bearer realm="novavms-events"'
    return refused.value.message


# -- claims ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "role"), [("operator", Role.OPERATOR), ("admin", Role.ADMIN)])
def test_operators_and_admins_reach_every_site_of_their_org(name: str, role: Role) -> None:
    principal = principal_from_claims(claims(name, site_ids=[SITE_A]))  # sites given are ignored
    assert principal == Principal(Actor(ActorKind.USER, "auth0|alice"), role, Scope("org-1", None))
    assert principal.org_id == "org-1"


def test_a_viewer_reaches_only_its_sites_in_canonical_form() -> None:
    principal = principal_from_claims(claims("viewer", site_ids=[SITE_A, SITE_B.upper(), SITE_A]))
    assert principal.role is Role.VIEWER
    assert principal.scope == Scope("org-1", frozenset({SITE_A, SITE_B}))
    assert principal.actor == Actor.user("auth0|alice")


def test_a_viewer_with_an_empty_site_list_reaches_no_site() -> None:
    assert principal_from_claims(claims("viewer", site_ids=[])).scope.sites == frozenset()


@pytest.mark.parametrize("sites", [None, "11111111-1111-4111-8111-111111111111", {"a": 1}, [SITE_A, 7], 3])
def test_a_viewer_must_carry_a_list_of_site_strings(sites: Any) -> None:
    given = claims("viewer") if sites is None else claims("viewer", site_ids=sites)
    assert refusal(given) == "a viewer token must carry a site_ids list of uuids"


@pytest.mark.parametrize("site", ["site-a", "", "11111111-1111-4111-8111-11111111111", "zz"])
def test_a_viewer_site_must_be_a_uuid(site: str) -> None:
    assert refusal(claims("viewer", site_ids=[SITE_A, site])) == "site_ids must be uuids"


@pytest.mark.parametrize("role", [None, "", "Admin", "OPERATOR", "owner", "superuser", 3, ["admin"]])
def test_the_role_must_be_one_of_three_lowercase_names(role: Any) -> None:
    assert refusal(claims(role)) == "token role must be viewer, operator or admin"


@pytest.mark.parametrize("sub", [None, "", "   ", 42, ["auth0|alice"]])
def test_the_sub_must_be_a_non_blank_string(sub: Any) -> None:
    assert refusal(claims(sub=sub)) == "token has no valid sub claim"


@pytest.mark.parametrize(
    "org_id",
    [None, "", "-org", "_org", "org/x", "org.x", "org x", "org\n", "../org", "o" * 129, 42, ["org-1"]],
)
def test_bad_org_ids_are_refused(org_id: Any) -> None:
    assert not valid_org_id(org_id)
    assert refusal(claims(org_id=org_id)) == "token has no valid org_id claim"


@pytest.mark.parametrize("org_id", ["a", "7", "org-1", "Org_2-b", "o" * 128])
def test_good_org_ids_are_taken(org_id: str) -> None:
    assert valid_org_id(org_id)
    assert principal_from_claims(claims(org_id=org_id)).org_id == org_id


# -- roles -----------------------------------------------------------------------------------------------


def test_each_role_may_do_what_the_ones_below_it_may() -> None:
    def principal(role: Role) -> Principal:
        return Principal(Actor.user("u"), role, Scope("org-1"))

    ordered = [Role.VIEWER, Role.OPERATOR, Role.ADMIN]
    for caller in ordered:
        for minimum in ordered:
            if caller >= minimum:
                require_role(principal(caller), minimum)
            else:
                with pytest.raises(Forbidden) as refused:
                    require_role(principal(caller), minimum)
                assert refused.value.status == 403
                assert refused.value.message == (
                    f"requires role {minimum.name.lower()}; caller is {caller.name.lower()}"
                )
    assert Role.VIEWER < Role.OPERATOR < Role.ADMIN
    assert Role.parse("admin") is Role.ADMIN


def test_ingest_sits_outside_the_order() -> None:
    """An ingest route admits ingest keys and admins; an ingest key is refused by every other route."""

    def principal(role: Role) -> Principal:
        return Principal(Actor.user("u"), role, Scope("org-1"))

    require_role(principal(Role.INGEST), Role.INGEST)
    require_role(principal(Role.ADMIN), Role.INGEST)
    for caller in (Role.VIEWER, Role.OPERATOR):
        with pytest.raises(Forbidden, match="requires an ingest key or an admin"):
            require_role(principal(caller), Role.INGEST)
    for minimum in (Role.VIEWER, Role.OPERATOR, Role.ADMIN):
        with pytest.raises(Forbidden, match="an ingest key may only call the ingest routes"):
            require_role(principal(Role.INGEST), minimum)
    assert Role.parse("ingest") is Role.INGEST


# -- the header ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc", "abc"),
        ("BEARER abc", "abc"),
        ("  Bearer abc  ", "abc"),
        ("Bearer   abc", "abc"),
    ],
)
def test_the_token_of_a_bearer_header(value: str, token: str) -> None:
    assert bearer_token(Headers({"Authorization": value}), "Authorization") == token
    assert bearer_token(Headers({"authorization": value}), "Authorization") == token


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "abc.def.ghi", "Token abc"])
def test_anything_but_bearer_and_a_token_is_refused(value: str) -> None:
    with pytest.raises(AuthRequired) as refused:
        bearer_token(Headers({"Authorization": value}), "Authorization")
    assert refused.value.message == "Authorization must be 'Bearer <token>'"


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"X-Other": "Bearer abc"}])
def test_a_missing_header_is_named(headers: dict[str, str]) -> None:
    with pytest.raises(AuthRequired) as refused:
        bearer_token(Headers(headers), "Authorization")
    assert refused.value.message == "missing Authorization header"


# -- authenticate_user, end to end -----------------------------------------------------------------------


@pytest.fixture
def authenticate(settings_env: dict[str, str]) -> Any:
    """``authenticate(token)``: the principal of ``Authorization: Bearer <token>``."""

    def call(token: str, header: str = "Authorization") -> Principal:
        return authenticate_user(Headers({header: f"Bearer {token}"}))

    return call


def refused_token(authenticate: Any, token: str) -> str:
    with pytest.raises(AuthRequired) as refused:
        authenticate(token)
    return refused.value.message


def test_a_minted_token_authenticates(authenticate: Any, token: Token, org: str) -> None:
    principal = authenticate(token("viewer", sub="auth0|vic", sites=[SITE_A]))
    assert principal == Principal(Actor.user("auth0|vic"), Role.VIEWER, Scope(org, frozenset({SITE_A})))
    assert authenticate(token("admin")).role is Role.ADMIN


def test_an_expired_token_is_refused(authenticate: Any, token: Token) -> None:
    assert "Signature has expired" in refused_token(authenticate, token("admin", ttl=-60))


def test_a_token_expired_within_the_leeway_passes_until_the_leeway_is_zero(
    authenticate: Any, token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    just_expired = token("admin", ttl=-5)
    assert authenticate(just_expired).role is Role.ADMIN
    monkeypatch.setenv("EVENTS_JWT_LEEWAY_SECONDS", "0")
    reset_caches()
    assert "expired" in refused_token(authenticate, just_expired)


def mint(
    payload: dict[str, Any], key: str = TEST_ENV["EVENTS_JWT_DEV_SECRET"], algorithm: str = "HS256"
) -> str:
    now = int(time.time())
    base = {
        "iss": TEST_ENV["EVENTS_JWT_ISSUER"],
        "aud": TEST_ENV["EVENTS_JWT_AUDIENCE"],
        "sub": "auth0|alice",
        "iat": now,
        "exp": now + 600,
        "org_id": "org-1",
        "role": "admin",
    }
    base.update(payload)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, key, algorithm=algorithm)


def test_the_hand_minted_token_is_good(authenticate: Any) -> None:
    """The baseline the refusals below change one thing of."""
    assert authenticate(mint({})).org_id == "org-1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"aud": "novavms-events-other"}, "Audience doesn't match"),
        ({"aud": None}, 'Token is missing the "aud" claim'),
        ({"iss": "https://auth.elsewhere/"}, "Invalid issuer"),
        ({"iss": None}, 'Token is missing the "iss" claim'),
        ({"exp": None}, 'Token is missing the "exp" claim'),
        ({"iat": None}, 'Token is missing the "iat" claim'),
        ({"sub": None}, 'Token is missing the "sub" claim'),
        ({"iat": int(time.time()) + 3600}, "The token is not yet valid (iat)"),
    ],
)
def test_a_token_for_another_audience_or_issuer_or_without_a_claim_is_refused(
    authenticate: Any, change: dict[str, Any], message: str
) -> None:
    assert refused_token(authenticate, mint(change)) == f"invalid token: {message}"


def test_another_secret_is_refused(authenticate: Any) -> None:
    assert refused_token(authenticate, mint({}, key="another-secret-0123456789abcdef0123")) == (
        "invalid token: Signature verification failed"
    )


def test_alg_none_is_refused(authenticate: Any) -> None:
    unsigned = jwt.encode(jwt.decode(mint({}), options={"verify_signature": False}), key="", algorithm="none")
    assert unsigned.endswith(".")
    assert "The specified alg value is not allowed" in refused_token(authenticate, unsigned)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_another_hmac_algorithm_is_refused(authenticate: Any) -> None:
    assert "alg value is not allowed" in refused_token(authenticate, mint({}, algorithm="HS512"))


@pytest.mark.parametrize("garbage", ["abc", "a.b.c", "e30.e30.", ""])
def test_garbage_is_refused(authenticate: Any, garbage: str) -> None:
    with pytest.raises(AuthRequired):
        authenticate(garbage)


def test_bad_claims_in_a_good_token_are_refused(authenticate: Any, token: Token) -> None:
    assert refused_token(authenticate, token("owner")) == "token role must be viewer, operator or admin"
    assert refused_token(authenticate, token("viewer", sites=["nope"])) == "site_ids must be uuids"


def test_a_pinned_deployment_refuses_every_other_org(
    authenticate: Any, token: Token, org: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTS_PINNED_ORG", org)
    reset_caches()
    assert authenticate(token("admin")).org_id == org
    assert refused_token(authenticate, token("admin", org_id="org-other")) == (
        "token is not valid for this deployment"
    )


def test_behind_the_gateway_the_forwarded_header_is_read(
    authenticate: Any, token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTS_FORWARDED_AUTH", "true")
    reset_caches()
    good = token("operator")
    assert authenticate(good, header="X-Forwarded-Authorization").role is Role.OPERATOR
    with pytest.raises(AuthRequired) as refused:
        authenticate(good)  # only Authorization: that is the gateway's own token
    assert refused.value.message == "missing X-Forwarded-Authorization header"


@pytest.mark.parametrize("missing", ["EVENTS_JWT_DEV_SECRET", "EVENTS_JWT_AUDIENCE", "EVENTS_JWT_ISSUER"])
def test_without_a_verification_setting_the_server_is_misconfigured(
    authenticate: Any, token: Token, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    minted = token("admin")
    monkeypatch.delenv(missing)
    reset_caches()
    with pytest.raises(ConfigurationError, match=missing):
        authenticate(minted)
