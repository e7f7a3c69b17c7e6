"""Retention deletes exactly what its settings say, and nothing else.

`RETENTION_CONVERSATIONS_DAYS` removes turns said before the cutoff (their training examples
stay, detached); `RETENTION_TRAINING_DAYS` removes training examples, feedback and signals
older than its cutoff. Memories, preferences and the cache are never touched. The sweep runs by
itself in a real sidecar process.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from sidecar.keys import POOL, SETTINGS
from sidecar.retention import RetentionPolicy, prune
from tests.reliability.stack import AUTH, TOKEN
from tests.support.sidecar_process import SidecarProcess

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# Age in days of each turn (and of its training example and feedback).
AGES = {"ancient": 400, "old": 40, "edge-out": 30.01, "edge-in": 29.99, "recent": 1}


def _turn(name: str, days: float, now: datetime = NOW) -> dict[str, Any]:
    said = now - timedelta(days=days)
    return {
        "turn_id": name,
        "conversation_id": "c",
        "content": f"turn {name}",
        "response": f"answer {name}",
        "created_at": said.isoformat(),
    }


async def _populate(client: TestClient) -> asyncpg.Connection:
    """Turns of every age, each with feedback of the same age; old untouchable data."""
    turns = [_turn(name, days) for name, days in AGES.items()]
    assert (await client.post("/conversations/turns", json={"turns": turns})).status == 200
    for name in AGES:
        feedback = {"interaction_id": name, "score": 4}
        assert (await client.post("/training/feedback", json=feedback)).status == 201
    assert (await client.post("/memory/add", json={"content": "an old memory"})).status == 201
    await client.post("/preferences/set", json={"key": "old.pref", "value": 1})
    await client.post("/cache/store", json={"query": "old question", "response": "answer"})
    conn = await asyncpg.connect(client.app[SETTINGS].database_url)
    for name, days in AGES.items():
        await conn.execute(
            "UPDATE feedback SET created_at = $2 WHERE interaction_id = $1",
            name,
            NOW - timedelta(days=days),
        )
    ancient = NOW - timedelta(days=1000)
    for table in ("knowledge", "preferences", "response_cache"):
        await conn.execute(f"UPDATE {table} SET created_at = $1", ancient)
    return conn


async def _names(conn: asyncpg.Connection, sql: str) -> set[str]:
    return {row[0] for row in await conn.fetch(sql)}


async def _state(conn: asyncpg.Connection) -> tuple[set[str], set[str]]:
    turns = await _names(conn, "SELECT turn_id FROM conversations")
    return turns, await _names(conn, "SELECT input_text FROM training_data")


async def _untouched(conn: asyncpg.Connection) -> None:
    for table in ("knowledge", "preferences", "response_cache"):
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 1, table


async def test_conversation_retention_deletes_old_turns_and_keeps_training_data(
    client: TestClient,
) -> None:
    conn = await _populate(client)
    try:
        result = await prune(client.app[POOL], RetentionPolicy(conversation_days=30), now=NOW)

        assert result.deleted == {"conversations": 3}
        assert result.detached_training == 3
        turns = await _names(conn, "SELECT turn_id FROM conversations")
        assert turns == {"edge-in", "recent"}
        assert await conn.fetchval("SELECT count(*) FROM training_data") == len(AGES)
        attached = await _names(conn, "SELECT turn_id FROM training_data WHERE turn_id IS NOT NULL")
        assert attached == {"edge-in", "recent"}
        assert await conn.fetchval("SELECT count(*) FROM feedback") == len(AGES)
        await _untouched(conn)
        # Detached examples are still exported for fine-tuning.
        export = await client.get("/training/export", params={"mark_exported": "false"})
        assert len((await export.text()).splitlines()) == len(AGES)
        assert (await prune(client.app[POOL], RetentionPolicy(30), now=NOW)).total == 0
    finally:
        await conn.close()


async def test_training_retention_deletes_old_examples_and_feedback_only(
    client: TestClient,
) -> None:
    conn = await _populate(client)
    try:
        result = await prune(client.app[POOL], RetentionPolicy(training_days=30), now=NOW)

        assert result.deleted["training_data"] == 3
        assert result.deleted["feedback"] == 3
        assert result.detached_training == 0
        assert await _names(conn, "SELECT turn_id FROM training_data") == {"edge-in", "recent"}
        assert await _names(conn, "SELECT interaction_id FROM feedback") == {"edge-in", "recent"}
        assert await conn.fetchval("SELECT count(*) FROM conversations") == len(AGES)
        await _untouched(conn)
    finally:
        await conn.close()


async def test_nothing_is_deleted_by_default(client: TestClient) -> None:
    conn = await _populate(client)
    try:
        before = await conn.fetchval("SELECT count(*) FROM conversations")
        result = await prune(client.app[POOL], RetentionPolicy(), now=NOW + timedelta(days=9999))
        assert result.total == 0
        assert await conn.fetchval("SELECT count(*) FROM conversations") == before
    finally:
        await conn.close()


async def test_large_backlogs_are_deleted_in_batches(client: TestClient) -> None:
    for batch in range(5):
        turns = [_turn(f"bulk-{batch}-{n}", 90) for n in range(500)]
        assert (await client.post("/conversations/turns", json={"turns": turns})).status == 200
    recent = [_turn("keep", 1)]
    await client.post("/conversations/turns", json={"turns": recent})
    result = await prune(client.app[POOL], RetentionPolicy(conversation_days=30), now=NOW)
    assert result.deleted == {"conversations": 2500}
    conn = await asyncpg.connect(client.app[SETTINGS].database_url)
    try:
        assert await _names(conn, "SELECT turn_id FROM conversations") == {"keep"}
    finally:
        await conn.close()


@pytest.fixture
def retaining_sidecar(database_url: str) -> Iterator[SidecarProcess]:
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-retention-"))
    process = SidecarProcess(
        data_dir,
        database_url=database_url,
        token=TOKEN,
        env={
            "RETENTION_CONVERSATIONS_DAYS": "30",
            "RETENTION_TRAINING_DAYS": "60",
            "RETENTION_INTERVAL_SECONDS": "0.2",
        },
    )
    process.start()
    yield process
    process.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


async def test_the_sidecar_sweeps_by_itself(
    retaining_sidecar: SidecarProcess, database_url: str
) -> None:
    now = datetime.now(UTC)
    turns = [_turn(name, days, now) for name, days in (("100d", 100), ("45d", 45), ("1d", 1))]
    async with aiohttp.ClientSession(headers=AUTH) as session:
        async with session.post(
            f"{retaining_sidecar.url}/conversations/turns", json={"turns": turns}
        ) as answer:
            assert answer.status == 200
        conn = await asyncpg.connect(database_url)
        try:
            # 45 days: past conversation retention (30), within training retention (60).
            expected = ({"1d"}, {"turn 45d", "turn 1d"})
            deadline = time.monotonic() + 20
            while await _state(conn) != expected:
                assert time.monotonic() < deadline, f"not swept: {await _state(conn)}"
                await asyncio.sleep(0.1)
        finally:
            await conn.close()
    assert "Retention deleted" in retaining_sidecar.log_tail(200)
