"""Per-language word classes for the cache's slot guard, learned from HA's own intent data.

The semantic cache may treat two requests as the same only when they differ in words that do
not change what Home Assistant would do. Which words those are is read, for every language HA
supports, from the sentence templates HA itself matches commands with
(`home-assistant-intents`), instead of from hand-written English word lists:

* **value words** — the `in` side of value lists (`on`/`off`, `open`/`closed`, colours, …):
  slot values, never free.
* **one-sided words** — words found in the templates of only one intent of an opposite pair
  (HassTurnOn/HassTurnOff, pause/unpause, …): polarity markers such as "off", "wyłącz",
  "aus", "deactivate". Never free.
* **free words** — words that are neither of the above, appear in the templates of a large
  share of the action intents (≥ 40 %, at least 4) and across at least two device domains:
  articles, prepositions and the generic verbs ("the", "in", "turn", "ustaw"). Only these (and
  HA's skip phrases such as "please") may differ between two requests that share a cache entry.
* **question words** — words of the query intents (HassGetState, HassGetWeather, …) that are
  generic across them ("what", "is", "jaka"), and **state words** — the other words of the
  query intents ("temperature", "weather", "time", "locked"). Together they recognise questions
  about the live state of the home, which are never answered from the cache.

Every other word must match exactly. Intent *names* below are language-independent ids.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .numbers import number_words
from .templates import (
    Node,
    TemplateError,
    TemplateWords,
    Text,
    list_names,
    parse,
    template_words,
    to_pattern,
    word_groups,
    words_of,
)

_LOGGER = logging.getLogger(__name__)

# Pairs whose sentences are built alike and differ in direction: a word found on one side
# only marks it ("off", "unpause", "previous", "from"). Pairs built differently (start vs
# cancel a timer) would mark incidental words, so they are not listed; their distinguishing
# words are not free anyway.
OPPOSITE_INTENTS: tuple[tuple[str, str], ...] = (
    ("HassTurnOn", "HassTurnOff"),
    ("HassMediaPause", "HassMediaUnpause"),
    ("HassMediaNext", "HassMediaPrevious"),
    ("HassPauseTimer", "HassUnpauseTimer"),
    ("HassIncreaseTimer", "HassDecreaseTimer"),
)
# Intents that read state instead of changing it (HassGetState, HassClimateGetTemperature,
# HassGetWeather, HassGetCurrentTime, HassTimerStatus, HassGetTodoItems, …).
QUERY_MARKERS = ("Get", "Status")
# Intents that neither read nor change anything.
CHAT_INTENTS = frozenset({"HassNevermind", "HassRespond"})

# What signature.analyze puts in place of HA's names and of numbers before it compares a
# request with HA's question sentences.
PLACEHOLDERS = {
    "name": "_name_",
    "area": "_area_",
    "floor": "_floor_",
    "number": "_number_",
}

FREE_SHARE = 0.4
FREE_MIN_INTENTS = 4
FREE_MIN_DOMAINS = 2
FUNCTION_SHARE = 0.25
FUNCTION_MIN_INTENTS = 6
QUESTION_SHARE = 0.5
QUESTION_MIN_INTENTS = 3


def is_query_intent(name: str) -> bool:
    return any(marker in name for marker in QUERY_MARKERS)


@dataclass(frozen=True)
class Lexicon:
    """What the slot guard knows about one language."""

    language: str
    free: frozenset[str] = frozenset()
    value_words: frozenset[str] = frozenset()
    one_sided: frozenset[str] = frozenset()
    question_words: frozenset[str] = frozenset()
    state_words: frozenset[str] = frozenset()
    # HA's skip phrases ("please", "could you", "proszę"), as word tuples, longest first.
    skip_phrases: tuple[tuple[str, ...], ...] = ()
    # Spelled-out numbers ("twenty five", "dwadzieścia pięć") → value, longest first.
    numbers: Mapping[tuple[str, ...], int] = field(default_factory=dict)
    # Synonyms HA's templates use interchangeably ("switch" → "turn"), word → class name.
    synonyms: Mapping[str, str] = field(default_factory=dict)

    # Every sentence template of HA's query intents, lists as wildcards: a request that
    # fits one is a question about the home in HA's own words.
    questions: re.Pattern[str] | None = None

    def canonical(self, word: str) -> str:
        return self.synonyms.get(word, word)

    def is_query_sentence(self, shape: list[str]) -> bool:
        """`shape`: the request's words with names and numbers as PLACEHOLDERS."""
        return self.questions is not None and self.questions.fullmatch(" ".join(shape)) is not None

    @functools.cached_property
    def numbers_by_first_word(self) -> Mapping[str, tuple[tuple[tuple[str, ...], int], ...]]:
        """`numbers` grouped by their first word, each group still longest first: analyze
        tries only the numbers that can start at a word instead of all of them per word."""
        groups: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for key, value in self.numbers.items():
            groups.setdefault(key[0], []).append((key, value))
        return {word: tuple(group) for word, group in groups.items()}

    @property
    def known(self) -> bool:
        """False when HA ships no intents for the language (everything is then guarded)."""
        return bool(self.free or self.value_words)

    @functools.cached_property
    def fingerprint(self) -> str:
        """Changes whenever the word classes do (HA updated its intent data): part of every
        signature, so entries made under other rules never match."""
        digest = hashlib.sha256()
        for part in (
            sorted(self.free),
            sorted(self.value_words),
            sorted(self.one_sided),
            sorted(self.synonyms.items()),
            sorted(self.skip_phrases),
            sorted(self.numbers.items()),
        ):
            digest.update(repr(part).encode())
        return digest.hexdigest()[:12]


