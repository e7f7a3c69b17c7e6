"""Response cache (semantic): signature-guarded matching, threshold, kinds, invalidation,
false hits, eviction counting and the embedding provider going away."""

from __future__ import annotations

import math
import random
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from sidecar.keys import SETTINGS
from tests.support.embedding_server import EmbeddingServer

from .conftest import MakeClient, eventually, table_counts

ON_KITCHEN = {"v": 1, "slots": [["entity", "light.kitchen"], ["word", "turn"]]}
OFF_KITCHEN = {"v": 1, "slots": [["action", "off"], ["entity", "light.kitchen"], ["word", "turn"]]}
PLAN = {"tool_calls": [{"name": "HassTurnOn", "arguments": {"name": "Kitchen light"}}]}


async def store(client: TestClient, query: str, **fields: Any) -> dict[str, Any]:
    body = {"query": query, "response": "Done", "language": "en", "scope": "area:kitchen"}
    answer = await client.post("/cache/store", json={**body, **fields})
    assert answer.status == 201, await answer.text()
    return await answer.json()


async def lookup(client: TestClient, query: str, **fields: Any) -> dict[str, Any]:
    body = {"query": query, "language": "en", "scope": "area:kitchen"}
    answer = await client.post("/cache/lookup", json={**body, **fields})
    assert answer.status == 200, await answer.text()
    return await answer.json()


async def stats(client: TestClient) -> dict[str, Any]:
    return await (await client.get("/cache/stats")).json()


async def test_paraphrase_with_the_same_signature_is_a_semantic_hit(client: TestClient) -> None:
    stored = await store(
        client, "turn on the kitchen light", kind="plan", metadata=PLAN, signature=ON_KITCHEN
    )
    assert stored["embedding_status"] == "stored"
    hit = await lookup(
        client, "please turn on the kitchen light now", signature=ON_KITCHEN, min_similarity=0.6
    )
    assert hit["hit"] is True
    assert hit["match"] == "semantic"
    assert 0.6 <= hit["similarity"] < 1
    assert hit["entry"]["metadata"] == PLAN
    assert hit["entry"]["kind"] == "plan"
    assert hit["entry"]["signature"] == ON_KITCHEN
    assert hit["entry"]["hit_count"] == 1


async def test_a_different_signature_vetoes_any_similarity(client: TestClient) -> None:
    """ "turn off" scores close to "turn on"; the signature, not the threshold, keeps them apart."""
    await store(client, "turn on the kitchen light", kind="plan", signature=ON_KITCHEN)
    miss = await lookup(
        client, "turn off the kitchen light", signature=OFF_KITCHEN, min_similarity=0.0
    )
    assert miss == {"hit": False, "semantic": "ok", "best_similarity": None}
    # Even the exact text does not match under another signature (e.g. an alias moved).
    assert (await lookup(client, "turn on the kitchen light", signature=OFF_KITCHEN))[
        "hit"
    ] is False


async def test_threshold_is_enforced_and_reported(client: TestClient) -> None:
    await store(client, "turn on the kitchen light", kind="plan", signature=ON_KITCHEN)
    strict = await lookup(
        client, "kitchen light turn on please", signature=ON_KITCHEN, min_similarity=0.99
    )
    assert strict["hit"] is False
    assert 0.5 < strict["best_similarity"] < 0.99
    loose = await lookup(
        client, "kitchen light turn on please", signature=ON_KITCHEN, min_similarity=0.5
    )
    assert loose["hit"] is True
    assert loose["similarity"] == strict["best_similarity"]


async def test_without_a_signature_only_exact_matching_is_done(client: TestClient) -> None:
    await store(client, "tell me a joke", response="Knock knock")
    assert (await lookup(client, "Tell me a joke!"))["match"] == "exact"
    miss = await lookup(client, "tell me a joke please", min_similarity=0.0)
    assert miss == {"hit": False, "semantic": "skipped"}


async def test_kinds_restrict_what_may_answer(client: TestClient) -> None:
    await store(client, "tell me a joke", response="Knock knock", signature={"v": 1})
    assert (await lookup(client, "tell me a joke", signature={"v": 1}, kinds=["plan"]))[
        "hit"
    ] is False
    assert (await lookup(client, "tell me a joke", signature={"v": 1}, kinds=["answer"]))[
        "hit"
    ] is True


async def test_stats_count_exact_semantic_misses_and_false_hits(client: TestClient) -> None:
    first = await store(client, "turn on the kitchen light", kind="plan", signature=ON_KITCHEN)
    await store(client, "tell me a joke", response="Knock knock")
    await lookup(client, "turn on the kitchen light", signature=ON_KITCHEN)  # exact
    await lookup(client, "turn on the kitchen light please", signature=ON_KITCHEN)  # semantic
    await lookup(client, "turn off the kitchen light", signature=OFF_KITCHEN)  # miss
    await lookup(client, "what is love")  # miss
    invalidated = await client.post(
        "/cache/invalidate", json={"ids": [first["id"]], "false_hit": True}
    )
    assert await invalidated.json() == {"deleted": 1}
    counters = await stats(client)
    assert {key: counters[key] for key in ("hits", "exact_hits", "semantic_hits", "misses")} == {
        "hits": 2,
        "exact_hits": 1,
        "semantic_hits": 1,
        "misses": 2,
    }
    assert counters["false_hits"] == 1
    assert counters["false_hit_rate"] == 0.5
    assert counters["hit_rate"] == 0.5
    assert counters["invalidations"] == 1
    assert (counters["entries"], counters["answers"], counters["plans"]) == (1, 1, 0)
    assert counters["similarity_threshold"] == 0.9


