"""Embedding providers over their real HTTP APIs, dimension discovery, model changes, faults."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from sidecar.embeddings import service as embeddings_service
from sidecar.keys import SETTINGS
from tests.support.embedding_server import EmbeddingServer

from .conftest import MakeClient, eventually


async def all_embedded(client: TestClient) -> bool:
    listed = await (await client.get("/memory/list", params={"limit": 500})).json()
    return all(m["embedding_status"] == "stored" for m in listed["memories"])


async def stored_dimensions(client: TestClient) -> set[int]:
    conn = await asyncpg.connect(client.app[SETTINGS].database_url)
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT vector_dims(embedding) AS dims FROM knowledge "
            "WHERE embedding IS NOT NULL"
        )
        return {row["dims"] for row in rows}
    finally:
        await conn.close()


async def test_ollama_is_called_in_batches_with_nomic_prefixes(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    calls_before = embedding_server.calls
    items = [{"content": f"Fact {i}"} for i in range(70)]
    await client.post("/memory/batch", json={"items": items})
    assert embedding_server.calls - calls_before == 3  # 32 + 32 + 6
    assert "search_document: Fact 69" in embedding_server.received
    await client.get("/memory/search", params={"query": "fact"})
    assert embedding_server.received[-1] == "search_query: fact"


async def test_the_dimension_comes_from_the_model(
    make_client: MakeClient, embedding_server: EmbeddingServer
) -> None:
    embedding_server.model_dimensions["nomic-embed-text"] = 768
    client = await make_client(embedding_dimensions=384)  # a stale setting loses to the model
    info = await (await client.get("/info")).json()
    assert info["embeddings"]["dimensions"] == 768
    await client.post("/memory/add", json={"content": "The oven timer is in the kitchen"})
    assert await stored_dimensions(client) == {768}


async def test_openai_compatible_provider(
    make_client: MakeClient, embedding_server: EmbeddingServer
) -> None:
    client = await make_client(
        embedding_provider="openai",
        embedding_url=f"{embedding_server.url}/v1",
        embedding_model="text-embedding-3-small",
        embedding_api_key="sk-test",
    )
    created = await (await client.post("/memory/add", json={"content": "Anna likes tea"})).json()
    assert created["embedding_status"] == "stored"
    assert embedding_server.last_headers["Authorization"] == "Bearer sk-test"
    assert "Anna likes tea" in embedding_server.received  # no nomic prefixes for this model
    body = await (await client.get("/memory/search", params={"query": "tea"})).json()
    assert body["mode"] == "hybrid"
    assert body["results"][0]["id"] == created["id"]


async def test_a_model_change_re_embeds_everything_in_the_background(
    make_client: MakeClient, embedding_server: EmbeddingServer
) -> None:
    first = await make_client()
    items = [{"content": f"Household fact number {i}"} for i in range(20)]
    await first.post("/memory/batch", json={"items": items})
    assert await stored_dimensions(first) == {384}
    await first.close()

    embedding_server.model_dimensions["mxbai-embed-large"] = 256
    second = await make_client(embedding_model="mxbai-embed-large")
    info = await (await second.get("/info")).json()
    assert info["embeddings"] == {
        **info["embeddings"],
        "model": "mxbai-embed-large",
        "dimensions": 256,
    }
    await eventually(lambda: all_embedded(second))
    assert await stored_dimensions(second) == {256}
    listed = await (await second.get("/memory/list", params={"limit": 100})).json()
    assert len(listed["memories"]) == 20  # nothing but vectors was dropped
    body = await (await second.get("/memory/search", params={"query": "fact number 7"})).json()
    assert body["mode"] == "hybrid"
    assert body["results"][0]["content"] == "Household fact number 7"


async def test_a_provider_unreachable_at_start_is_picked_up_later(
    make_client: MakeClient, embedding_server: EmbeddingServer
) -> None:
    embedding_server.mode = "down"
    client = await make_client()
    info = await (await client.get("/info")).json()
    assert info["embeddings"]["available"] is False
    assert info["embeddings"]["dimensions"] is None
    created = await (
        await client.post("/memory/add", json={"content": "Keys are by the door"})
    ).json()
    assert created["embedding_status"] == "pending"
    embedding_server.mode = "ok"
    await eventually(lambda: all_embedded(client))
    assert await stored_dimensions(client) == {384}


async def test_status_says_unavailable_while_down_even_between_retries(
    client: TestClient, embedding_server: EmbeddingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a failure the embedder may be asked again once the cooldown has passed, but the
    provider is not back until it answers: /stats must not flap (HA times outages by it)."""
    monkeypatch.setattr(embeddings_service, "COOLDOWN_SECONDS", 0.05)
    embedding_server.mode = "down"
    created = await client.post("/memory/add", json={"content": "Milk is in the fridge"})
    assert (await created.json())["embedding_status"] == "pending"
    await asyncio.sleep(0.2)  # well past the cooldown
    status = (await (await client.get("/stats")).json())["embeddings"]
    assert status["available"] is False
    assert status["reason"]
    embedding_server.mode = "ok"
    await eventually(lambda: all_embedded(client))

    async def back() -> bool:
        return (await (await client.get("/stats")).json())["embeddings"]["available"] is True

    await eventually(back)


async def test_a_wrong_dimension_from_the_provider_is_never_stored(
    client: TestClient, embedding_server: EmbeddingServer
) -> None:
    await client.post("/memory/add", json={"content": "First fact"})
    embedding_server.default_dimensions = 256  # the model changed under the same name
    created = await (await client.post("/memory/add", json={"content": "Second fact"})).json()
    assert created["embedding_status"] == "pending"
    # The next probe notices the new dimension, re-creates the space and re-embeds both.
    await eventually(lambda: all_embedded(client))
    assert await stored_dimensions(client) == {256}


async def test_vectors_beyond_half_precision_are_never_stored(
    make_client: MakeClient, embedding_server: EmbeddingServer
) -> None:
    embedding_server.mode = "unscaled"  # numbers up to ~1e5: fine as 32-bit floats
    client = await make_client()
    created = await client.post("/memory/add", json={"content": "Numbers too large"})
    assert created.status == 201
    assert (await created.json())["embedding_status"] == "pending"
    info = await (await client.get("/info")).json()
    assert info["embeddings"]["available"] is False
    assert "beyond half precision" in info["embeddings"]["reason"]
    embedding_server.mode = "ok"
    await eventually(lambda: all_embedded(client))


async def test_garbage_errors_and_timeouts_leave_rows_pending(
    make_client: MakeClient, embedding_server: EmbeddingServer
) -> None:
    client = await make_client(embedding_timeout=0.3)
    for mode in ("garbage", "error", "slow"):
        embedding_server.mode = mode
        created = await client.post("/memory/add", json={"content": f"Written while {mode}"})
        assert created.status == 201
        assert (await created.json())["embedding_status"] == "pending"
        search = await (await client.get("/memory/search", params={"query": "written"})).json()
        assert search["degraded"] is True
    embedding_server.mode = "ok"
    await eventually(lambda: all_embedded(client))
    assert await stored_dimensions(client) == {384}
