"""The slot signature: what must be identical for two requests to share a cache entry.

Embedding similarity cannot tell "turn on" from "turn off", 50 from 60 or the kitchen from the
bedroom (such pairs score above any useful threshold). So before the sidecar compares
embeddings, the integration reduces each request to its signature and the sidecar only matches
entries whose signature is identical:

* names of HA's entities (and their aliases), areas and floors become their ids, so "kitchen
  light" and its alias "cooking lamp" are the same slot and "bedroom light" is not;
* numbers become values ("five" == "5", "5" != "6");
* every other word is kept — as its synonym class when HA's own templates use the words
  interchangeably ("switch" → "turn") — except the few free words and HA's skip phrases
  (see lexicon.py). Polarity words ("off", "wyłącz", "aus"), value words and unknown words
  therefore always have to agree.

Word order is ignored ("turn on the light" == "turn the light on") unless a request holds two
slots of one kind ("turn on the kitchen light and turn off the hall light", "5 minutes 20
seconds"): then the order is part of the signature, so swapping them never matches.

The analysis also says whether a request is about the live state of the home ("is the door
locked", "what's the temperature"): such requests never touch the cache.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .lexicon import PLACEHOLDERS, Lexicon
from .numbers import digit_value
from .templates import normalize

SIGNATURE_VERSION = 1
# Numbers (with a decimal part and a sign) are read before words; letters and digits split;
# other characters are kept only when they are symbols such as units ("21°" is a
# temperature, "21" may be a volume; "50%"), punctuation is dropped.
_TOKEN = re.compile(r"(?:(?<![\w.,])[-−])?\d+(?:[.,]\d+)?|[^\W\d_]+|[^\w\s]")
_UNIT_PUNCTUATION = frozenset("%‰")

type Names = Mapping[tuple[str, ...], frozenset[str]]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The names HA knows, as normalised word tuples → ids (several ids when ambiguous)."""

    entities: Names = field(default_factory=dict)
    areas: Names = field(default_factory=dict)
    floors: Names = field(default_factory=dict)

    @property
    def longest(self) -> int:
        return max((len(name) for names in self._all() for name in names), default=0)

    def _all(self) -> tuple[Names, ...]:
        return (self.entities, self.areas, self.floors)

    def match(self, words: list[str], start: int, longest: int) -> tuple[int, str, str] | None:
        """(length, kind, ids) of the longest name at `start`; entities win ties."""
        for length in range(min(longest, len(words) - start), 0, -1):
            key = tuple(words[start : start + length])
            for kind, names in zip(("entity", "area", "floor"), self._all(), strict=True):
                if ids := names.get(key):
                    return length, kind, "|".join(sorted(ids))
        return None


def build_names(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, ...], frozenset[str]]:
    """(name, id) pairs → normalised word tuple → ids."""
    names: dict[tuple[str, ...], set[str]] = {}
    for name, item_id in pairs:
        if key := tuple(tokens(name)):
            names.setdefault(key, set()).add(item_id)
    return {key: frozenset(ids) for key, ids in names.items()}


def tokens(text: str) -> list[str]:
    return [
        token
        for token in _TOKEN.findall(normalize(text).replace("−", "-"))
        if len(token) > 1
        or token.isalnum()
        or token in _UNIT_PUNCTUATION
        or unicodedata.category(token).startswith("S")
    ]


@dataclass(frozen=True, slots=True)
class Analysis:
    """One request as the cache sees it."""

    signature: dict[str, Any]
    # entity ids, "area:<id>", "floor:<id>": what invalidates an entry using this request
    dependencies: tuple[str, ...]
    numbers: tuple[str, ...]
    mentions_home: bool  # names an entity, area or floor, or a state/value word
    question: bool
    live: bool  # a question about the current state of the home: never cached

    @property
    def answer_allowed(self) -> bool:
        """A plain answer may be stored/served only for requests about nothing in the home."""
        return not self.live and not self.mentions_home and not self.numbers


