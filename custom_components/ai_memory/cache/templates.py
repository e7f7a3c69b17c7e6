"""A small reader for Home Assistant's sentence-template syntax.

The intent data shipped by HA (`home-assistant-intents`) and custom sentence files use the
same mini-language: `(a|b)` alternatives, `[a]` optional parts, `(a;b)` permutations,
`<rule>` expansion rules and `{list}` slot lists. hassil parses it too, but its expression
classes changed between the versions HA ships (2.x on 2025.4, 3.x later), while the syntax of
the data did not; so we read the syntax ourselves and stay independent of hassil's internals.

Two uses:
* `expand` — every sentence a (small) template can produce: our own voice-feedback phrases.
* `template_words` — the set of words a (possibly huge) template can produce, without
  enumerating every sentence: the cache's lexicon of HA's own command vocabulary.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

# A list reference ({name}, {area}, a number range, …) in an expanded string. It is not a
# word character, so tokens that contain it are recognisably "part of a slot".
SLOT = "\x00"
# Stands for the words between the first and the last space once they have been collected.
_MIDDLE = "\x01"
# Letter runs and digit runs are separate words ("5min" is "5" "min"); punctuation and
# apostrophes split words ("what's" is "what" "s").
_WORD = re.compile(r"[^\W\d_]+|\d+")
_SPACES = re.compile(r"\s+")
# Bounds the work on pathological templates. Dropping strings only ever loses words, which
# makes the lexicon stricter (fewer free words), never looser.
MAX_STRINGS = 4096


class TemplateError(ValueError):
    """The template is not valid sentence-template syntax."""


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    options: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Permutation:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str


@dataclass(frozen=True, slots=True)
class ListRef:
    name: str


type Node = Text | Sequence | Choice | Permutation | Rule | ListRef

_CLOSERS = {"(": ")", "[": "]"}


class _Parser:
    def __init__(self, template: str) -> None:
        self.text = template
        self.pos = 0

    def parse(self) -> Node:
        node = self._alternatives(end=None)
        if self.pos != len(self.text):
            raise TemplateError(f"unexpected {self.text[self.pos]!r} in {self.text!r}")
        return node

    def _alternatives(self, end: str | None) -> Node:
        """seq ('|' seq)* and, inside parentheses, seq (';' seq)* (a permutation)."""
        options = [self._sequence(end)]
        separator = None
        while self.pos < len(self.text) and self.text[self.pos] in "|;":
            char = self.text[self.pos]
            if char == ";" and end != ")":
                break
            if separator is not None and separator != char:
                raise TemplateError(f"mixed '|' and ';' in {self.text!r}")
            separator = char
            self.pos += 1
            options.append(self._sequence(end))
        if separator == ";":
            return Permutation(tuple(options))
        return options[0] if len(options) == 1 else Choice(tuple(options))

    def _sequence(self, end: str | None) -> Node:
        items: list[Node] = []
        literal: list[str] = []

        def flush() -> None:
            if literal:
                items.append(Text("".join(literal)))
                literal.clear()

        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in "|;" or char == end:
                break
            if char in ")]":
                raise TemplateError(f"unbalanced {char!r} in {self.text!r}")
            self.pos += 1
            if char == "\\" and self.pos < len(self.text):
                literal.append(self.text[self.pos])
                self.pos += 1
            elif char in _CLOSERS:
                flush()
                inner = self._alternatives(end=_CLOSERS[char])
                self._expect(_CLOSERS[char])
                items.append(Choice((inner, Text(""))) if char == "[" else inner)
            elif char in "<{":
                flush()
                closer = ">" if char == "<" else "}"
                stop = self.text.find(closer, self.pos)
                if stop < 0:
                    raise TemplateError(f"unclosed {char!r} in {self.text!r}")
                name = self.text[self.pos : stop].strip()
                self.pos = stop + 1
                items.append(Rule(name) if char == "<" else ListRef(name.split(":", 1)[0]))
            else:
                literal.append(char)
        flush()
        return items[0] if len(items) == 1 else Sequence(tuple(items))

    def _expect(self, char: str) -> None:
        if self.pos >= len(self.text) or self.text[self.pos] != char:
            raise TemplateError(f"expected {char!r} in {self.text!r}")
        self.pos += 1


def parse(template: str) -> Node:
    """Parse one template (raises TemplateError)."""
    return _Parser(template).parse()


def normalize(text: str) -> str:
    """NFKC, case-folded, single spaces: how templates and utterances are compared."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def words_of(text: str) -> list[str]:
    """The word tokens of normalised text (punctuation and apostrophes split words)."""
    return _WORD.findall(normalize(text))


