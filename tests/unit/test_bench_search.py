"""``bench.search``'s data and its bare check: the org's vocabularies give each measured tag filter
and word the share of events the benchmark claims, and the bare side's in-memory check agrees with
the product's matching rule on every event and case (so both sides answer the same page)."""

from __future__ import annotations

from bench.search import CASES, bare_match, search_documents
from shared.model.search import matches, parse_query

EVENTS = 2000


def test_tags_match_a_tenth_to_a_third_and_words_a_hundredth_to_a_tenth_of_the_events() -> None:
    documents = [document for _, document in search_documents("org", EVENTS)]
    for case in CASES:
        if case.tags:
            tagged = sum(bool(set(case.tags) & set(d["tags"])) for d in documents)
            assert 0.08 <= tagged / EVENTS <= 0.32, (case.name, tagged)
        for word in parse_query(case.q) if case.q else ():
            found = sum(word in d["search_words"] for d in documents)
            assert 0.008 <= found / EVENTS <= 0.1, (case.name, word, found)


def test_the_bare_check_agrees_with_the_matching_rule_and_every_case_finds_events() -> None:
    documents = [document for _, document in search_documents("org", EVENTS)]
    for case in CASES:
        words = tuple(sorted(parse_query(case.q))) if case.q else ()
        tags = tuple(sorted(case.tags))
        found = [bare_match(d, tags, words) for d in documents]
        assert found == [matches(d, tags, words) for d in documents], case.name
        assert 0 < sum(found) < EVENTS, case.name


def test_the_documents_are_the_same_from_one_run_to_the_next() -> None:
    assert list(search_documents("org", 50)) == list(search_documents("org", 50))
