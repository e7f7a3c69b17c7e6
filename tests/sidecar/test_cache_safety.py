"""The cache-safety suite: Home Assistant's own sentences against the slot guard and the cache.

Sentences come from HA's intent templates (`home-assistant-intents`), their meaning from
HA's recognizer (`hassil`), in English and Polish (tests/support/intent_sentences.py). The
signatures are computed by the integration's guard (custom_components/ai_memory/cache) and
matched by the real sidecar on PostgreSQL with embeddings:

* paraphrases (same intent, same slots) should hit — the hit rate is reported;
* any two sentences with different meanings (a number, on/off, an entity, an area, a floor,
  another intent) must never share an entry — false hits must be zero, at the default
  similarity threshold and at a deliberately loose one, where only the guard protects;
* questions about the state of the home are never looked up or stored.

Run with `-s` to see the measured hit rates.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from home_assistant_intents import get_intents

from custom_components.ai_memory.cache.lexicon import build_lexicon
from custom_components.ai_memory.cache.signature import (
    Analysis,
    Vocabulary,
    analyze,
    build_names,
)
from sidecar.api.handlers.cache import DEFAULT_SIMILARITY
from tests.support.intent_sentences import (
    COMMAND_INTENTS,
    HOMES,
    QUESTION_INTENTS,
    Request,
    SentenceGenerator,
)

LANGUAGES = ("en", "pl")
LOOSE_SIMILARITY = 0.5
THRESHOLDS = (DEFAULT_SIMILARITY, LOOSE_SIMILARITY)
# The guard is strict on purpose; this only catches it becoming useless.
MIN_HIT_RATE = 0.05


@dataclass(frozen=True, slots=True)
class Case:
    request: Request
    analysis: Analysis


def _generate(language: str) -> list[Request]:
    generator = SentenceGenerator(language)
    return list(generator.requests(COMMAND_INTENTS + QUESTION_INTENTS))


def _vocabulary(language: str) -> Vocabulary:
    home = HOMES[language]
    return Vocabulary(
        entities=build_names((device.name, device.entity_id) for device in home.devices),
        areas=build_names((name, area_id) for area_id, name in home.areas),
        floors=build_names((name, floor_id) for floor_id, name in home.floors),
    )


@pytest.fixture(scope="module")
def cases() -> dict[str, list[Case]]:
    """Every recognised sentence per language with the guard's analysis (two processes:
    hassil's recognizer is the slow part)."""
    # "spawn": forking a process that runs threads (the test database) may deadlock.
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        generated = dict(zip(LANGUAGES, pool.map(_generate, LANGUAGES), strict=True))
    result = {}
    for language, requests in generated.items():
        lexicon = build_lexicon(language, get_intents(language))
        vocabulary = _vocabulary(language)
        result[language] = [
            Case(request, analyze(request.text, lexicon, vocabulary)) for request in requests
        ]
    return result


@pytest.mark.parametrize("language", LANGUAGES)
def test_different_meanings_never_share_a_signature(
    cases: dict[str, list[Case]], language: str
) -> None:
    """All pairs: sentences HA reads differently (intent or any slot) have different
    signatures, unless neither would ever be cached (questions about the state)."""
    by_signature: defaultdict[str, set[tuple[Any, ...]]] = defaultdict(set)
    examples: defaultdict[str, list[str]] = defaultdict(list)
    for case in cases[language]:
        if case.analysis.live:
            continue
        key = repr(case.analysis.signature)
        by_signature[key].add(case.request.meaning)
        examples[key].append(case.request.text)
    collisions = {key: examples[key] for key, meanings in by_signature.items() if len(meanings) > 1}
    assert collisions == {}
    assert len(cases[language]) > 250


@pytest.mark.parametrize("language", LANGUAGES)
def test_questions_about_the_state_are_recognised(
    cases: dict[str, list[Case]], language: str
) -> None:
    questions = [case for case in cases[language] if case.request.is_question]
    live = [case for case in questions if case.analysis.live]
    not_live = [case.request.text for case in questions if not case.analysis.live]
    assert len(questions) > 80
    # Every question HA itself would answer about the state is kept away from the cache;
    # the rest (no HA name, no question word) may only match plans with identical words.
    assert len(live) / len(questions) > 0.95, not_live
    commands_live = [c for c in cases[language] if not c.request.is_question and c.analysis.live]
    assert len(commands_live) / len(cases[language]) < 0.05


async def _replay_through_the_sidecar(
    client: TestClient, cases: list[Case], language: str
) -> dict[float, dict[str, int]]:
    """The integration's protocol: the first sentence of each command meaning is stored as
    a plan; every other sentence is looked up at the loose threshold. A hit at similarity s
    is also a hit at every threshold ≤ s (the sidecar answers with the best candidate), so
    one pass gives the counts for both thresholds."""
    stored: dict[tuple[Any, ...], int] = {}
    meaning_of: dict[int, tuple[Any, ...]] = {}
    queries: list[Case] = []
    for case in cases:
        if case.analysis.live:
            continue  # never looked up, never stored
        meaning = case.request.meaning
        if case.request.is_question or meaning in stored:
            queries.append(case)
            continue
        answer = await client.post(
            "/cache/store",
            json={
                "query": case.request.text,
                "response": "done",
                "language": language,
                "scope": "area:kitchen",
                "kind": "plan",
                "signature": case.analysis.signature,
                "dependencies": list(case.analysis.dependencies),
            },
        )
        assert answer.status == 201, await answer.text()
        entry_id = (await answer.json())["id"]
        stored[meaning] = entry_id
        meaning_of[entry_id] = meaning
    counts = {
        threshold: {"lookups": 0, "hits": 0, "false_hits": 0, "expected": 0, "question_hits": 0}
        for threshold in THRESHOLDS
    }
    for case in queries:
        kinds = ["answer", "plan"] if case.analysis.answer_allowed else ["plan"]
        answer = await client.post(
            "/cache/lookup",
            json={
                "query": case.request.text,
                "language": language,
                "scope": "area:kitchen",
                "signature": case.analysis.signature,
                "kinds": kinds,
                "min_similarity": min(THRESHOLDS),
            },
        )
        found = await answer.json()
        for threshold, count in counts.items():
            count["lookups"] += 1
            count["expected"] += case.request.meaning in stored and not case.request.is_question
            if not found["hit"] or found["similarity"] < threshold:
                continue
            count["question_hits"] += case.request.is_question
            if meaning_of[found["entry"]["id"]] == case.request.meaning:
                count["hits"] += 1
            else:
                count["false_hits"] += 1
                print("FALSE HIT:", case.request.text, "->", found["entry"]["query_text"])
    return counts


@pytest.mark.parametrize("language", LANGUAGES)
async def test_paraphrases_hit_and_nothing_else_does(
    client: TestClient, cases: dict[str, list[Case]], language: str
) -> None:
    counts = await _replay_through_the_sidecar(client, cases[language], language)
    for threshold, count in counts.items():
        rate = count["hits"] / count["expected"]
        print(
            f"\ncache safety [{language}, similarity >= {threshold}]: {count['lookups']} lookups,"
            f" {count['hits']}/{count['expected']} paraphrases served ({rate:.1%}),"
            f" false hits {count['false_hits']}, questions served {count['question_hits']}"
        )
        assert count["false_hits"] == 0
        assert count["question_hits"] == 0
    # At the loose threshold only the guard decides: it must still let paraphrases through.
    loose = counts[LOOSE_SIMILARITY]
    assert loose["hits"] / loose["expected"] >= MIN_HIT_RATE
