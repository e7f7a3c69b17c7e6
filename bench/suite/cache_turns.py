"""Response cache at 10k entries (store, exact and semantic lookups) and turn ingestion over
HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from ..config import Size
from ..data.extra import extra_memories
from . import cache_semantic
from .http_load import Call, Client, encode, run_load

TURNS_PER_REQUEST = 50
_RESPONSES = ("Done.", "Turned on the lights", "It is 21 degrees.", "Added to your list.")


def _utterances(size: Size, stream: str, count: int) -> list[str]:
    # Short, utterance-like: the first clause of fresh memories.
    texts = extra_memories(size.seed, stream, count, 8).contents
    return [text[:160] for text in texts]


def _with_hit_rate(summary: dict[str, Any], answers: list[Any]) -> dict[str, Any]:
    answers = [a for a in answers if a is not None]
    summary["hit_rate"] = round(sum(1 for a in answers if a.get("hit")) / max(len(answers), 1), 3)
    return summary


async def cache_benchmarks(
    client: Client, pool: asyncpg.Pool, size: Size, dim: int
) -> tuple[dict[str, Any], list[str]]:
    """(figures, the stored queries without a signature). The cache is filled first with
    cache_semantic.ENTRIES entries that have signatures and vectors, so every lookup below
    runs at that size; the sidecar needs CACHE_MAX_ENTRIES >= cache_semantic.CAPACITY.
    `pool` (direct SQL) vacuums after the fill and reads the semantic statement's plan."""
    signed, fill = await cache_semantic.fill(client, size, dim)
    semantic_plan = await cache_semantic.settle(pool, signed, dim, size.seed)
    stored = _utterances(size, "cache", size.cache_entries)
    store_calls = [
        Call(
            "POST",
            "/cache/store",
            encode({"query": q, "response": f"Answer {i}", "language": "en"}),
        )
        for i, q in enumerate(stored)
    ]
    store = await run_load(client, store_calls, concurrency=1, deadline_seconds=size.phase_seconds)

    def lookups(queries: list[str], count: int) -> list[Call]:
        return [
            Call(
                "POST",
                "/cache/lookup",
                encode({"query": queries[i % len(queries)], "language": "en"}),
            )
            for i in range(count)
        ]

    await run_load(client, lookups(stored, size.warmup), concurrency=1, deadline_seconds=60)
    misses = [f"{q} (never stored)" for q in stored]
    figures: dict[str, Any] = {"fill_with_vectors": fill, "store_c1": store.summary()}
    for label, queries, concurrency in (
        ("exact_hit_c1", stored, 1),
        ("exact_miss_c1", misses, 1),
        ("exact_hit_c8", stored, 8),
    ):
        result = await run_load(
            client,
            lookups(queries, size.cache_lookups),
            concurrency=concurrency,
            deadline_seconds=size.phase_seconds,
            keep_answers=True,
        )
        figures[label] = _with_hit_rate(result.summary(), result.answers)
    # What the integration sends: the same text and signature; the entry has a vector, so a
    # hit (which rewrites the row) also updates the entry's vector indexes.
    signed_hits = await run_load(
        client,
        cache_semantic.exact_calls(signed, size),
        concurrency=1,
        deadline_seconds=size.phase_seconds,
        keep_answers=True,
    )
    figures["exact_hit_signed_c1"] = _with_hit_rate(signed_hits.summary(), signed_hits.answers)
    figures.update(await cache_semantic.semantic_lookups(client, size, dim, signed))
    figures["semantic_plan"] = semantic_plan
    figures["entries"] = (await client.json("GET", "/cache/stats"))["entries"]
    return figures, stored


def _turn(text: str, index: int, run: str) -> dict[str, Any]:
    return {
        "turn_id": f"{run}-{index}",
        "conversation_id": f"{run}-conversation-{index // 6}",
        "content": text,
        "response": _RESPONSES[index % len(_RESPONSES)],
        "language": "en",
        "device_id": f"satellite-{index % 5}",
        "agent_id": "conversation.ollama",
        "latency_ms": 850.0 + index % 400,
        "interaction_type": "command",
    }


async def turn_benchmarks(client: Client, size: Size) -> dict[str, Any]:
    """Batched (TURNS_PER_REQUEST per request) and single-turn ingestion rates."""
    run = uuid.uuid4().hex[:8]
    texts = _utterances(size, "turns", size.turns + size.single_turns)
    turns = [_turn(text, i, run) for i, text in enumerate(texts)]
    batched = turns[: size.turns]
    batch_calls = [
        Call("POST", "/conversations/turns", encode({"turns": batched[i : i + TURNS_PER_REQUEST]}))
        for i in range(0, len(batched), TURNS_PER_REQUEST)
    ]
    result = await run_load(client, batch_calls, concurrency=1, deadline_seconds=size.phase_seconds)
    sent = min(len(batched), len(result.latencies) * TURNS_PER_REQUEST)
    figures: dict[str, Any] = {
        "batched": {
            "turns_per_request": TURNS_PER_REQUEST,
            "turns": sent,
            "turns_per_s": round(sent / result.wall, 1),
            "request": result.summary(),
        }
    }
    singles = turns[size.turns :]
    halves = {1: singles[: len(singles) // 2], 8: singles[len(singles) // 2 :]}
    for concurrency, part in halves.items():
        calls = [Call("POST", "/conversations/turns", encode({"turns": [t]})) for t in part]
        single = await run_load(
            client, calls, concurrency=concurrency, deadline_seconds=size.phase_seconds
        )
        summary = single.summary()
        summary["turns_per_s"] = round(len(single.latencies) / single.wall, 1)
        figures[f"single_c{concurrency}"] = summary
    return figures
