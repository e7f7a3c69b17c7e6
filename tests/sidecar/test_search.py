"""Hybrid search: ranking, fallback when the provider is down, backfill, filters, filtered-k."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient

from sidecar.keys import POOL
from sidecar.store import knowledge, search_sql
from tests.support.embedding_server import EmbeddingServer

from .conftest import MakeClient, eventually

HOUSE_FACTS = [
    {"content": "The user prefers lights at 50% brightness in the evening", "tags": ["lighting"]},
    {"content": "The garage door code is kept in the kitchen drawer", "domain": "house"},
    {"content": "Anna waters the tomatoes every Sunday morning", "domain": "garden"},
    {"content": "The heating should stay at 21 degrees during the day", "tags": ["climate"]},
    {"content": "Bob is allergic to peanuts", "scope": "person", "scope_id": "bob"},
]


async def add_facts(client: TestClient) -> None:
    response = await client.post("/memory/batch", json={"items": HOUSE_FACTS})
    assert (await response.json())["created"] == len(HOUSE_FACTS)


async def test_seed_search_example_finds_the_lighting_preference(client: TestClient) -> None:
    await add_facts(client)
    response = await client.get("/memory/search?query=lighting%20preferences&limit=5")
    body = await response.json()
    assert body["mode"] == "hybrid"
    assert body["degraded"] is False
    assert body["results"][0]["content"].startswith("The user prefers lights")
    assert body["results"][0]["score"] > body["results"][1]["score"]
    assert 0 < body["results"][0]["similarity"] <= 1


async def test_search_falls_back_to_full_text_when_the_provider_is_down(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    await add_facts(client)
    embedding_server.mode = "down"
    body = await (await client.get("/memory/search", params={"query": "garage door"})).json()
    assert body["mode"] == "lexical"
    assert body["degraded"] is True
    assert "unavailable" in body["reason"]
    assert [r["content"] for r in body["results"]] == [
        "The garage door code is kept in the kitchen drawer"
    ]
    assert body["results"][0]["similarity"] is None


async def lexical_contents(client: TestClient, query: str) -> list[str]:
    body = await (await client.get("/memory/search", params={"query": query})).json()
    assert body["mode"] == "lexical"
    return [result["content"] for result in body["results"]]


async def test_full_text_wants_every_word_and_falls_back_to_any_word(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    await add_facts(client)
    embedding_server.mode = "down"  # the full-text leg alone
    # Every meaningful word, English-stemmed or as written: "doors" finds "door".
    assert await lexical_contents(client, "kitchen doors") == [
        "The garage door code is kept in the kitchen drawer"
    ]
    # No row has both words: rows with any of them, best first.
    assert set(await lexical_contents(client, "kitchen tomatoes")) == {
        "The garage door code is kept in the kitchen drawer",
        "Anna waters the tomatoes every Sunday morning",
    }
    # Stop words are not words to look for: "the" alone finds nothing instead of everything.
    assert await lexical_contents(client, "the") == []
    assert await lexical_contents(client, "is the heating on") == [
        "The heating should stay at 21 degrees during the day"
    ]


async def test_hybrid_full_text_leg_has_no_any_word_fallback(client: TestClient) -> None:
    """In hybrid search the vector leg gives recall; an any-word fallback there ranked every
    row with any word (the benchmark's p95 tail), so no row with all words means no rows."""
    await add_facts(client)
    pool = client.app[POOL]

    async def has_vectors() -> bool:
        return await pool.fetchval("SELECT count(*) FROM knowledge WHERE embedding IS NULL") == 0

    await eventually(has_vectors)
    vector = await pool.fetchval("SELECT embedding FROM knowledge WHERE content LIKE 'Bob%'")
    params = knowledge.SearchFilters().params()
    # One vector candidate; "kitchen" and "tomatoes" are in two other facts, never together.
    hybrid = await pool.fetch(
        knowledge.SEARCH["hybrid"], vector, 1, 10, "kitchen tomatoes", *params
    )
    assert [row["content"] for row in hybrid] == ["Bob is allergic to peanuts"]
    lexical = await pool.fetch(
        knowledge.SEARCH["lexical"], None, 1, 10, "kitchen tomatoes", *params
    )
    # Lexical search (its only leg) falls back to rows with any of the words.
    assert len(lexical) == 1
    assert lexical[0]["content"].startswith(("The garage door", "Anna waters"))


async def test_full_text_ranks_at_most_the_first_ranked_matches_rows(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    """The cost of a full-text leg is bounded: of the rows with the query's words it ranks the
    first RANKED_MATCHES in table order, so the best match beyond them is not ranked."""
    embedding_server.mode = "down"  # rows without vectors: the full-text leg alone
    cap = search_sql.RANKED_MATCHES
    items = [{"content": f"marmalade jar number {i}"} for i in range(cap + 50)]
    items.append({"content": "marmalade, marmalade and more marmalade"})
    assert (await client.post("/memory/batch", json={"items": items})).status == 200
    pool, params = client.app[POOL], knowledge.SearchFilters().params()

    async def ranked(statement: str) -> list[str]:
        rows = await pool.fetch(statement, None, 40, 10, "marmalade", *params)
        return [row["content"] for row in rows]

    found = await ranked(knowledge.SEARCH["lexical"])
    assert len(found) == 10
    assert all(content.startswith("marmalade jar number") for content in found)
    # The same statement without the bound ranks the best match first.
    unbounded = knowledge.SEARCH["lexical"].replace(f"LIMIT {cap}", "")
    assert (await ranked(unbounded))[0] == "marmalade, marmalade and more marmalade"


async def test_writes_succeed_while_the_provider_is_down_and_are_backfilled(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    embedding_server.mode = "down"
    created = await client.post("/memory/add", json={"content": "The dog is walked at 7 am"})
    assert created.status == 201
    memory_id = (await created.json())["id"]
    assert (await created.json())["embedding_status"] == "pending"
    info = await (await client.get("/info")).json()
    assert info["embeddings"]["available"] is False

    embedding_server.mode = "ok"  # the backfill worker re-probes and catches up by itself

    async def embedded() -> bool:
        memory = await (await client.get(f"/memory/{memory_id}")).json()
        return memory["embedding_status"] == "stored"

    await eventually(embedded)
    body = await (await client.get("/memory/search", params={"query": "walking the dog"})).json()
    assert body["mode"] == "hybrid"
    assert body["results"][0]["id"] == memory_id


async def test_filters_by_domain_tags_scope_and_time(client: TestClient) -> None:
    await add_facts(client)

    async def contents(**params: str) -> list[str]:
        body = await (
            await client.get("/memory/search", params={"query": "the", "limit": "10", **params})
        ).json()
        return [r["content"] for r in body["results"]]

    assert await contents(domain="garden") == ["Anna waters the tomatoes every Sunday morning"]
    assert await contents(tags="climate") == [
        "The heating should stay at 21 degrees during the day"
    ]
    assert await contents(scope="person", scope_id="bob") == ["Bob is allergic to peanuts"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await contents(since=future) == []
    assert len(await contents(until=future)) == len(HOUSE_FACTS)


async def test_min_similarity_drops_unrelated_vector_matches(client: TestClient) -> None:
    await add_facts(client)
    body = await (
        await client.get(
            "/memory/search", params={"query": "peanuts allergy", "min_similarity": "0.3"}
        )
    ).json()
    assert [r["content"] for r in body["results"]] == ["Bob is allergic to peanuts"]


async def test_search_with_a_client_vector_checks_its_dimension(client: TestClient) -> None:
    await add_facts(client)
    wrong = await client.post("/memory/search", json={"query": "x", "embedding": [0.1] * 12})
    assert wrong.status == 400
    assert "expected 384 dimensions" in (await wrong.json())["message"]


DIMS = 32


async def load_filtered_corpus(make_client: MakeClient) -> tuple[TestClient, list[float]]:
    """4,000 memories, 5% of them (domain and scope_id "rare") matching the filters."""
    client = await make_client(embedding_provider="none", embedding_dimensions=DIMS)
    rng = random.Random(7)

    def unit() -> list[float]:
        vector = [rng.gauss(0, 1) for _ in range(DIMS)]
        norm = sum(x * x for x in vector) ** 0.5
        return [x / norm for x in vector]

    for start in range(0, 4000, 1000):
        items = [
            {
                "content": f"memory {i}",
                "embedding": unit(),
                "scope": "person",
                **(
                    {"domain": "rare", "scope_id": "rare"}
                    if i % 20 == 0
                    else {"domain": "common", "scope_id": "common"}
                ),
            }
            for i in range(start, start + 1000)
        ]
        assert (await client.post("/memory/batch", json={"items": items})).status == 200
    await client.app[POOL].execute("ANALYZE knowledge")
    return client, unit()


@pytest.mark.parametrize("filters", [{"domain": "rare"}, {"scope": "person", "scope_id": "rare"}])
async def test_filtered_vector_search_returns_k_rows(
    make_client: MakeClient, filters: dict[str, str]
) -> None:
    client, query = await load_filtered_corpus(make_client)
    response = await client.post(
        "/memory/search",
        json={"query": "memory", "embedding": query, "mode": "vector", "limit": 10, **filters},
    )
    results = (await response.json())["results"]
    assert len(results) == 10
    assert {(r["domain"], r["scope_id"]) for r in results} == {("rare", "rare")}
    similarities = [r["similarity"] for r in results]
    assert similarities == sorted(similarities, reverse=True)


async def test_hnsw_plan_returns_k_filtered_rows_only_with_iterative_scans(
    make_client: MakeClient,
) -> None:
    """Force the plan a 100k-row table gets (HNSW, then the filter): with the pool's
    iterative scan the filtered search still returns 10 rows; without it, far fewer."""
    client, query = await load_filtered_corpus(make_client)
    filters = knowledge.SearchFilters(scope="person", scope_id="rare")
    params = (query, 40, 10, "", *filters.params())
    async with client.app[POOL].acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        plan = "\n".join(
            r[0] for r in await conn.fetch("EXPLAIN " + knowledge.SEARCH["vector"], *params)
        )
        assert "knowledge_embedding_hnsw" in plan, plan
        assert len(await conn.fetch(knowledge.SEARCH["vector"], *params)) == 10
        await conn.execute("SET LOCAL hnsw.iterative_scan = off")
        assert len(await conn.fetch(knowledge.SEARCH["vector"], *params)) < 10


async def test_every_pooled_connection_uses_iterative_hnsw_scans(client: TestClient) -> None:
    async with client.app[POOL].acquire() as conn:
        assert await conn.fetchval("SHOW hnsw.iterative_scan") == "relaxed_order"
        assert await conn.fetchval("SHOW hnsw.ef_search") == "100"
        # A generic plan of a prepared search cannot use the HNSW index (bench/README.md).
        assert await conn.fetchval("SHOW plan_cache_mode") == "force_custom_plan"