RuleLookup = Callable[[str], Node | None]


def expand(node: Node, rules: RuleLookup, lists: Mapping[str, list[str]] | None = None) -> set[str]:
    """Every normalised sentence of a small template; lists expand to their given values."""
    lists = lists or {}

    def go(current: Node, depth: int) -> list[str]:
        if depth > 50:
            raise TemplateError("expansion rules nest too deeply")
        match current:
            case Text(text):
                return [text]
            case Choice(options):
                return [s for option in options for s in go(option, depth + 1)]
            case Sequence(items):
                results = [""]
                for item in items:
                    results = [a + b for a in results for b in go(item, depth + 1)]
                return results
            case Permutation(parts):
                expanded = [go(part, depth + 1) for part in parts]
                return [
                    " ".join(combo)
                    for order in itertools.permutations(expanded)
                    for combo in itertools.product(*order)
                ]
            case Rule(name):
                body = rules(name)
                if body is None:
                    raise TemplateError(f"unknown expansion rule <{name}>")
                return go(body, depth + 1)
            case ListRef(name):
                if name not in lists:
                    raise TemplateError(f"no values for list {{{name}}}")
                return list(lists[name])
        raise TemplateError(f"unexpected node {current!r}")

    return {normalize(sentence) for sentence in go(node, 0)}


@dataclass(frozen=True, slots=True)
class _Words:
    """A template's language for word extraction: strings whose middle words were already
    taken out (kept as `inner`), so products stay small however long the template is."""

    strings: frozenset[str]
    inner: frozenset[str]


def _compact(text: str, inner: set[str]) -> str:
    """Move every word strictly between the first and last space into `inner`."""
    first, last = text.find(" "), text.rfind(" ")
    if first == last:
        return text
    for token in text[first + 1 : last].split(" "):
        if token and SLOT not in token and _MIDDLE not in token:
            inner.update(_WORD.findall(token))
    return f"{text[:first]} {_MIDDLE} {text[last + 1 :]}"


def _concat(parts: Iterable[_Words]) -> _Words:
    strings, inner = {""}, set()
    for part in parts:
        inner |= part.inner
        pairs = itertools.product(sorted(strings), sorted(part.strings))
        strings = set()
        for left, right in itertools.islice(pairs, MAX_STRINGS):
            strings.add(_compact(left + right, inner))
    return _Words(frozenset(strings), frozenset(inner))


@dataclass(frozen=True, slots=True)
class TemplateWords:
    words: frozenset[str]
    first: frozenset[str]  # words a sentence can start with


def template_words(node: Node, rules: RuleLookup, cache: dict[str, _Words]) -> TemplateWords:
    """Every word the template can produce, and the words its sentences can start with;
    slot lists contribute none. `cache` memoises expansion rules per rule namespace.
    """

    def go(current: Node, depth: int) -> _Words:
        if depth > 50:
            raise TemplateError("expansion rules nest too deeply")
        match current:
            case Text(text):
                return _Words(frozenset({normalize_spaces(text)}), frozenset())
            case Choice(options):
                results = [go(option, depth + 1) for option in options]
                strings = frozenset(s for r in results for s in r.strings)
                return _Words(
                    frozenset(sorted(strings)[:MAX_STRINGS]),
                    frozenset().union(*(r.inner for r in results)),
                )
            case Sequence(items):
                return _concat(go(item, depth + 1) for item in items)
            case Permutation(parts):
                # Word sets do not depend on order: one order, separated by spaces.
                spaced: list[Node] = []
                for part in parts:
                    spaced.extend((part, Text(" ")))
                return go(Sequence(tuple(spaced)), depth + 1)
            case Rule(name):
                if name not in cache:
                    body = rules(name)
                    if body is None:
                        raise TemplateError(f"unknown expansion rule <{name}>")
                    cache[name] = go(body, depth + 1)
                return cache[name]
            case ListRef():
                return _Words(frozenset({SLOT}), frozenset())
        raise TemplateError(f"unexpected node {current!r}")

    result = go(node, 0)
    found, first = set(result.inner), set()
    for text in result.strings:
        tokens = text.lstrip(" ").split(" ")
        if tokens[0] and SLOT not in tokens[0] and _MIDDLE not in tokens[0]:
            first.update(_WORD.findall(tokens[0])[:1])
        for token in tokens:
            if token and SLOT not in token and _MIDDLE not in token:
                found.update(_WORD.findall(token))
    return TemplateWords(frozenset(found), frozenset(first))