class _Collector:
    """Reads one language's intent data into word → intents / domains tables."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.rules: dict[str, Node] = {}
        for name, body in (data.get("expansion_rules") or {}).items():
            try:
                self.rules[name] = parse(str(body))
            except TemplateError as err:
                _LOGGER.debug("Skipping expansion rule <%s>: %s", name, err)
        self.intents_of: defaultdict[str, set[str]] = defaultdict(set)
        self.domains_of: defaultdict[str, set[str]] = defaultdict(set)
        self.words_of_intent: defaultdict[str, set[str]] = defaultdict(set)
        self.lists_of_intent: defaultdict[str, set[str]] = defaultdict(set)
        self.first_of_intent: defaultdict[str, set[str]] = defaultdict(set)
        # word → number of templates using it, per intent
        self.templates_of: defaultdict[str, defaultdict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        self.groups: list[set[str]] = [g for rule in self.rules.values() for g in word_groups(rule)]
        self.patterns_of_intent: defaultdict[str, list[str]] = defaultdict(list)
        self._shared_cache: dict[str, Any] = {}

    def _words(self, template: str, local: Mapping[str, Node], intent: str = "") -> set[str]:
        found = self._template(template, local, intent)
        if intent:
            self.first_of_intent[intent] |= found.first
        return set(found.words)

    def _template(self, template: str, local: Mapping[str, Node], intent: str) -> TemplateWords:
        def lookup(name: str) -> Node | None:
            return local.get(name) or self.rules.get(name)

        node = parse(template)
        if intent:
            self.lists_of_intent[intent] |= list_names(node, lookup)
            self.groups.extend(word_groups(node))
            # A template of lists alone ("{name}") would match any request: not a pattern.
            if any(isinstance(item, Text) and item.text.strip() for item in _nodes(node)):
                try:
                    pattern = to_pattern(node, lookup, self._list_pattern)
                except TemplateError:
                    pattern = None
                if pattern:
                    self.patterns_of_intent[intent].append(pattern)
        # Language-wide rules may refer to block-local ones (<class>): share the memo only
        # when the block defines none.
        cache = self._shared_cache if not local else {}
        return template_words(node, lookup, cache)

    def collect_intents(self) -> None:
        for intent, spec in (self.data.get("intents") or {}).items():
            for block in spec.get("data") or []:
                local: dict[str, Node] = {}
                for name, body in (block.get("expansion_rules") or {}).items():
                    try:
                        local[name] = parse(str(body))
                    except TemplateError:
                        continue
                    self.groups.extend(word_groups(local[name]))
                domain = _domain_key(block)
                for sentence in block.get("sentences") or []:
                    try:
                        found = self._words(str(sentence), local, intent)
                    except TemplateError as err:
                        _LOGGER.debug("Skipping template %r: %s", sentence, err)
                        continue
                    self.words_of_intent[intent] |= found
                    for word in found:
                        self.templates_of[word][intent] += 1
                        self.intents_of[word].add(intent)
                        self.domains_of[word].add(domain)

    def list_values(self) -> dict[str, set[tuple[str, str]]]:
        """Word → the (list, value) pairs it can stand for, over every value list."""
        found: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)
        for name, spec in (self.data.get("lists") or {}).items():
            for value in spec.get("values") or []:
                text = value.get("in") if isinstance(value, dict) else value
                out = value.get("out", text) if isinstance(value, dict) else value
                if not isinstance(text, str):
                    continue
                try:
                    words = self._words(text, {})
                except TemplateError:
                    words = set(words_of(text))
                for word in words:
                    found[word].add((name, str(out)))
        return found

    def _list_pattern(self, name: str) -> str:
        """How a slot list appears in a request reduced by signature.analyze: HA's names and
        numbers as placeholders, value lists as their values, wildcards as any text."""
        if name in PLACEHOLDERS:
            return PLACEHOLDERS[name]
        spec = (self.data.get("lists") or {}).get(name) or {}
        if "range" in spec:
            return PLACEHOLDERS["number"]
        values = []
        for value in spec.get("values") or []:
            text = value.get("in") if isinstance(value, dict) else value
            try:
                values.append(to_pattern(parse(str(text)), self.rules.get, self._list_pattern))
            except TemplateError:
                continue
        if values:
            return "(?:" + "|".join(v for v in values if v) + ")"
        return r"(?:\S.*?)"

    def value_words(self, intents: set[str]) -> set[str]:
        """Words of the value lists that the given intents' templates use."""
        used = set().union(*(self.lists_of_intent[name] for name in intents))
        found: set[str] = set()
        for name, spec in (self.data.get("lists") or {}).items():
            if name not in used:
                continue
            for value in spec.get("values") or []:
                text = value.get("in") if isinstance(value, dict) else value
                if not isinstance(text, str):
                    continue
                try:
                    found |= self._words(text, {})
                except TemplateError:
                    found |= set(words_of(text))
        return found


