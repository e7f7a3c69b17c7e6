"""Backup and restore round trip with the real CLI (`python -m sidecar backup|restore`).

A database filled through a running sidecar (memories with vectors, preferences, turns,
training data, feedback, cache) is dumped while the sidecar serves, restored into an empty
database, and compared table by table, row by row, sequences included; a sidecar on the copy
is the same instance and keeps working. Restoring over data needs --replace and a stopped
sidecar; a broken archive leaves the database as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.reliability.embedding_process import EmbeddingProcess
from tests.reliability.stack import AUTH, TOKEN
from tests.support.sidecar_process import REPO_ROOT, SidecarProcess

from .conftest import Postgres

TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
SEQUENCES = (
    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
)


@pytest.fixture(scope="module")
def provider() -> Iterator[EmbeddingProcess]:
    process = EmbeddingProcess(dimensions=16)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ai-memory-backup-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def target(postgres: Postgres) -> Iterator[str]:
    """An empty database to restore into."""
    name = postgres.create_database(template=None)
    yield postgres.uri(name)
    postgres.drop_database(name)


def _sidecar(workdir: Path, name: str, database_url: str, provider: EmbeddingProcess) -> Any:
    return SidecarProcess(
        workdir / name,
        database_url=database_url,
        token=TOKEN,
        env={"EMBEDDING_PROVIDER": "ollama", "EMBEDDING_URL": provider.url},
    )


def _cli(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sidecar", *args],
        cwd=REPO_ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": database_url,
            "AI_MEMORY_DATA_DIR": str(data_dir),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _snapshot(database_url: str) -> dict[str, list[str]]:
    """Every row of every table (as JSON text, sorted) and every sequence position."""
    conn = await asyncpg.connect(database_url)
    try:
        snapshot = {}
        for (table,) in await conn.fetch(TABLES):
            rows = await conn.fetch(f'SELECT to_jsonb(t)::text AS row FROM "{table}" t')
            snapshot[table] = sorted(row["row"] for row in rows)
        snapshot["(sequences)"] = [f"{n}={v}" for n, v in await conn.fetch(SEQUENCES)]
        return snapshot
    finally:
        await conn.close()


async def _fill(session: aiohttp.ClientSession, url: str) -> None:
    async def post(path: str, body: dict[str, Any]) -> Any:
        async with session.post(f"{url}{path}", json=body) as answer:
            assert answer.status in {200, 201}, await answer.text()
            return await answer.json()

    facts = [{"content": f"fact {n} about the garden"} for n in range(30)]
    await post("/memory/batch", {"items": facts})
    await post("/memory/add", {"content": "the spare key is in the shed", "tags": ["home"]})
    await post("/preferences/set", {"key": "entity_alias.lamp", "value": {"entity_id": "light.x"}})
    turns = [{"turn_id": f"t{n}", "content": f"turn {n}", "response": "ok"} for n in range(20)]
    await post("/conversations/turns", {"turns": turns})
    await post("/training/feedback", {"interaction_id": "t3", "score": 5})
    await post("/cache/store", {"query": "how warm is it", "response": "21 degrees"})
    deadline = time.monotonic() + 30  # until every vector is in: the dump holds them too
    while True:
        async with session.get(f"{url}/info") as answer:
            if (await answer.json())["embeddings"]["backlog"] == 0:
                return
        assert time.monotonic() < deadline
        await post("/memory/add", {"content": "nudge"})


async def test_backup_while_serving_restores_to_an_identical_database(
    database_url: str, target: str, provider: EmbeddingProcess, workdir: Path
) -> None:
    source = _sidecar(workdir, "source", database_url, provider)
    source.start()
    try:
        async with aiohttp.ClientSession(headers=AUTH) as session:
            await _fill(session, source.url)
            async with session.get(f"{source.url}/info") as answer:
                instance_id = (await answer.json())["instance_id"]
            before = await _snapshot(database_url)
            dump = workdir / "ai-memory.dump"
            made = _cli("backup", str(dump), database_url=database_url, data_dir=workdir)
            assert made.returncode == 0, made.stderr
    finally:
        source.stop()
    assert dump.stat().st_size > 0
    assert not (workdir / ".ai-memory.dump.partial").exists()

    restored = _cli("restore", str(dump), database_url=target, data_dir=workdir)
    assert restored.returncode == 0, restored.stderr
    assert await _snapshot(target) == before
    assert len(before["knowledge"]) >= 31
    assert all('"embedding": "[' in row for row in before["knowledge"])  # vectors included
    highest = max(int(row.split('"id": ')[1].split(",")[0]) for row in before["knowledge"])

    copy = _sidecar(workdir, "copy", target, provider)
    copy.start()
    try:
        async with aiohttp.ClientSession(headers=AUTH) as session:
            async with session.get(f"{copy.url}/info") as answer:
                assert (await answer.json())["instance_id"] == instance_id
            search = f"{copy.url}/memory/search"
            async with session.get(search, params={"query": "spare key"}) as answer:
                found = await answer.json()
            assert found["mode"] == "hybrid"
            assert found["results"][0]["content"] == "the spare key is in the shed"
            async with session.post(f"{copy.url}/memory/add", json={"content": "new"}) as answer:
                assert (await answer.json())["id"] > highest  # sequences were restored too
    finally:
        copy.stop()


async def test_restore_over_data_needs_replace_a_stopped_sidecar_and_a_good_archive(
    database_url: str, target: str, provider: EmbeddingProcess, workdir: Path
) -> None:
    source = _sidecar(workdir, "source", database_url, provider)
    source.start()
    try:
        async with aiohttp.ClientSession(headers=AUTH) as session:
            await _fill(session, source.url)
    finally:
        source.stop()
    dump = workdir / "good.dump"
    assert _cli("backup", str(dump), database_url=database_url, data_dir=workdir).returncode == 0
    wanted = await _snapshot(database_url)

    other = _sidecar(workdir, "other", target, provider)  # the target gets data of its own
    other.start()
    try:
        async with (
            aiohttp.ClientSession(headers=AUTH) as session,
            session.post(f"{other.url}/memory/add", json={"content": "mine"}) as answer,
        ):
            assert answer.status == 201
        current = await _snapshot(target)
        busy = _cli("restore", str(dump), "--replace", database_url=target, data_dir=workdir)
        assert busy.returncode == 2
        assert "stop the sidecar" in busy.stderr
    finally:
        other.stop()
    refused = _cli("restore", str(dump), database_url=target, data_dir=workdir)
    assert refused.returncode == 2
    assert "not empty" in refused.stderr
    assert await _snapshot(target) == current

    # Its table of contents is whole (it passes `pg_restore --list`), its data is not.
    broken = workdir / "broken.dump"
    broken.write_bytes(dump.read_bytes()[:-200])
    garbage = workdir / "garbage.dump"
    garbage.write_bytes(b"PGDMP not really")
    for bad in (broken, garbage, workdir / "missing.dump"):
        failed = _cli("restore", str(bad), "--replace", database_url=target, data_dir=workdir)
        assert failed.returncode == 2, failed.stdout
        assert await _snapshot(target) == current

    replaced = _cli("restore", str(dump), "--replace", database_url=target, data_dir=workdir)
    assert replaced.returncode == 0, replaced.stderr
    assert await _snapshot(target) == wanted
    # The contents replaced were saved first, by the failed attempt and by the good one.
    saved = list((workdir / "backups").glob("pre-restore-*.dump"))
    assert len(saved) == 2
