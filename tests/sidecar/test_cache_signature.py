"""The slot guard on everyday wordings: what must share a signature and what must not.

Pure and fast: the integration's lexicon (from HA's own intent data) and signature code,
with a small home's names. The exhaustive check over HA's sentences is test_cache_safety.py.
"""

from __future__ import annotations

import pytest
from home_assistant_intents import get_intents

from custom_components.ai_memory.cache.lexicon import Lexicon, build_lexicon
from custom_components.ai_memory.cache.signature import (
    Analysis,
    Vocabulary,
    analyze,
    build_names,
)
from custom_components.ai_memory.cache.templates import expand, flatten, parse, template_words

VOCABULARY = {
    "en": Vocabulary(
        entities=build_names(
            [
                ("Ceiling light", "light.ceiling"),
                ("Cooking lamp", "light.ceiling"),  # an alias of the same light
                ("Reading lamp", "light.reading"),
                ("Front door", "lock.front"),
            ]
        ),
        areas=build_names([("Kitchen", "kitchen"), ("Bedroom", "bedroom")]),
        floors=build_names([("Upstairs", "upstairs")]),
    ),
    "pl": Vocabulary(
        entities=build_names([("Lampa sufitowa", "light.sufit"), ("Lampka nocna", "light.nocna")]),
        areas=build_names([("Kuchnia", "kuchnia"), ("Sypialnia", "sypialnia")]),
    ),
}


@pytest.fixture(scope="module")
def lexicons() -> dict[str, Lexicon]:
    return {language: build_lexicon(language, get_intents(language)) for language in VOCABULARY}


def signature(lexicons: dict[str, Lexicon], language: str, text: str) -> str:
    return repr(read(lexicons, language, text).signature)


def read(lexicons: dict[str, Lexicon], language: str, text: str) -> Analysis:
    return analyze(text, lexicons[language], VOCABULARY[language])


SAME = [
    (
        "en",
        [
            "turn on the ceiling light",
            "turn the ceiling light on",
            "Turn on the ceiling light!",
            "please turn on my ceiling light",
            "could you turn on the ceiling light",
            "switch on the ceiling light",
            "turn on the cooking lamp",
        ],
    ),
    ("en", ["set the ceiling light to 50%", "set the ceiling light to fifty %"]),
    (
        "en",
        ["set a timer for 5 minutes", "set a timer for five minutes", "Set a timer for 5 minutes."],
    ),
    ("en", ["lock the front door", "please lock the front door"]),
    ("pl", ["włącz Lampa sufitowa", "proszę włącz Lampa sufitowa", "Lampa sufitowa włącz"]),
    ("pl", ["zapal Lampa sufitowa", "zaświeć Lampa sufitowa"]),
    ("pl", ["ustaw minutnik na 5 minut", "ustaw minutnik na pięć minut"]),
]

DIFFERENT = [
    ("en", ["turn on the ceiling light", "turn off the ceiling light"]),
    ("en", ["turn on the ceiling light", "turn on the reading lamp"]),
    ("en", ["turn on the lights in the kitchen", "turn on the lights in the bedroom"]),
    ("en", ["turn on the lights in the kitchen", "turn on the lights upstairs"]),
    ("en", ["turn on the lights", "turn on the lights everywhere"]),
    ("en", ["turn on the lights in the kitchen", "turn on the fans in the kitchen"]),
    ("en", ["set the ceiling light to 50%", "set the ceiling light to 60%"]),
    ("en", ["set the ceiling light to 50%", "set the ceiling light to 50"]),
    ("en", ["set a timer for 5 minutes", "set a timer for 10 minutes"]),
    ("en", ["set a timer for 5 minutes", "set a timer for 5 hours"]),
    ("en", ["open the garage door", "close the garage door"]),
    ("en", ["lock the front door", "unlock the front door"]),
    ("en", ["pause the music", "unpause the music"]),
    ("en", ["turn the volume up", "turn the volume down"]),
    ("en", ["set the kitchen brightness to 30", "set the kitchen volume to 30"]),
    ("en", ["don't turn on the ceiling light", "turn on the ceiling light"]),
    (
        "en",
        [
            "turn on the ceiling light and turn off the reading lamp",
            "turn off the ceiling light and turn on the reading lamp",
        ],
    ),
    (
        "en",
        ["set a timer for 5 minutes and 20 seconds", "set a timer for 20 minutes and 5 seconds"],
    ),
    ("en", ["set it to -5 degrees", "set it to 5 degrees"]),
    ("pl", ["włącz Lampa sufitowa", "wyłącz Lampa sufitowa"]),
    ("pl", ["włącz Lampa sufitowa", "włącz Lampka nocna"]),
    ("pl", ["zapal światło w Kuchnia", "zapal światło w Sypialnia"]),
    ("pl", ["ustaw Lampa sufitowa na 50%", "ustaw Lampa sufitowa na 60%"]),
    ("pl", ["ustaw na Kuchnia na 21°", "ustaw na Kuchnia na 21"]),
]


