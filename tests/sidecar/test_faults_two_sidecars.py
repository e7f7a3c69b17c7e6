"""Two sidecar processes started at the same moment against one empty database.

Migrations (and the embedding space) are applied once under the advisory locks; both then
serve the same data: de-duplication of memories and turns, and the cache's shared hit/miss
counters, stay exact when requests race through both processes.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from sidecar.db.migrate import default_migrations_dir, load_migrations
from tests.reliability.embedding_process import EmbeddingProcess
from tests.reliability.stack import AUTH, TOKEN
from tests.support.sidecar_process import SidecarProcess

DIMENSIONS = 48


@pytest.fixture
def provider() -> Iterator[EmbeddingProcess]:
    process = EmbeddingProcess(dimensions=DIMENSIONS)
    process.start()
    yield process
    process.stop()


@pytest.fixture
async def pair(
    empty_database_url: str, provider: EmbeddingProcess
) -> AsyncIterator[list[SidecarProcess]]:
    base = Path(tempfile.mkdtemp(prefix="ai-memory-pair-"))
    env = {"EMBEDDING_PROVIDER": "ollama", "EMBEDDING_URL": provider.url}
    sidecars = [
        SidecarProcess(base / name, database_url=empty_database_url, env=env, token=TOKEN)
        for name in ("a", "b")
    ]
    try:
        await asyncio.gather(*(asyncio.to_thread(sidecar.start) for sidecar in sidecars))
        yield sidecars
    finally:
        for sidecar in sidecars:
            sidecar.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        headers=AUTH, timeout=aiohttp.ClientTimeout(total=30)
    ) as client:
        yield client


async def _call(
    session: aiohttp.ClientSession, sidecar: SidecarProcess, method: str, path: str, **kw: Any
) -> Any:
    async with session.request(method, f"{sidecar.url}{path}", **kw) as answer:
        assert answer.status in {200, 201}, await answer.text()
        return await answer.json()


async def test_migrations_apply_once_and_both_serve(
    pair: list[SidecarProcess], session: aiohttp.ClientSession, empty_database_url: str
) -> None:
    migrations = load_migrations(default_migrations_dir())
    logs = "\n".join(sidecar.log_tail(10_000) for sidecar in pair)
    for migration in migrations:
        assert logs.count(f"Applying migration {migration.file_name}") == 1
    conn = await asyncpg.connect(empty_database_url)
    try:
        applied = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        instance = await conn.fetch("SELECT instance_id::text, embedding_dimensions FROM instance")
    finally:
        await conn.close()
    assert [row["version"] for row in applied] == [m.version for m in migrations]
    assert [tuple(row) for row in instance] == [(instance[0][0], DIMENSIONS)]
    for sidecar in pair:
        ready = await _call(session, sidecar, "GET", "/readyz")
        assert ready["migrations"] == {"applied": len(migrations), "pending": 0}
        info = await _call(session, sidecar, "GET", "/info")
        assert info["instance_id"] == instance[0][0]
        assert info["embeddings"]["dimensions"] == DIMENSIONS


async def test_racing_duplicates_are_stored_once(
    pair: list[SidecarProcess], session: aiohttp.ClientSession, empty_database_url: str
) -> None:
    fact = f"the spare key is under the {uuid.uuid4().hex} pot"
    adds = await asyncio.gather(
        *(
            _call(session, pair[n % 2], "POST", "/memory/add", json={"content": fact})
            for n in range(16)
        )
    )
    assert sum(add["created"] for add in adds) == 1
    assert len({add["id"] for add in adds}) == 1

    items = [{"content": f"batch fact {n} {uuid.uuid4().hex}"} for n in range(50)]
    batches = await asyncio.gather(
        *(
            _call(session, pair[n % 2], "POST", "/memory/batch", json={"items": items})
            for n in range(6)
        )
    )
    assert sum(batch["created"] for batch in batches) == len(items)
    for position in range(len(items)):
        ids = {batch["results"][position]["id"] for batch in batches}
        assert len(ids) == 1
        assert None not in ids

    turns = [{"turn_id": f"race-{uuid.uuid4().hex}", "content": f"turn {n}"} for n in range(40)]
    ingested = await asyncio.gather(
        *(
            _call(session, pair[n % 2], "POST", "/conversations/turns", json={"turns": turns})
            for n in range(6)
        )
    )
    assert sum(answer["created"] for answer in ingested) == len(turns)
    for position in range(len(turns)):
        ids = {answer["results"][position]["id"] for answer in ingested}
        assert len(ids) == 1
        assert None not in ids

    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM knowledge WHERE content = $1", fact) == 1
        assert await conn.fetchval("SELECT count(*) FROM knowledge") == 1 + len(items)
        assert await conn.fetchval("SELECT count(*) FROM conversations") == len(turns)
    finally:
        await conn.close()


async def test_cache_counters_are_shared_and_exact(
    pair: list[SidecarProcess], session: aiohttp.ClientSession
) -> None:
    stored = {"query": "what is the wifi password", "response": "hunter2", "language": "en"}
    await _call(session, pair[0], "POST", "/cache/store", json=stored)
    hit = {"query": stored["query"], "language": "en"}
    lookups = [
        _call(session, sidecar, "POST", "/cache/lookup", json=hit)
        for _ in range(10)
        for sidecar in pair
    ] + [
        _call(session, sidecar, "POST", "/cache/lookup", json={"query": f"unknown {n}"})
        for n in range(5)
        for sidecar in pair
    ]
    answers = await asyncio.gather(*lookups)
    assert sum(answer["hit"] for answer in answers) == 20
    for sidecar in pair:
        stats = await _call(session, sidecar, "GET", "/cache/stats")
        assert (stats["entries"], stats["hits"], stats["misses"]) == (1, 20, 10)
    last = await _call(session, pair[1], "POST", "/cache/lookup", json=hit)
    assert last["entry"]["hit_count"] == 21