def normalize_spaces(text: str) -> str:
    """Case-fold a literal chunk but keep its leading/trailing spaces (they split words)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold())


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case Sequence(items):
            return items
        case Choice(options):
            return options
        case Permutation(parts):
            return parts
    return ()


def _has_references(node: Node) -> bool:
    if isinstance(node, Rule | ListRef):
        return True
    return any(_has_references(child) for child in _children(node))


def _single_words(node: Node) -> set[str] | None:
    """The words of a reference-free part that always yields one word (or nothing)."""
    if _has_references(node):
        return None
    try:
        sentences = expand(node, lambda _name: None)
    except TemplateError:
        return None
    found: set[str] = set()
    for sentence in sentences:
        tokens = words_of(sentence)
        if len(tokens) > 1 or " " in sentence:
            return None
        found.update(tokens)
    return found


def _word_runs(items: tuple[Node, ...]) -> list[tuple[Node, ...]]:
    """Split a sequence at spaces into runs that form one word each ("light[s]")."""
    runs: list[list[Node]] = [[]]
    for item in items:
        if isinstance(item, Text) and " " in item.text:
            first, *middle, last = item.text.split(" ")
            runs[-1].append(Text(first))
            runs.extend([Text(word)] for word in middle)
            runs.append([Text(last)])
        else:
            runs[-1].append(item)
    return [tuple(run) for run in runs if any(not isinstance(i, Text) for i in run)]


def word_groups(node: Node) -> list[set[str]]:
    """Sets of single words the template offers as alternatives for the same position:
    `(turn|switch) on` → {turn, switch}; `light[s]` → {light, lights}. Parts attached to a
    word (`minutnik[a|i]`) are endings, not alternatives, and are only seen as whole words."""
    groups: list[set[str]] = []

    def add(found: set[str] | None) -> None:
        if found and len(found) >= 2:
            groups.append(found)

    def walk(current: Node, standalone: bool) -> None:
        match current:
            case Sequence(items):
                for run in _word_runs(items):
                    add(_single_words(Sequence(run)))
                for item in items:
                    walk(item, standalone=False)
            case Choice(options):
                if standalone:
                    add(_single_words(current))
                for option in options:
                    walk(option, standalone=standalone)
            case Permutation(parts):
                for part in parts:
                    walk(part, standalone=True)

    walk(node, standalone=True)
    return groups


def list_names(node: Node, rules: RuleLookup, seen: set[str] | None = None) -> set[str]:
    """Names of the slot lists a template refers to, through its expansion rules."""
    seen = set() if seen is None else seen
    match node:
        case ListRef(name):
            return {name}
        case Rule(name):
            if name in seen or (body := rules(name)) is None:
                return set()
            seen.add(name)
            return list_names(body, rules, seen)
    found: set[str] = set()
    for child in _children(node):
        found |= list_names(child, rules, seen)
    return found


_NON_WORD = re.compile(r"[^\w]+")


def flatten(text: str) -> str:
    """Case-folded words separated by single spaces: how sentences and patterns compare."""
    return " ".join(_NON_WORD.sub(" ", normalize(text)).split())


def to_pattern(
    node: Node,
    rules: RuleLookup,
    list_pattern: Callable[[str], str],
    max_length: int = 20_000,
) -> str | None:
    """A regular expression matching the (flattened) sentences of a template; slot lists
    match what `list_pattern(name)` says. None for a template too large to compile."""

    def go(current: Node, depth: int) -> str:
        if depth > 50:
            raise TemplateError("expansion rules nest too deeply")
        match current:
            case Text(text):
                literal = _NON_WORD.sub(" ", normalize_spaces(text))
                return r"\s*".join(re.escape(part) for part in literal.split(" "))
            case Sequence(items):
                return "".join(go(item, depth + 1) for item in items)
            case Choice(options):
                return "(?:" + "|".join(go(option, depth + 1) for option in options) + ")"
            case Permutation(parts):
                compiled = [go(part, depth + 1) for part in parts]
                orders = itertools.permutations(compiled)
                return "(?:" + "|".join(r"\s*".join(order) for order in orders) + ")"
            case Rule(name):
                body = rules(name)
                if body is None:
                    raise TemplateError(f"unknown expansion rule <{name}>")
                return go(body, depth + 1)
            case ListRef(name):
                return list_pattern(name)
        raise TemplateError(f"unexpected node {current!r}")

    pattern = go(node, 0)
    return pattern if len(pattern) <= max_length else None
