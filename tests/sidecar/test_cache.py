"""Response cache (exact): normalised matching, isolation, TTL, size bound, stats, clear."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from sidecar.keys import POOL
from sidecar.store import cache

from .conftest import MakeClient, eventually


async def store(client: TestClient, query: str, response: str, **fields: Any) -> dict[str, Any]:
    answer = await client.post(
        "/cache/store", json={"query": query, "response": response, **fields}
    )
    assert answer.status == 201, await answer.text()
    return await answer.json()


async def lookup(client: TestClient, query: str, **fields: Any) -> dict[str, Any]:
    return await (await client.post("/cache/lookup", json={"query": query, **fields})).json()


async def test_exact_hit_ignores_case_spacing_and_punctuation(client: TestClient) -> None:
    await store(client, "What time is it?", "It is noon", language="en")
    hit = await lookup(client, "  what TIME is it ", language="en")
    assert hit["hit"] is True
    assert hit["match"] == "exact"
    assert hit["entry"]["response"] == "It is noon"
    assert hit["entry"]["hit_count"] == 1
    assert (await lookup(client, "what time is it now", language="en"))["hit"] is False


async def test_entries_never_cross_languages_or_scopes(client: TestClient) -> None:
    await store(client, "good morning", "Good morning!", language="en", scope="household")
    assert (await lookup(client, "good morning", language="pl", scope="household"))["hit"] is False
    assert (await lookup(client, "good morning", language="en", scope="area:bedroom"))[
        "hit"
    ] is False
    assert (await lookup(client, "good morning", language="EN", scope="household"))["hit"] is True


async def test_plans_keep_their_kind_and_metadata(client: TestClient) -> None:
    plan = {"tool_calls": [{"name": "HassTurnOn", "args": {"name": "kitchen light"}}]}
    await store(client, "turn on the kitchen light", "Turned on", kind="plan", metadata=plan)
    entry = (await lookup(client, "turn on the kitchen light"))["entry"]
    assert entry["kind"] == "plan"
    assert entry["metadata"] == plan


async def test_entries_expire_after_their_ttl(client: TestClient) -> None:
    await store(client, "tell me a joke", "Why did the light turn off?", ttl_seconds=1)
    assert (await lookup(client, "tell me a joke"))["hit"] is True
    await asyncio.sleep(1.1)
    assert (await lookup(client, "tell me a joke"))["hit"] is False
    stats = await (await client.get("/cache/stats")).json()
    assert stats["entries"] == 0
    assert stats["expired"] == 1
    cleared = await (await client.delete("/cache/clear")).json()
    assert cleared == {"deleted": 1, "cleared": "expired"}
    assert (await (await client.get("/cache/stats")).json())["expired"] == 0


async def test_size_bound_evicts_the_least_recently_used(make_client: MakeClient) -> None:
    client = await make_client(cache_max_entries=3)
    for question in ("one", "two", "three"):
        await store(client, question, question.upper())
    await lookup(client, "one")  # "two" is now the least recently used
    await store(client, "four", "FOUR")
    assert [(await lookup(client, q))["hit"] for q in ("one", "two", "three", "four")] == [
        True,
        False,
        True,
        True,
    ]
    assert (await (await client.get("/cache/stats")).json())["entries"] == 3


async def test_stats_count_hits_and_misses_and_clear_all_empties(client: TestClient) -> None:
    await store(client, "hello", "Hi")
    for query in ("hello", "hello", "bye"):
        await lookup(client, query)
    stats = await (await client.get("/cache/stats")).json()
    assert (stats["hits"], stats["misses"], stats["entries"]) == (2, 1, 1)
    assert stats["hit_rate"] == round(2 / 3, 4)
    assert stats["max_entries"] == 1000
    assert stats["ttl_seconds"] == 3600
    cleared = await (await client.delete("/cache/clear", params={"all": "true"})).json()
    assert cleared == {"deleted": 1, "cleared": "all"}
    assert (await lookup(client, "hello"))["hit"] is False


async def test_storing_again_replaces_the_answer(client: TestClient) -> None:
    await store(client, "who are you", "I am your assistant")
    await lookup(client, "who are you")
    await store(client, "who are you", "I am AI Memory")
    entry = (await lookup(client, "who are you"))["entry"]
    assert entry["response"] == "I am AI Memory"
    assert entry["hit_count"] == 1


async def test_lookups_commit_without_waiting_for_the_wal_flush_and_only_themselves(
    client: TestClient,
) -> None:
    """Hit counting must not cost a WAL flush per lookup (bench/README.md), and the relaxed
    commit must stay inside the lookup's own transaction: nothing else may lose durability."""
    entry = await store(client, "good night", "Sleep well", language="en")
    key = cache.cache_key("good night", "en", "")
    pool = client.app[POOL]
    async with pool.acquire() as conn:
        for statement, args in (
            (cache.EXACT_HIT, (key.query_hash, key.signature_hash, ["answer"], False)),
            (cache.EXACT_HIT, ("no such hash", None, ["answer"], True)),
            (cache.COUNT_MISS, ()),
        ):
            async with conn.transaction():
                await conn.execute(statement, *args)
                assert await conn.fetchval("SELECT current_setting('synchronous_commit')") == "off"
            assert await conn.fetchval("SELECT current_setting('synchronous_commit')") == "on"
        # An exact miss that a semantic step follows leaves the counting to that step.
        await conn.execute(cache.EXACT_HIT, "no such hash", None, ["answer"], False)
    stats = await (await client.get("/cache/stats")).json()
    assert (stats["hits"], stats["misses"]) == (1, 2)
    assert (await lookup(client, "good night", language="en"))["entry"]["id"] == entry["id"]


