"""The embedding provider misbehaves under a real sidecar process: slow beyond the timeout,
erroring, refusing, answering garbage, or suddenly answering with another dimension.

Writes still succeed at once (vectors pending), searches degrade to lexical and say so (API.md),
nothing corrupt is stored, and when the provider is back the backlog is embedded by itself.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import struct
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.reliability.embedding_process import EmbeddingProcess
from tests.reliability.stack import AUTH, TOKEN
from tests.support.embedding_server import embed_text
from tests.support.sidecar_process import SidecarProcess

from .conftest import Postgres

DIMENSIONS = 64
TIMEOUT_SECONDS = 1.0
# A write may wait for one provider timeout (plus the provider's retry backoff), never more.
WRITE_BUDGET = TIMEOUT_SECONDS + 2.0
# Stored vectors: the right dimension, finite, and what the model says for the text.
STORED_VECTORS = """
SELECT 'knowledge' AS tbl, id, content AS text, vector_dims(embedding) AS dims,
       embedding::text AS vector FROM knowledge
UNION ALL
SELECT 'conversations', id, content || coalesce(E'\\n' || response, ''),
       vector_dims(embedding), embedding::text FROM conversations
"""


@pytest.fixture(scope="module")
def provider() -> Iterator[EmbeddingProcess]:
    process = EmbeddingProcess(dimensions=DIMENSIONS)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def module_database(postgres: Postgres) -> Iterator[str]:
    name = postgres.create_database()
    yield postgres.uri(name)
    postgres.drop_database(name)


@pytest.fixture(scope="module")
def sidecar(module_database: str, provider: EmbeddingProcess) -> Iterator[SidecarProcess]:
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-embedding-faults-"))
    process = SidecarProcess(
        data_dir,
        database_url=module_database,
        token=TOKEN,
        env={
            "EMBEDDING_PROVIDER": "ollama",
            "EMBEDDING_URL": provider.url,
            "EMBEDDING_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        },
    )
    process.start()
    yield process
    process.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def api(sidecar: SidecarProcess, provider: EmbeddingProcess) -> Any:
    provider.control(mode="ok", dimensions=DIMENSIONS)
    async with aiohttp.ClientSession(
        base_url=sidecar.url, headers=AUTH, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        await _wait_embedded(session, DIMENSIONS)
        yield session
    provider.control(mode="ok", dimensions=DIMENSIONS)


async def _json(session: aiohttp.ClientSession, method: str, path: str, **kw: Any) -> Any:
    async with session.request(method, path, **kw) as answer:
        assert answer.status in {200, 201}, await answer.text()
        return await answer.json()


async def _timed(session: aiohttp.ClientSession, method: str, path: str, **kw: Any) -> Any:
    started = time.monotonic()
    answer = await _json(session, method, path, **kw)
    assert time.monotonic() - started < WRITE_BUDGET, f"{method} {path} waited too long"
    return answer


async def _wait_embedded(session: aiohttp.ClientSession, dimensions: int) -> None:
    """Until the provider is used again and no row waits for a vector (backfill is by itself)."""
    deadline = time.monotonic() + 30
    while True:
        embeddings = (await _json(session, "GET", "/info"))["embeddings"]
        ready = embeddings["available"] and embeddings["dimensions"] == dimensions
        if ready and embeddings["backlog"] == 0:
            return
        assert time.monotonic() < deadline, f"backlog never drained: {embeddings}"
        # Any write wakes the backfill worker; reading /info does not, so nudge it.
        await _json(session, "POST", "/memory/add", json={"content": "nudge", "domain": "nudge"})
        await asyncio.sleep(0.2)


def _similarity(search: dict[str, Any], memory_id: int) -> float | None:
    [result] = [result for result in search["results"] if result["id"] == memory_id]
    return result["similarity"]  # type: ignore[no-any-return]


async def _stored_vectors(database_url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(STORED_VECTORS)
    finally:
        await conn.close()


def _as_stored(vector: list[float]) -> list[float]:
    """The vector rounded to half precision, as the sidecar stores it (migration 0005)."""
    return list(struct.unpack(f"{len(vector)}e", struct.pack(f"{len(vector)}e", *vector)))


def _corrupt(rows: list[asyncpg.Record], dimensions: int) -> list[str]:
    """Vectors that are of another dimension, non-finite, or not the model's for the text."""
    problems = []
    for row in rows:
        if row["vector"] is None:
            continue
        values = [float(x) for x in row["vector"].strip("[]").split(",")]
        expected = _as_stored(embed_text(row["text"], dimensions))
        if row["dims"] != dimensions or not all(math.isfinite(x) for x in values):
            problems.append(f"{row['tbl']} {row['id']}: {row['dims']}-d or non-finite")
        elif max(abs(a - b) for a, b in zip(values, expected, strict=True)) > 1e-7:
            problems.append(f"{row['tbl']} {row['id']}: vector is not the model's for its text")
    return problems