@pytest.mark.parametrize(("language", "texts"), SAME)
def test_same_request_in_other_words_shares_a_signature(
    lexicons: dict[str, Lexicon], language: str, texts: list[str]
) -> None:
    signatures = {text: signature(lexicons, language, text) for text in texts}
    assert len(set(signatures.values())) == 1, signatures


@pytest.mark.parametrize(("language", "texts"), DIFFERENT)
def test_different_requests_never_share_a_signature(
    lexicons: dict[str, Lexicon], language: str, texts: list[str]
) -> None:
    first, second = (signature(lexicons, language, text) for text in texts)
    assert first != second


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "what time is it"),
        ("en", "is the front door locked"),
        ("en", "what's the temperature in the kitchen"),
        ("en", "how warm is it in the bedroom"),
        ("en", "are the lights on upstairs?"),
        ("en", "what's the weather like"),
        ("pl", "która godzina"),
        ("pl", "jaka jest temperatura w Kuchnia"),
        ("pl", "czy Lampa sufitowa jest włączona"),
        ("pl", "jaka jest pogoda"),
    ],
)
def test_questions_about_the_home_are_live(
    lexicons: dict[str, Lexicon], language: str, text: str
) -> None:
    analysis = read(lexicons, language, text)
    assert analysis.live
    assert not analysis.answer_allowed


@pytest.mark.parametrize(
    ("language", "text", "answer_allowed"),
    [
        ("en", "tell me a joke", True),
        ("en", "what is the capital of France", True),
        ("pl", "opowiedz dowcip", True),
        ("en", "turn on the ceiling light", False),  # a command: only a plan may be cached
        ("en", "set a timer for 5 minutes", False),  # numbers: only a plan
        # Commands naming nothing the home has: a reply without a tool call did nothing.
        ("en", "turn off the lights", False),
        ("pl", "wyłącz wszystko", False),
    ],
)
def test_which_requests_may_be_answered_with_plain_text(
    lexicons: dict[str, Lexicon], language: str, text: str, answer_allowed: bool
) -> None:
    analysis = read(lexicons, language, text)
    assert not analysis.live
    assert analysis.answer_allowed is answer_allowed


def test_dependencies_name_what_the_request_used(lexicons: dict[str, Lexicon]) -> None:
    analysis = read(
        lexicons, "en", "turn on the cooking lamp and the lights upstairs in the kitchen"
    )
    assert analysis.dependencies == ("area:kitchen", "floor:upstairs", "light.ceiling")


def test_a_language_without_intent_data_matches_words_exactly() -> None:
    lexicon = build_lexicon("xx", None)
    vocabulary = VOCABULARY["en"]
    first = analyze("make the ceiling light bright", lexicon, vocabulary).signature
    assert first == analyze("bright the ceiling light make", lexicon, vocabulary).signature
    assert first != analyze("make the ceiling light dark", lexicon, vocabulary).signature


def test_template_reader_handles_hassil_syntax() -> None:
    rules = {"turn": parse("(turn|switch)")}
    node = parse("<turn> (on|off) [the] light[s] (in;{area})")
    sentences = expand(node, rules.get, {"area": ["Kitchen"]})
    assert "switch off the lights in kitchen" in sentences
    assert "turn on light kitchen in" in sentences
    assert len(sentences) == 2 * 2 * 2 * 2 * 2
    words = template_words(node, rules.get, {})
    assert set(words.words) == {"turn", "switch", "on", "off", "the", "light", "lights", "in"}
    assert set(words.first) == {"turn", "switch"}
    assert flatten("What's  the TEMP?") == "what s the temp"