def _nodes(node: Node) -> list[Node]:
    """The node and all nodes below it (expansion rules not followed)."""
    found = [node]
    for child in (
        getattr(node, "items", ()) or getattr(node, "options", ()) or getattr(node, "parts", ())
    ):
        found.extend(_nodes(child))
    return found


def _domain_key(block: Mapping[str, Any]) -> str:
    """The kind of device a template block is about: domain and device class ('' if any)."""
    parts = []
    for key in ("domain", "device_class"):
        for source in ("slots", "requires_context"):
            value = (block.get(source) or {}).get(key)
            if isinstance(value, list):
                value = ",".join(sorted(str(item) for item in value))
            if value:
                parts.append(str(value))
                break
    return "/".join(parts)


class _Classes:
    """Union-find over words that HA's templates offer as alternatives, refusing any merge
    that would put words of different meaning classes into one class."""

    def __init__(
        self,
        key: Callable[[str], tuple[object, ...]],
        domains: Mapping[str, set[str]],
        values: Mapping[str, set[tuple[str, str]]],
    ) -> None:
        self._key = key
        self._parent: dict[str, str] = {}
        # Device kinds a class is specific to ("light" → {"light"}); generic words add none.
        self._specific: dict[str, frozenset[str]] = {}
        # The list values a class's words stand for ("Markise" → cover_classes: awning).
        self._values: dict[str, frozenset[tuple[str, str]]] = {}
        self._domains = domains
        self._list_values = values

    def _find(self, word: str) -> str:
        if word not in self._parent:
            self._parent[word] = word
            kinds = {kind for kind in self._domains.get(word, ()) if kind}
            self._specific[word] = frozenset(kinds) if len(kinds) == 1 else frozenset()
            self._values[word] = frozenset(self._list_values.get(word, ()))
        while self._parent[word] != word:
            self._parent[word] = self._parent[self._parent[word]]
            word = self._parent[word]
        return word

    def union(self, first: str, second: str) -> None:
        a, b = self._find(first), self._find(second)
        if a == b or self._key(first) != self._key(second):
            return
        specific = self._specific[a] | self._specific[b]
        if len(specific) > 1:
            return  # "light" and "fan": both name one kind of device, different ones
        values = self._values[a] | self._values[b]
        lists = [name for name, _ in values]
        if len(lists) != len(set(lists)):
            return  # "Markise" and "Vorhang": different values of the same list (awning/curtain)
        keep, drop = sorted((a, b))
        self._parent[drop] = keep
        self._specific[keep] = specific
        self._values[keep] = values

    def canonical(self) -> dict[str, str]:
        return {word: root for word in list(self._parent) if (root := self._find(word)) != word}


