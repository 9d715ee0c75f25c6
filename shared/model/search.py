"""Word search over what the pipeline and operators wrote: the words an event is found by, the terms
stored for them, and the matching rule.

**Words.** Text is folded (Unicode compatibility decomposition, accents dropped, case-folded) and cut
into runs of letters and digits; anything else separates words (``"Café-Bar"`` -> ``cafe``, ``bar``).
An event's words come from its :data:`SOURCE_FIELDS`: summary, tags, camera name, notes, narrative.

**The rule.** A query of 1 to :data:`MAX_WORDS` words matches an event when every query word equals
one of the event's words, or, being :data:`MIN_PREFIX` characters or more, begins one (``pac`` finds
``package``; ``pa`` finds only the word ``pa``).

**Stored terms** (:data:`TERMS_FIELD`, an array Firestore indexes): each word, and each of its
prefixes from :data:`MIN_PREFIX` to :data:`MAX_PREFIX` characters, so one ``array-contains`` on a
query word (cut to :data:`MAX_PREFIX`) finds exactly the events whose words equal or begin with it;
only a query word longer than :data:`MAX_PREFIX` needs the words themselves checked after the query.
An event keeps at most :data:`MAX_TERMS` terms (words are taken in field order, the narrative last), so
a document stays far inside Firestore's index-entry limit; a word past that is not searchable. The
store rewrites the terms in the same write as any change of a source field (:func:`with_terms`);
``novavms-events reindex`` writes them for events stored before they existed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

TERMS_FIELD = "search_words"
SOURCE_FIELDS = ("summary", "tags", "camera_name", "notes", "narrative")
MAX_WORDS = 5  # words a query may have
MAX_QUERY_CHARS = 200
MIN_PREFIX = 3  # a query word this long or longer also matches the words it begins
MAX_PREFIX = 20  # prefixes stored up to this length
MAX_WORD_CHARS = 100  # longer runs are cut (no word is that long; keeps terms within Firestore's limits)
MAX_TERMS = 2000
MAX_TAGS = 10  # values of a tag filter
MAX_TAG_CHARS = 100
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """``text`` without accents, case-folded (``"Café"`` -> ``"cafe"``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (repeats kept)."""
    return [word[:MAX_WORD_CHARS] for word in _WORD.findall(fold(text))]


def parse_query(text: str) -> tuple[str, ...]:
    """A ``q`` value's distinct words, in order; ValueError (the problem, for the client) unless it has
    1 to :data:`MAX_WORDS` words (counted as given) and at most :data:`MAX_QUERY_CHARS` characters."""
    if len(text) > MAX_QUERY_CHARS:
        raise ValueError(f"must be at most {MAX_QUERY_CHARS} characters")
    given = words(text)
    if not 1 <= len(given) <= MAX_WORDS:
        raise ValueError(f"must have 1 to {MAX_WORDS} words (letters or digits)")
    return tuple(dict.fromkeys(given))


def _source_texts(data: Mapping[str, Any]) -> Iterable[str]:
    for name in SOURCE_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (tag for tag in value if isinstance(tag, str))


def terms(data: Mapping[str, Any]) -> list[str]:
    """The stored terms of an event's fields: its words and their prefixes (see the module's rule),
    sorted, at most :data:`MAX_TERMS`."""
    found: dict[str, None] = {}
    for text in _source_texts(data):
        for word in words(text):
            new = [word[:size] for size in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1)]
            new = [term for term in (*new, word) if term not in found]
            if len(found) + len(new) > MAX_TERMS:
                return sorted(found)
            found.update(dict.fromkeys(new))
    return sorted(found)


def with_terms(before: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` (a write of an event whose document was ``before``; None: a new event) with the
    event's terms added when they differ from the stored ones: for a new event, a change of a source
    field, or an event stored before it had terms."""
    if before is not None and TERMS_FIELD in before and not any(name in fields for name in SOURCE_FIELDS):
        return dict(fields)
    new = terms({**(before or {}), **fields})
    if before is not None and before.get(TERMS_FIELD) == new:
        return dict(fields)
    return {**fields, TERMS_FIELD: new}


def clause_term(word: str) -> str:
    """The stored term an ``array-contains`` looks for to find ``word`` (its first
    :data:`MAX_PREFIX` characters)."""
    return word[:MAX_PREFIX]


def exact_by_query(word: str) -> bool:
    """Whether the query on :func:`clause_term` alone decides the rule for ``word``."""
    return len(word) <= MAX_PREFIX


def word_matches(word: str, present: AbstractSet[str]) -> bool:
    """Whether the query ``word`` matches an event whose terms are ``present``."""
    if word in present:  # a word of the event, or (3 to 20 characters) the prefix of one
        return True
    return not exact_by_query(word) and any(term.startswith(word) for term in present)


def matches(data: Mapping[str, Any], tags: tuple[str, ...], query_words: tuple[str, ...]) -> bool:
    """Whether an event's document matches a tag filter (any of ``tags``; empty: any event) and every
    one of ``query_words``."""
    if tags and not set(tags) & set(data.get("tags") or ()):
        return False
    present = set(data.get(TERMS_FIELD) or ())
    return all(word_matches(word, present) for word in query_words)