# Kinds of slot whose order matters once there are two of a kind.
_CATEGORIES = {"entity": "name", "area": "name", "floor": "name", "number": "number"}


def analyze(text: str, lexicon: Lexicon, vocabulary: Vocabulary) -> Analysis:
    """Reduce a request to its signature and classify it."""
    words = _without_skip_phrases(tokens(text), lexicon.skip_phrases)
    longest = vocabulary.longest
    slots: list[tuple[str, str]] = []
    dependencies: set[str] = set()
    question = text.rstrip().endswith(("?", "？", ";", "¿"))  # ";" is the Greek question mark
    state = False
    shape: list[str] = []  # the words, with names and numbers as placeholders
    index = 0
    while index < len(words):
        if found := vocabulary.match(words, index, longest):
            length, kind, ids = found
            slots.append((kind, ids))
            shape.append(PLACEHOLDERS["name" if kind == "entity" else kind])
            dependencies.update(
                item if kind == "entity" else f"{kind}:{item}" for item in ids.split("|")
            )
            index += length
            continue
        if found_number := _spelled_number(words, index, lexicon.numbers_by_first_word):
            length, value = found_number
            slots.append(("number", value))
            shape.append(PLACEHOLDERS["number"])
            index += length
            continue
        word = words[index]
        index += 1
        if (value := digit_value(word)) is not None:
            slots.append(("number", value))
            shape.append(PLACEHOLDERS["number"])
            continue
        if word.isalnum():  # HA's sentences are matched on words only
            shape.append(word)
        question = question or word in lexicon.question_words
        # A word of one side of an opposite pair ("off", "unlock", "stop") asks for an action:
        # a reply without a tool call ("OK, turned off") did nothing, so never reuse it.
        if word in lexicon.state_words or word in lexicon.value_words or word in lexicon.one_sided:
            state = True
        if word in lexicon.free:
            continue
        kind = "action" if word in lexicon.value_words or word in lexicon.one_sided else "word"
        slots.append((kind, lexicon.canonical(word)))

    counts: dict[str, int] = {}
    for kind, _ in slots:
        if category := _CATEGORIES.get(kind):
            counts[category] = counts.get(category, 0) + 1
    ordered = any(count > 1 for count in counts.values())
    signature = {
        "v": SIGNATURE_VERSION,
        "lexicon": lexicon.fingerprint,
        "ordered": ordered,
        "slots": [list(slot) for slot in (slots if ordered else sorted(slots))],
    }
    numbers = tuple(value for kind, value in slots if kind == "number")
    mentions_home = state or bool(dependencies)
    # HA's own question sentences ("what time is it", "jaka jest godzina") are live even
    # when no word of them is a state word.
    asked_in_ha_words = lexicon.is_query_sentence(shape)
    return Analysis(
        signature=signature,
        dependencies=tuple(sorted(dependencies)),
        numbers=numbers,
        mentions_home=mentions_home,
        question=question or asked_in_ha_words,
        live=(question and mentions_home) or asked_in_ha_words,
    )


def _without_skip_phrases(words: list[str], phrases: tuple[tuple[str, ...], ...]) -> list[str]:
    """Drop HA's skip phrases ("please", "could you") wherever they occur."""
    if not phrases:
        return words
    kept: list[str] = []
    index = 0
    while index < len(words):
        for phrase in phrases:
            if tuple(words[index : index + len(phrase)]) == phrase:
                index += len(phrase)
                break
        else:
            kept.append(words[index])
            index += 1
    return kept


def _spelled_number(
    words: list[str],
    start: int,
    numbers: Mapping[str, tuple[tuple[tuple[str, ...], int], ...]],
) -> tuple[int, str] | None:
    for key, value in numbers.get(words[start], ()):  # longest first
        if tuple(words[start : start + len(key)]) == key:
            return len(key), str(value)
    return None