def build_lexicon(language: str, data: Mapping[str, Any] | None) -> Lexicon:
    """Derive the word classes of one language from its intent data (None: no intents)."""
    numbers = number_words(language)
    if not data:
        return Lexicon(language=language, numbers=numbers)
    collector = _Collector(data)
    collector.collect_intents()
    intents = set(collector.words_of_intent)
    query = {name for name in intents if is_query_intent(name)}
    action = intents - query - CHAT_INTENTS

    one_sided: set[str] = set()
    for first, second in OPPOSITE_INTENTS:
        if first in intents and second in intents:
            one_sided |= collector.words_of_intent[first] ^ collector.words_of_intent[second]
    value_words = collector.value_words(action)

    needed = max(FREE_MIN_INTENTS, math.ceil(FREE_SHARE * len(action)))
    free = {
        word
        for word, found_in in collector.intents_of.items()
        if word not in value_words
        and word not in one_sided
        and not any(char.isdigit() for char in word)
        and len(found_in & action) >= needed
        and len(collector.domains_of[word]) >= FREE_MIN_DOMAINS
    }
    # Interrogatives are spread over most query intents ("what", "is", "jaka", "czy");
    # words of one or two of them name what is asked about ("temperature", "time").
    generic = max(QUESTION_MIN_INTENTS, math.ceil(QUESTION_SHARE * len(query)))
    interrogatives = {
        word
        for word, found_in in collector.intents_of.items()
        if word not in free
        and len(found_in & query) >= generic
        and len(found_in & query) > len(found_in & action)
    }
    # Words that start questions but never commands ("are", "czy", "stan", "temperatura").
    starters = set().union(*(collector.first_of_intent[name] for name in query))
    starters -= set().union(*(collector.first_of_intent[name] for name in action))
    question_words = interrogatives | (starters - free)
    query_vocabulary = set().union(
        collector.value_words(query), *(collector.words_of_intent[name] for name in query)
    )
    # Function words ("the", "of", "w", "die") are spread over a quarter of all intents.
    common = max(FUNCTION_MIN_INTENTS, math.ceil(FUNCTION_SHARE * len(intents)))
    function_words = {
        word for word, found_in in collector.intents_of.items() if len(found_in) >= common
    }

    def mostly_asked(word: str) -> bool:
        # "temperature" is in one command's templates but in many more questions'; "a" and
        # "for" are in far more command templates ("set a timer for …").
        counts = collector.templates_of.get(word, {})
        asked = sum(n for name, n in counts.items() if name in query)
        return asked >= sum(n for name, n in counts.items() if name in action)

    state_words = {
        word
        for word in query_vocabulary - free - interrogatives - function_words
        if mostly_asked(word)
    }

    marks: defaultdict[str, set[tuple[int, int]]] = defaultdict(set)
    for index, pair in enumerate(OPPOSITE_INTENTS):
        if pair[0] in intents and pair[1] in intents:
            first, second = (collector.words_of_intent[name] for name in pair)
            for word in first - second:
                marks[word].add((index, 0))
            for word in second - first:
                marks[word].add((index, 1))

    action_vocabulary = set().union(*(collector.words_of_intent[name] for name in action))

    def meaning_class(word: str) -> tuple[object, ...]:
        # Value words are slot values, and words that only ever occur in questions serve to
        # recognise them ("hot" and "cold" are alternatives there): none is ever merged.
        if (
            word in value_words
            or word in question_words
            or (word in state_words and word not in action_vocabulary)
        ):
            return ("exact", word)
        return (frozenset(marks[word]), word in free)

    classes = _Classes(meaning_class, collector.domains_of, collector.list_values())
    for group in collector.groups:
        first, *others = sorted(group)
        for other in others:
            classes.union(first, other)

    patterns = [p for name in sorted(query) for p in collector.patterns_of_intent[name]]
    try:
        questions = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
    except re.error as err:  # pragma: no cover - a template our reader got wrong
        _LOGGER.debug("Query patterns of %s do not compile: %s", language, err)
        questions = None

    skip = {tuple(words_of(str(phrase))) for phrase in data.get("skip_words") or []}
    return Lexicon(
        language=language,
        free=frozenset(free),
        value_words=frozenset(value_words),
        one_sided=frozenset(one_sided),
        question_words=frozenset(question_words),
        state_words=frozenset(state_words),
        skip_phrases=tuple(sorted((p for p in skip if p), key=len, reverse=True)),
        numbers=numbers,
        synonyms=classes.canonical(),
        questions=questions,
    )