async def test_invalidation_by_dependency_drops_only_entries_using_it(client: TestClient) -> None:
    await store(
        client,
        "turn on the kitchen light",
        kind="plan",
        signature=ON_KITCHEN,
        dependencies=["light.kitchen", "area:kitchen"],
    )
    await store(client, "turn on the hall light", kind="plan", dependencies=["light.hall"])
    await store(client, "turn on the moon lamp", kind="plan")
    await store(client, "turn on the moon lamps", kind="plan")
    answer = await client.post("/cache/invalidate", json={"dependencies": ["light.kitchen"]})
    assert await answer.json() == {"deleted": 1}
    assert (await lookup(client, "turn on the kitchen light", signature=ON_KITCHEN))["hit"] is False
    assert (await lookup(client, "turn on the hall light"))["hit"] is True
    # An alias that moved: drop what mentions it, as whole words.
    answer = await client.post("/cache/invalidate", json={"mentions": ["Moon  lamp!"]})
    assert await answer.json() == {"deleted": 1}
    assert (await lookup(client, "turn on the moon lamps"))["hit"] is True
    assert (await stats(client))["false_hits"] == 0


async def test_bad_cache_requests_are_refused(client: TestClient) -> None:
    for path, body in (
        ("/cache/invalidate", {}),
        ("/cache/invalidate", {"ids": ["x"]}),
        ("/cache/lookup", {"query": "x", "kinds": ["other"]}),
        ("/cache/lookup", {"query": "x", "signature": "on"}),
        ("/cache/lookup", {"query": "x", "min_similarity": 2}),
        ("/cache/store", {"query": "x", "response": "y", "dependencies": "light.x"}),
    ):
        answer = await client.post(path, json=body)
        assert answer.status == 400, (path, body)
        assert (await answer.json())["error"] == "invalid_request"


async def test_size_bound_counts_evictions(make_client: MakeClient) -> None:
    client = await make_client(cache_max_entries=2)
    for question in ("one", "two", "three", "four"):
        await store(client, question)
    counters = await stats(client)
    assert (counters["entries"], counters["evictions"]) == (2, 2)