async def test_only_tables_searched_over_all_rows_carry_an_hnsw_index(client: TestClient) -> None:
    """The cache compares within a signature group (btree): an HNSW index there would only
    slow every hit down (migration 0004)."""
    query = "SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING hnsw%'"

    async def indexed() -> bool:
        return bool(await client.app[POOL].fetch(query))

    await eventually(indexed)  # the embedding space is set up while the sidecar starts
    tables = {row["tablename"] for row in await client.app[POOL].fetch(query)}
    assert tables == {"knowledge", "conversations"}


async def test_a_hit_is_a_heap_only_update(client: TestClient) -> None:
    """A hit changes hit_count and last_hit_at only: no index may cover them, or every hit
    adds an entry to each of the table's indexes and writes several times the WAL (migration
    0006). Exact and semantic hits both stay heap-only, and so does the counters row."""
    vector = [1.0] + [0.0] * 383
    await store(client, "good morning", "Morning!", language="en", signature={}, embedding=vector)
    key = cache.cache_key("good morning", "en", "", {})
    near = cache.cache_key("good morning to you", "en", "", {})
    async with client.app[POOL].acquire() as conn:
        for statement, args in (
            (cache.EXACT_HIT, (key.query_hash, key.signature_hash, ["answer"], True)),
            (cache.SEMANTIC_HIT, ("en", "", near.signature_hash, ["answer"], vector, 0.9)),
        ):
            # Counts of this backend's updates not yet reported (so: compared in one go).
            async with conn.transaction():
                before = await conn.fetch(UPDATES_NOT_YET_REPORTED)
                assert (await conn.fetchrow(statement, *args))["id"] is not None
                after = await conn.fetch(UPDATES_NOT_YET_REPORTED)
            changes = {
                row["relname"]: (row["updated"] - old["updated"], row["hot"] - old["hot"])
                for row, old in zip(after, before, strict=True)
            }
            assert changes == {"cache_counters": (1, 1), "response_cache": (1, 1)}


UPDATES_NOT_YET_REPORTED = """
SELECT relname, pg_stat_get_xact_tuples_updated(oid) AS updated,
       pg_stat_get_xact_tuples_hot_updated(oid) AS hot
FROM pg_class WHERE relname IN ('response_cache', 'cache_counters') ORDER BY relname
"""
