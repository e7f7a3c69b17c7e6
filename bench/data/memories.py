"""Memory texts of realistic length and variety, with a domain and a topic each.

Kinds (shares): turns that were said to Assist (35%), notes about how people talk (15%),
preferences and household facts (25%), integration documentation (25%); languages English
85%, Polish 10%, German 5%. Utterances, responses and documentation are HA's own text (see
data/ha_text.py and data/sentences.py); the wrapping phrases are data/templates.py.
Every text is unique within its domain (the sidecar stores a repeated fact once).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from . import templates
from .ha_text import Passage, fill_response, integration_passages, intents_data, responses
from .sentences import SentenceSampler
from .vocabulary import LANGUAGES, Vocabulary

LANGUAGE_WEIGHTS = {"en": 0.85, "pl": 0.10, "de": 0.05}
KIND_WEIGHTS = {"turn": 0.35, "note": 0.15, "preference": 0.25, "knowledge": 0.25}
_INTENT_DOMAINS = (
    ("Timer", "routines"),
    ("ShoppingList", "shopping"),
    ("ListAdd", "shopping"),
    ("ListComplete", "shopping"),
    ("Media", "media"),
    ("Volume", "media"),
    ("Climate", "climate"),
    ("Weather", "climate"),
    ("Vacuum", "devices"),
    ("LawnMower", "devices"),
    ("Turn", "devices"),
    ("Light", "devices"),
    ("Position", "devices"),
    ("Toggle", "devices"),
)
_SECURITY_WORDS = ("alarm", "lock", "camera", "siren", "doorbell", "security", "safe", "smoke")


@dataclass(frozen=True, slots=True)
class Memory:
    content: str
    domain: str
    family: str  # cluster family of its vector (intent, template, integration)
    topic: str  # finer cluster (family + the household word it is about)
    language: str
    query: str  # what a user would say to find it again: a short utterance or question


def intent_domain(intent: str) -> str:
    for marker, domain in _INTENT_DOMAINS:
        if marker in intent:
            return domain
    return "default"


def integration_domain(integration: str) -> str:
    return "security" if any(w in integration for w in _SECURITY_WORDS) else "knowledge"


class _Language:
    """Everything needed to write memories in one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.vocabulary = Vocabulary.for_language(language)
        data = intents_data(language)
        self.sampler = SentenceSampler(data, self.vocabulary)
        self.responses = responses(data)
        self.passages: list[Passage] = integration_passages(language) or integration_passages(
            "en"
        )

    def slots(self, rng: random.Random) -> dict[str, str]:
        pick = self.vocabulary.pick
        return {
            "person": pick(rng, "person"),
            "area": pick(rng, "area"),
            "name": pick(rng, "name"),
            "word": pick(rng, "word"),
            "item": pick(rng, "item"),
            "time": f"{rng.randrange(5, 24)}:{rng.choice(('00', '15', '30', '45'))}",
            "number": str(rng.choice((5, 10, 15, 18, 20, 21, 22, 25, 30, 40, 50, 60, 75, 80))),
            "day": rng.choice(templates.DAYS[self.language]),
        }

    def utterance(self, rng: random.Random, slots: dict[str, str]) -> tuple[str, str, str]:
        """(utterance, response, intent)."""
        intent = rng.choice(self.sampler.intent_names)
        text, fills = self.sampler.sample(rng, intent)
        if fills:
            slots["name"] = slots["item"] = fills[-1]
        options = self.responses.get(intent) or ["OK"]
        response = fill_response(rng.choice(options), {**slots, "temperature": slots["number"]})
        slots["fill"] = fills[0] if fills else ""
        return text, response or "OK", intent


def _memory(kind: str, lang: _Language, rng: random.Random) -> Memory:
    slots = lang.slots(rng)
    code = lang.language
    if kind in ("turn", "note"):
        utterance, response, intent = lang.utterance(rng, slots)
        index = rng.randrange(len(getattr(templates, kind.upper())[code]))
        template = getattr(templates, kind.upper())[code][index]
        text = template.format(**slots, utterance=utterance, response=response)
        topic = f"{intent}:{slots['fill']}"
        return Memory(text, intent_domain(intent), f"intent:{intent}", topic, code, utterance)
    if kind == "preference":
        index = rng.randrange(len(templates.PREFERENCE[code]))
        text = templates.PREFERENCE[code][index].format(**slots)
        domain = "people" if "{person}" in templates.PREFERENCE[code][index] and (
            rng.random() < 0.4
        ) else "preferences"
        family = f"pref:{code}:{index}"
        query = rng.choice(templates.PREFERENCE_QUERY[code]).format(**slots)
        return Memory(text, domain, family, f"{family}:{slots['area']}", code, query)
    passage = rng.choice(lang.passages)
    parts = [passage.text]
    # Some documents are longer: a few passages of the same integration together.
    related = [p.text for p in lang.passages if p.integration == passage.integration]
    related = [text for text in related if text != passage.text]
    rng.shuffle(related)
    while related and rng.random() < 0.35 and len(parts) < 4 and sum(map(len, parts)) < 1500:
        parts.append(related.pop())
    template = rng.choice(templates.KNOWLEDGE[code])
    text = template.format(integration=passage.integration, passage=" ".join(parts))
    family = f"kb:{passage.integration}"
    words = passage.text.split()
    query = f"{passage.integration.replace('_', ' ')} {' '.join(words[: rng.randrange(3, 8)])}"
    return Memory(
        text,
        integration_domain(passage.integration),
        family,
        f"{family}:{len(parts)}",
        code,
        query.strip(" .:"),
    )


def generate(seed: int) -> Iterator[Memory]:
    """An endless, reproducible stream of unique memories."""
    rng = random.Random(seed)
    languages = {code: _Language(code) for code in LANGUAGES}
    codes, code_weights = zip(*LANGUAGE_WEIGHTS.items(), strict=True)
    kinds, kind_weights = zip(*KIND_WEIGHTS.items(), strict=True)
    seen: set[tuple[str, str]] = set()
    while True:
        [code] = rng.choices(codes, code_weights)
        [kind] = rng.choices(kinds, kind_weights)
        memory = _memory(kind, languages[code], rng)
        key = (memory.domain, memory.content.casefold())
        if key in seen:
            continue
        seen.add(key)
        yield memory