async def _write_everything(api: aiohttp.ClientSession, tag: str) -> int:
    """A memory, a batch and a turn, each answered within one provider timeout; the id of
    the memory."""
    added = await _timed(
        api, "POST", "/memory/add", json={"content": f"the {tag} lamp is in the hall"}
    )
    batch = await _timed(
        api,
        "POST",
        "/memory/batch",
        json={"items": [{"content": f"{tag} fact {n}"} for n in range(3)]},
    )
    assert batch["created"] == 3
    turn = {"turn_id": tag, "content": f"where is the {tag} lamp", "response": "in the hall"}
    turns = await _timed(api, "POST", "/conversations/turns", json={"turns": [turn]})
    assert turns["created"] == 1
    return int(added["id"])


@pytest.mark.parametrize("mode", ["slow", "error", "down", "garbage"])
async def test_provider_failure_keeps_writes_and_degrades_search(
    api: aiohttp.ClientSession, provider: EmbeddingProcess, module_database: str, mode: str
) -> None:
    tag = f"fault{uuid.uuid4().hex[:8]}"
    provider.control(mode=mode)

    memory_id = await _write_everything(api, tag)
    memory = await _json(api, "GET", f"/memory/{memory_id}")
    assert memory["embedding_status"] == "pending"
    search = await _timed(api, "GET", "/memory/search", params={"query": f"{tag} lamp"})
    assert (search["mode"], search["degraded"]) == ("lexical", True)
    assert "embedding provider unavailable" in search["reason"]
    assert memory_id in [result["id"] for result in search["results"]]
    turn_search = await _timed(api, "GET", "/conversations/search", params={"query": tag})
    assert (turn_search["mode"], turn_search["degraded"]) == ("lexical", True)
    assert [turn["turn_id"] for turn in turn_search["results"]] == [tag]
    assert _corrupt(await _stored_vectors(module_database), DIMENSIONS) == []

    # The provider comes back: the backlog is embedded by itself, search is hybrid again.
    provider.control(mode="ok")
    await _wait_embedded(api, DIMENSIONS)
    search = await _json(api, "GET", "/memory/search", params={"query": f"{tag} lamp"})
    assert (search["mode"], search["degraded"]) == ("hybrid", False)
    assert _similarity(search, memory_id) is not None  # found through its vector too
    rows = await _stored_vectors(module_database)
    assert [row["id"] for row in rows if row["vector"] is None] == []
    assert _corrupt(rows, DIMENSIONS) == []


async def test_provider_answering_another_dimension_re_embeds_everything(
    api: aiohttp.ClientSession, provider: EmbeddingProcess, module_database: str
) -> None:
    """The model behind the name changed (its vectors are now half as long): a write whose
    vector does not fit is kept pending, never stored; the space is rebuilt in the background
    while searches keep answering."""
    tag = f"dims{uuid.uuid4().hex[:8]}"
    await _write_everything(api, "before" + tag)
    provider.control(dimensions=DIMENSIONS // 2)

    memory_id = await _write_everything(api, tag)
    for _ in range(5):  # searches answer throughout the rebuild (degraded or not)
        search = await _timed(api, "GET", "/memory/search", params={"query": f"{tag} lamp"})
        assert memory_id in [result["id"] for result in search["results"]]
        rows = await _stored_vectors(module_database)
        assert len({row["dims"] for row in rows if row["vector"] is not None}) <= 1

    await _wait_embedded(api, DIMENSIONS // 2)
    search = await _json(api, "GET", "/memory/search", params={"query": f"{tag} lamp"})
    assert (search["mode"], search["degraded"]) == ("hybrid", False)
    assert _similarity(search, memory_id) is not None  # found through its vector too
    rows = await _stored_vectors(module_database)
    assert [row["id"] for row in rows if row["vector"] is None] == []
    assert _corrupt(rows, DIMENSIONS // 2) == []
