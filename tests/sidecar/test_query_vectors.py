"""A query is embedded once: concurrent and recent requests for the same text share a vector
(sidecar/embeddings/query_vectors.py)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient

from sidecar.embeddings import service as embeddings_service
from sidecar.embeddings.query_vectors import QueryVectors
from tests.support.embedding_server import EmbeddingServer

SIGNATURE = {"intent": "question", "slots": {}}


async def test_a_turns_recall_lookup_and_store_share_one_provider_call(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    """What a voice turn sends: recall and cache lookup at once, the store after the answer.
    The provider is slow (a model), so the lookup asks while the recall's call is in flight."""
    query = "when does the bakery open on sundays"
    embedding_server.delay = 0.3
    search, lookup = await asyncio.gather(
        client.get("/memory/search", params={"query": query}),
        client.post(
            "/cache/lookup", json={"query": query, "language": "en", "signature": SIGNATURE}
        ),
    )
    assert (await search.json())["mode"] == "hybrid"
    assert (await lookup.json())["semantic"] == "ok"  # compared by vector, not skipped
    stored = await client.post(
        "/cache/store",
        json={"query": query, "response": "At eight", "language": "en", "signature": SIGNATURE},
    )
    assert (await stored.json())["embedding_status"] == "stored"
    assert embedding_server.received.count(f"search_query: {query}") == 1
    # Said differently, it is another text: embedded on its own.
    await client.get("/memory/search", params={"query": f"{query}?"})
    assert embedding_server.received.count(f"search_query: {query}?") == 1


async def test_a_failed_call_is_not_kept(
    client: TestClient, embedding_server: EmbeddingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embeddings_service, "COOLDOWN_SECONDS", 0.0)
    query = "where did I park the bike"
    embedding_server.mode = "error"
    answer = await (await client.get("/memory/search", params={"query": query})).json()
    assert (answer["mode"], answer["degraded"]) == ("lexical", True)
    embedding_server.mode = "ok"
    answer = await (await client.get("/memory/search", params={"query": query})).json()
    assert (answer["mode"], answer["degraded"]) == ("hybrid", False)
    assert embedding_server.received.count(f"search_query: {query}") == 1  # the good answer


async def test_a_request_that_stops_waiting_leaves_the_call_to_the_others() -> None:
    vectors = QueryVectors()
    release, calls = asyncio.Event(), []

    async def embed() -> list[float]:
        calls.append(1)
        await release.wait()
        return [0.6, 0.8]

    impatient = asyncio.create_task(vectors.get("q", embed))
    patient = asyncio.create_task(vectors.get("q", embed))
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()
    assert await patient == [0.6, 0.8]
    assert impatient.cancelled()
    assert await vectors.get("q", embed) == [0.6, 0.8]  # kept
    assert len(calls) == 1


async def test_only_the_most_recent_queries_are_kept() -> None:
    vectors, calls = QueryVectors(size=2), []

    async def embed() -> list[float]:
        calls.append(1)
        return [1.0, 0.0]

    for key in ("a", "b", "a", "c", "a", "b"):
        await vectors.get(key, embed)
    # a, b asked; a kept; c asked (b dropped: least recent); a kept; b asked again.
    assert len(calls) == 4


async def test_close_cancels_calls_in_flight() -> None:
    vectors = QueryVectors()
    never = asyncio.Event()

    async def embed() -> list[float]:
        await never.wait()
        return [1.0]

    waiting = asyncio.create_task(vectors.get("q", embed))
    await asyncio.sleep(0)
    await vectors.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_kept_vector_serves_a_search_while_the_provider_is_down(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    query = "who feeds the cat on fridays"
    answer = await (await client.get("/memory/search", params={"query": query})).json()
    assert answer["mode"] == "hybrid"
    embedding_server.mode = "down"
    answer = await (await client.get("/memory/search", params={"query": query})).json()
    assert (answer["mode"], answer["degraded"]) == ("hybrid", False)
    answer = await (await client.get("/memory/search", params={"query": "a new question"})).json()
    assert (answer["mode"], answer["degraded"]) == ("lexical", True)
