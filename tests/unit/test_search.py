"""The search rule (shared/model/search.py), the ``tag``/``q`` parameters and the feed's query plan
with tags, without a store."""

from __future__ import annotations

import pytest

from shared.api.query import parse_list_query
from shared.errors import ValidationError
from shared.model import search
from shared.model.scope import Scope
from shared.store.changes import DISJUNCTIONS, TYPES, FeedFilter, disjunctions, query_plan


def stored(**fields: object) -> dict[str, object]:
    """An event document with its terms, as the write path stores it."""
    return search.with_terms(None, fields)


def found(query: str, **fields: object) -> bool:
    return search.matches(stored(**fields), (), search.parse_query(query))


def test_words_fold_accents_and_case_and_split_on_anything_else() -> None:
    assert search.words("Café-Bar ÄRGER_straße 12b") == ["cafe", "bar", "arger", "strasse", "12b"]
    fullwidth = "".join(chr(0xFF21 + ord(letter) - ord("A")) for letter in "FULL")  # fullwidth letters
    assert search.words(f"\ufb01ne {fullwidth}") == ["fine", "full"]  # compatibility forms


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("package", True),
        ("PACKAGE", True),
        ("pac", True),  # three characters begin a word
        ("pa", False),  # two only equal one
        ("ackage", False),  # a word's middle is no prefix
        ("courier package", True),  # every word
        ("courier vehicle", False),
        ("cafe", True),
        ("CAFÉ", True),
        ("dock", True),  # the camera name
        ("orange", True),  # the narrative
        ("forklift", True),  # a tag
        ("gate", True),  # notes
        ("12", True),
        ("1", False),
    ],
)
def test_the_rule(query: str, expected: bool) -> None:
    assert (
        found(
            query,
            summary="Courier with a package at the Café",
            narrative="An orange vest, badge 12.",
            tags=["forklift"],
            camera_name="Loading Dock",
            notes="Call the gate",
        )
        is expected
    )


def test_a_two_letter_word_is_found_whole() -> None:
    assert found("pa", summary="PA system fault")
    assert not found("pa", summary="parcel")


def test_a_query_word_longer_than_the_stored_prefixes_is_checked_against_the_words() -> None:
    long_word = "electroencephalographically"
    assert len(long_word) > search.MAX_PREFIX
    document = stored(summary=long_word)
    assert long_word[: search.MAX_PREFIX] in document[search.TERMS_FIELD]  # type: ignore[operator]
    assert search.matches(document, (), (long_word[:24],))  # a prefix past the stored ones
    assert not search.matches(document, (), ("electroencephalographx",))
    assert not search.exact_by_query(long_word[:24])


def test_terms_stay_within_their_cap_and_keep_the_first_words() -> None:
    narrative = " ".join(f"word{n:05d}" for n in range(5000))
    terms = stored(summary="package", narrative=narrative)[search.TERMS_FIELD]
    assert isinstance(terms, list) and len(terms) <= search.MAX_TERMS
    assert "package" in terms and "word00000" in terms and "word04999" not in terms


def test_terms_are_rewritten_only_when_a_source_field_changes() -> None:
    before = stored(summary="red van", notes=None)
    assert search.with_terms(before, {"acknowledged": True}) == {"acknowledged": True}
    assert search.with_terms(before, {"summary": "red van"}) == {"summary": "red van"}  # same terms
    changed = search.with_terms(before, {"notes": "blue door"})
    assert {"blue", "door", "red", "van"} <= set(changed[search.TERMS_FIELD])
    cleared = search.with_terms({**before, **changed}, {"notes": None})
    assert "blue" not in cleared[search.TERMS_FIELD]


def test_tags_are_any_of_and_combine_with_words() -> None:
    document = stored(summary="red van", tags=["vehicle"])
    assert search.matches(document, ("person", "vehicle"), ())
    assert not search.matches(document, ("person",), ())
    assert search.matches(document, ("vehicle",), ("red",))
    assert not search.matches(document, ("vehicle",), ("blue",))


def parse(query: str) -> dict[str, str]:
    """The problems a query string gives (empty: none)."""
    args: dict[str, list[str]] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        args.setdefault(name, []).append(value)
    try:
        parse_list_query(args)
    except ValidationError as error:
        return error.fields
    return {}


def test_tag_is_repeatable_distinct_and_at_most_ten() -> None:
    args = {"tag": ["vehicle", "person", "vehicle"]}
    assert parse_list_query(args).filter.tags == ("person", "vehicle")
    assert parse("&".join(f"tag=t{n}" for n in range(10))) == {}
    assert "tag" in parse("&".join(f"tag=t{n}" for n in range(11)))
    assert "tag" in parse("tag=")
    assert "tag" in parse("tag=" + "x" * 101)
    assert "tag" in parse("tag=a\u200bb")  # a format character
    assert "tag" in parse("tag=\ud800")  # no text Firestore can store (a JSON body can carry it)


def test_q_takes_one_to_five_words() -> None:
    assert parse_list_query({"q": ["Red  VAN red"]}).filter.words == ("red", "van")
    assert parse("q=a b c d e") == {}
    assert "q" in parse("q=a b c d e f")
    assert "q" in parse("q=--")
    assert "q" in parse("q=")
    assert "q" in parse("q=" + "a" * 201)
    assert "q" in parse("q=red&q=van")  # one value


def test_a_filter_without_tags_or_words_keeps_its_cursor_fingerprint() -> None:
    plain = parse_list_query({"trigger_type": ["motion"]}).filter
    assert "tags" not in str(plain.fingerprint())
    tagged = parse_list_query({"trigger_type": ["motion"], "tag": ["person"]}).filter
    assert tagged.fingerprint() != plain.fingerprint()


@pytest.mark.parametrize("tags", [(), ("person",), tuple(f"t{n}" for n in range(10))])
@pytest.mark.parametrize("types", [None, ("event.created",), TYPES])
@pytest.mark.parametrize("sites", [None, 1, 3, 45])
def test_every_feed_query_stays_within_firestores_disjunctions(
    tags: tuple[str, ...], types: tuple[str, ...] | None, sites: int | None
) -> None:
    scope = Scope("org", None if sites is None else frozenset(f"site-{n}" for n in range(sites)))
    plan = query_plan(FeedFilter(types, tags=tags), scope)
    assert all(disjunctions(query) <= DISJUNCTIONS for query in plan)
    covered = set()
    for query in plan:  # every (site, type) pair is asked once, and with the tags
        conditions = {field: value for field, _, value in query}
        assert conditions.get("tags") == (list(tags) if len(tags) > 1 else (tags[0] if tags else None))
        site_values = conditions.get("site_id")
        type_values = conditions.get("type")
        for site in site_values if isinstance(site_values, list) else [site_values]:
            for kind in type_values if isinstance(type_values, list) else [type_values]:
                assert (site, kind) not in covered
                covered.add((site, kind))
    expected_sites = [None] if sites is None else [f"site-{n}" for n in range(sites)]
    expected_types = [None] if types is None else list(types)
    assert covered == {(site, kind) for site in expected_sites for kind in expected_types}
