"""Semantic cache lookup at 10k entries, vectors passed in (no embedding provider on the clock).

Entries are the data set's utterances (bench/data: what people say to Assist, preference
questions, integration look-ups, in its three languages), each with a slot signature
`{"intent": <family>, "numbers": [<numbers said>]}` — what the HA integration's signature
guards, minus entity ids — and a clustered vector from the same generator. A lookup draws an
entry at random (so common intents, whose signature groups are large, are asked most) and
sends a text that misses the exact step with:
  * hit:  the entry's vector moved a little (cosine ≈ 0.97 ≥ the 0.9 threshold), and
  * miss: a fresh vector of the entry's own topic (cosine ≈ 0.6, a paraphrase too far off),
so each request runs the exact step, then the semantic statement over its signature's group.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import asyncpg
import numpy as np
import orjson

from sidecar.store.cache import SEMANTIC_HIT, cache_key
from sidecar.text import normalize_utterance

from ..config import Size
from ..data.memories import Memory, generate
from ..data.vectors import clustered_vectors
from .http_load import Call, Client, encode, run_load

ENTRIES = 10_000  # the target is stated at 10k entries, whatever the data set size
# CACHE_MAX_ENTRIES for the benchmark's sidecar: room for these and the exact-lookup entries,
# so nothing is evicted while measuring.
CAPACITY = 2 * ENTRIES
LOAD_CONCURRENCY = 8
LOAD_SECONDS = 1800.0
# |noise| relative to the unit vector: cosine ≈ 1 / sqrt(1 + NOISE²) ≈ 0.97.
NOISE = 0.25
_NUMBER = re.compile(r"\d+")
# Words that make the lookup's text differ from the stored one (the exact step misses).
_HIT_PREFIX = {"en": "please", "pl": "proszę", "de": "bitte"}
_MISS_PREFIX = {"en": "hey", "pl": "hej", "de": "hallo"}
_STREAM = "cache-semantic"


def signature(memory: Memory) -> dict[str, Any]:
    return {"intent": memory.family, "numbers": _NUMBER.findall(memory.query)}


def entries(seed: int, count: int) -> list[Memory]:
    """`count` utterances, unique per language after normalisation (the cache's key)."""
    offset = int.from_bytes(_STREAM.encode()[:6].ljust(6, b"\0"), "little")
    seen: set[tuple[str, str]] = set()
    out: list[Memory] = []
    for memory in generate(seed + offset):
        key = (memory.language, normalize_utterance(memory.query))
        if key[1] and key not in seen:
            seen.add(key)
            out.append(memory)
        if len(out) == count:
            return out
    raise AssertionError("the generator is endless")


def _vectors(memories: list[Memory], dim: int, seed: int, stream: str) -> np.ndarray:
    return clustered_vectors(
        [m.family for m in memories], [m.topic for m in memories], dim, seed, stream
    )


def _near(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(vectors.shape).astype(np.float32) * (
        NOISE / np.sqrt(vectors.shape[1])
    )
    moved = vectors + noise
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


def _group(memory: Memory) -> tuple[str, str, tuple[str, ...]]:
    """What decides an entry's signature group (the scope is the same for all)."""
    return memory.language, memory.family, tuple(signature(memory)["numbers"])


def _groups(memories: list[Memory], picked: np.ndarray) -> dict[str, Any]:
    """How many entries the semantic statement compares per lookup (its signature's group)."""
    sizes = Counter(_group(m) for m in memories)
    per_lookup = sorted(sizes[_group(memories[i])] for i in picked)
    return {
        "signatures": len(sizes),
        "entries_per_signature_median": int(np.median(list(sizes.values()))),
        "group_per_lookup_median": per_lookup[len(per_lookup) // 2],
        "group_per_lookup_p95": per_lookup[int(len(per_lookup) * 0.95)],
        "group_max": max(sizes.values()),
    }


def _calls(
    memories: list[Memory], picked: np.ndarray, vectors: np.ndarray, prefixes: dict[str, str]
) -> list[Call]:
    calls = []
    for row, index in enumerate(picked):
        memory = memories[index]
        body = {
            "query": f"{prefixes[memory.language]} {memory.query}",
            "language": memory.language,
            "signature": signature(memory),
            "embedding": vectors[row],
        }
        calls.append(Call("POST", "/cache/lookup", encode(body)))
    return calls


def _outcome(answers: list[Any]) -> dict[str, Any]:
    answers = [a for a in answers if a is not None]
    hits = [a for a in answers if a.get("hit")]
    semantic = [a for a in hits if a.get("match") == "semantic"]
    best = [a["best_similarity"] for a in answers if a.get("best_similarity") is not None]
    out: dict[str, Any] = {
        "hit_rate": round(len(hits) / max(len(answers), 1), 3),
        "semantic_hit_rate": round(len(semantic) / max(len(answers), 1), 3),
    }
    if semantic:
        out["hit_similarity_min"] = round(min(a["similarity"] for a in semantic), 3)
    if best:
        out["miss_best_similarity_median"] = round(float(np.median(best)), 3)
        out["miss_best_similarity_max"] = round(max(best), 3)
    return out


def exact_calls(memories: list[Memory], size: Size) -> list[Call]:
    """Exact lookups of stored entries as the integration sends them (text and signature)."""
    rng = np.random.default_rng([size.seed, 1])
    return [
        Call(
            "POST",
            "/cache/lookup",
            encode(
                {
                    "query": memories[index].query,
                    "language": memories[index].language,
                    "signature": signature(memories[index]),
                }
            ),
        )
        for index in rng.integers(0, len(memories), size.cache_lookups)
    ]


async def fill(client: Client, size: Size, dim: int) -> tuple[list[Memory], dict[str, Any]]:
    """Store ENTRIES entries with signatures and vectors; (the entries, load figures)."""
    memories = entries(size.seed, ENTRIES)
    vectors = _vectors(memories, dim, size.seed, _STREAM)
    calls = [
        Call(
            "POST",
            "/cache/store",
            encode(
                {
                    "query": memory.query,
                    "response": f"Answer {i}",
                    "language": memory.language,
                    "kind": "plan" if memory.family.startswith("intent:") else "answer",
                    "signature": signature(memory),
                    "embedding": vectors[i],
                }
            ),
        )
        for i, memory in enumerate(memories)
    ]
    result = await run_load(
        client, calls, concurrency=LOAD_CONCURRENCY, deadline_seconds=LOAD_SECONDS
    )
    summary = result.summary()
    summary["concurrency"] = LOAD_CONCURRENCY
    summary["entries_per_s"] = round(len(result.latencies) / result.wall, 1)
    return memories, summary


def _scans(node: dict[str, Any]) -> list[str]:
    """The plan's scans of response_cache, e.g. "Index Scan using idx_cache_match"."""
    found = []
    if node.get("Relation Name") == "response_cache" and "Scan" in node["Node Type"]:
        index = node.get("Index Name")
        found.append(node["Node Type"] + (f" using {index}" if index else ""))
    for child in node.get("Plans", []):
        found += _scans(child)
    return found


async def settle(pool: asyncpg.Pool, memories: list[Memory], dim: int, seed: int) -> dict[str, Any]:
    """VACUUM ANALYZE after the fill (what autovacuum does some time later: not during the
    timed phases), then the semantic statement's plan for the smallest and largest signature
    groups (EXPLAIN without ANALYZE: nothing is counted or written)."""
    vectors = _vectors(memories, dim, seed, _STREAM)
    groups = Counter(_group(m) for m in memories)
    ordered = sorted(range(len(memories)), key=lambda i: groups[_group(memories[i])])
    plans = {}
    async with pool.acquire() as conn:
        await conn.execute("VACUUM ANALYZE response_cache")
        for label, index in (("smallest group", ordered[0]), ("largest group", ordered[-1])):
            memory = memories[index]
            key = cache_key(memory.query, memory.language, "", signature(memory))
            args = (key.language, key.scope, key.signature_hash, ["answer", "plan"])
            [[plan]] = await conn.fetch(
                "EXPLAIN (FORMAT JSON) " + SEMANTIC_HIT, *args, vectors[index], 0.9
            )
            plans[label] = _scans(orjson.loads(plan)[0]["Plan"])
    return plans


async def semantic_lookups(
    client: Client, size: Size, dim: int, memories: list[Memory]
) -> dict[str, Any]:
    """Semantic hit and miss lookups at c=1 (after an exact miss), with sanity figures."""
    rng = np.random.default_rng([size.seed, dim])
    stored = _vectors(memories, dim, size.seed, _STREAM)
    count = size.cache_lookups
    picked = rng.integers(0, len(memories), size.warmup + 2 * count)
    warm, hit_rows, miss_rows = (
        picked[: size.warmup],
        picked[size.warmup : size.warmup + count],
        picked[size.warmup + count :],
    )
    topic_vectors = _vectors([memories[i] for i in miss_rows], dim, size.seed, f"{_STREAM}-miss")
    phases = {
        "semantic_hit_c1": _calls(memories, hit_rows, _near(stored[hit_rows], rng), _HIT_PREFIX),
        "semantic_miss_c1": _calls(memories, miss_rows, topic_vectors, _MISS_PREFIX),
    }
    warmup = _calls(memories, warm, _near(stored[warm], rng), _HIT_PREFIX)
    await run_load(client, warmup, concurrency=1, deadline_seconds=60)
    figures: dict[str, Any] = {"semantic_groups": _groups(memories, picked[size.warmup :])}
    for label, calls in phases.items():
        result = await run_load(
            client, calls, concurrency=1, deadline_seconds=size.phase_seconds, keep_answers=True
        )
        figures[label] = {**result.summary(), **_outcome(result.answers)}
    return figures