async def test_provider_down_keeps_exact_matching_and_backfills_later(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    embedding_server.mode = "down"
    stored = await store(client, "turn on the kitchen light", kind="plan", signature=ON_KITCHEN)
    assert stored["embedding_status"] == "pending"
    assert (await lookup(client, "turn on the kitchen light", signature=ON_KITCHEN))[
        "match"
    ] == "exact"
    degraded = await lookup(client, "turn on the kitchen light please", signature=ON_KITCHEN)
    assert degraded == {"hit": False, "semantic": "unavailable"}

    embedding_server.mode = "ok"
    database = client.app[SETTINGS].database_url

    async def embedded() -> bool:
        conn = await asyncpg.connect(database)
        try:
            return await conn.fetchval(
                "SELECT embedding IS NOT NULL FROM response_cache WHERE id = $1", stored["id"]
            )
        finally:
            await conn.close()

    await eventually(embedded, within=45)
    hit = await lookup(client, "turn on the kitchen light please", signature=ON_KITCHEN)
    assert hit["match"] == "semantic"


# A client-computed vector ("embedding" on lookup and store) replaces the provider's.

DIMS = 384


def unit(seed: int) -> list[float]:
    rng = random.Random(seed)
    vector = [rng.gauss(0, 1) for _ in range(DIMS)]
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def near(vector: list[float], seed: int, noise: float = 0.2) -> list[float]:
    """`vector` moved a little: cosine ≈ 1 / sqrt(1 + noise²) (≈ 0.98 at 0.2)."""
    rng = random.Random(seed)
    moved = [x + rng.gauss(0, noise / math.sqrt(DIMS)) for x in vector]
    norm = math.sqrt(sum(x * x for x in moved))
    return [x / norm for x in moved]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_client_vector_gives_a_semantic_hit_without_a_provider(
    make_client: MakeClient,
) -> None:
    client = await make_client(embedding_provider="none", embedding_dimensions=DIMS)
    stored_vector = unit(1)
    stored = await store(
        client,
        "turn on the kitchen light",
        kind="plan",
        signature=ON_KITCHEN,
        embedding=stored_vector,
    )
    assert stored["embedding_status"] == "stored"
    # Other texts in the same signature are farther away.
    await store(client, "switch the kitchen light on", signature=ON_KITCHEN, embedding=unit(2))
    # Without a vector there is nothing to compare with.
    assert await lookup(client, "kitchen light on please", signature=ON_KITCHEN) == {
        "hit": False,
        "semantic": "unavailable",
    }
    query_vector = near(stored_vector, 3)
    hit = await lookup(
        client, "kitchen light on please", signature=ON_KITCHEN, embedding=query_vector
    )
    assert hit["hit"] is True
    assert hit["match"] == "semantic"
    assert hit["entry"]["id"] == stored["id"]
    assert math.isclose(hit["similarity"], cosine(stored_vector, query_vector), abs_tol=1e-5)
    # Below the threshold: a miss that reports how close the nearest entry was.
    far = await lookup(client, "kitchen light on please", signature=ON_KITCHEN, embedding=unit(4))
    assert far["hit"] is False
    assert far["semantic"] == "ok"
    assert far["best_similarity"] < 0.9
    # The exact step still comes first, whatever the vector.
    exact = await lookup(
        client, "Turn on the kitchen light!", signature=ON_KITCHEN, embedding=unit(5)
    )
    assert (exact["match"], exact["similarity"]) == ("exact", 1.0)
    counters = await stats(client)
    assert (counters["exact_hits"], counters["semantic_hits"], counters["misses"]) == (1, 1, 2)


async def test_client_vector_is_used_while_the_provider_is_down(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    embedding_server.mode = "down"
    before = embedding_server.texts
    stored_vector = unit(11)
    stored = await store(
        client,
        "turn on the kitchen light",
        kind="plan",
        signature=ON_KITCHEN,
        embedding=stored_vector,
    )
    assert stored["embedding_status"] == "stored"
    hit = await lookup(
        client,
        "please turn on the kitchen light",
        signature=ON_KITCHEN,
        embedding=near(stored_vector, 12),
    )
    assert (hit["hit"], hit["match"], hit["entry"]["id"]) == (True, "semantic", stored["id"])
    assert embedding_server.texts == before  # the provider was never asked


async def test_client_vector_never_crosses_a_signature(make_client: MakeClient) -> None:
    client = await make_client(embedding_provider="none", embedding_dimensions=DIMS)
    same = unit(21)
    await store(
        client, "turn on the kitchen light", kind="plan", signature=ON_KITCHEN, embedding=same
    )
    miss = await lookup(
        client,
        "turn off the kitchen light",
        signature=OFF_KITCHEN,
        embedding=same,
        min_similarity=0,
    )
    assert miss == {"hit": False, "semantic": "ok", "best_similarity": None}
    # Without a signature there is no semantic step at all, identical vector or not.
    assert await lookup(client, "turn on kitchen light", embedding=same, min_similarity=0) == {
        "hit": False,
        "semantic": "skipped",
    }


async def test_client_vector_of_the_wrong_dimension_is_refused_and_nothing_is_written(
    make_client: MakeClient,
) -> None:
    client = await make_client(embedding_provider="none", embedding_dimensions=DIMS)
    kept = await store(
        client, "turn on the kitchen light", signature=ON_KITCHEN, embedding=unit(31)
    )
    for path, body in (
        ("/cache/store", {"query": "turn on the hall light", "response": "Done"}),
        # Replacing an existing entry with a bad vector leaves the entry as it was.
        ("/cache/store", {"query": "turn on the kitchen light", "response": "Other"}),
        ("/cache/lookup", {"query": "turn on the kitchen light"}),
    ):
        answer = await client.post(
            path,
            json={
                **body,
                "language": "en",
                "scope": "area:kitchen",
                "signature": ON_KITCHEN,
                "embedding": [0.5] * 12,
            },
        )
        assert answer.status == 400, path
        error = await answer.json()
        assert error["error"] == "invalid_request"
        assert error["message"] == f"embedding: expected {DIMS} dimensions, got 12"
    counts = await table_counts(client)
    assert counts["response_cache"] == 1
    entry = await lookup(client, "turn on the kitchen light", signature=ON_KITCHEN)
    assert (entry["entry"]["id"], entry["entry"]["response"]) == (kept["id"], "Done")
    counters = await stats(client)
    assert (counters["hits"], counters["misses"]) == (1, 0)  # refused lookups count nothing


async def test_malformed_client_vectors_are_refused(make_client: MakeClient) -> None:
    client = await make_client(embedding_provider="none", embedding_dimensions=DIMS)
    for vector in ([0.0] * DIMS, "x", [], ["a"] * DIMS, [1e39] * DIMS):
        for path, body in (
            ("/cache/store", {"query": "q", "response": "r", "embedding": vector}),
            ("/cache/lookup", {"query": "q", "embedding": vector}),
        ):
            answer = await client.post(path, json=body)
            assert answer.status == 400, (path, vector)
    assert (await table_counts(client))["response_cache"] == 0


async def test_openapi_documents_the_client_vector(client: TestClient) -> None:
    document = await (await client.get("/openapi.json")).json()
    for path in ("/cache/lookup", "/cache/store"):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        field = body["schema"]["properties"]["embedding"]
        assert field["type"] == "array"
        assert field["items"] == {"type": "number"}
        assert "embedding" not in body["schema"].get("required", [])
