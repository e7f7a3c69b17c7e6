"""Migrations: applied once, checksummed, forward-only, atomic, safe against concurrent starts."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from sidecar.db.migrate import (
    MigrationError,
    default_migrations_dir,
    load_migrations,
    migrate,
    migration_status,
)

SHIPPED = load_migrations(default_migrations_dir())
ALL_APPLIED = [(migration.version, migration.name) for migration in SHIPPED]
NEXT_VERSION = f"{len(SHIPPED) + 1:04d}"


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    target = tmp_path / "migrations"
    shutil.copytree(default_migrations_dir(), target)
    return target


async def applied_versions(url: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
        return [(row["version"], row["name"]) for row in rows]
    finally:
        await conn.close()


async def test_first_run_applies_everything_and_a_rerun_is_a_no_op(empty_database_url: str) -> None:
    first = await migrate(empty_database_url)
    assert first.newly_applied == tuple(migration.file_name for migration in SHIPPED)
    again = await migrate(empty_database_url)
    assert again.newly_applied == ()
    assert await applied_versions(empty_database_url) == ALL_APPLIED


async def test_an_edited_applied_migration_is_refused(
    empty_database_url: str, migrations_copy: Path
) -> None:
    await migrate(empty_database_url, migrations_copy)
    first = migrations_copy / "0001_initial_schema.sql"
    first.write_text(first.read_text() + "\n-- a later edit\n")
    with pytest.raises(
        MigrationError, match=r"0001_initial_schema\.sql was edited after it was applied"
    ):
        await migrate(empty_database_url, migrations_copy)
    conn = await asyncpg.connect(empty_database_url)
    try:
        with pytest.raises(MigrationError, match="edited"):
            await migration_status(conn, load_migrations(migrations_copy))
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_behind(
    empty_database_url: str, migrations_copy: Path
) -> None:
    await migrate(empty_database_url, migrations_copy)
    (migrations_copy / f"{NEXT_VERSION}_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nSELECT no_such_function();\n"
    )
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await migrate(empty_database_url, migrations_copy)
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
    finally:
        await conn.close()
    assert await applied_versions(empty_database_url) == ALL_APPLIED


async def test_a_database_from_a_newer_sidecar_is_refused(
    empty_database_url: str, migrations_copy: Path
) -> None:
    newer = migrations_copy / f"{NEXT_VERSION}_newer.sql"
    newer.write_text("CREATE TABLE newer (id int);\n")
    await migrate(empty_database_url, migrations_copy)
    newer.unlink()
    with pytest.raises(MigrationError, match="written by a newer version"):
        await migrate(empty_database_url, migrations_copy)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["0001_a.sql", "0003_c.sql"], "expected version 0002"),
        (["0001_a.sql", "2_b.sql"], "NNNN_snake_name.sql"),
        (["0001_A-b.sql"], "NNNN_snake_name.sql"),
    ],
)
def test_badly_numbered_or_named_files_are_refused(
    tmp_path: Path, files: list[str], message: str
) -> None:
    for name in files:
        (tmp_path / name).write_text("SELECT 1;\n")
    with pytest.raises(MigrationError, match=message):
        load_migrations(tmp_path)


async def test_concurrent_starts_apply_migrations_once(empty_database_url: str) -> None:
    results = await asyncio.gather(*(migrate(empty_database_url) for _ in range(3)))
    assert sorted(len(result.newly_applied) for result in results) == [0, 0, len(SHIPPED)]
    assert await applied_versions(empty_database_url) == ALL_APPLIED


# What a sidecar before migration 0005 left behind for a 3-d model: 32-bit columns and indexes.
FULL_PRECISION_SPACE = """
UPDATE instance SET embedding_model = 'old-model', embedding_dimensions = 3;
ALTER TABLE knowledge ALTER COLUMN embedding TYPE vector(3);
ALTER TABLE conversations ALTER COLUMN embedding TYPE vector(3);
ALTER TABLE response_cache ALTER COLUMN embedding TYPE vector(3);
CREATE INDEX knowledge_embedding_hnsw ON knowledge USING hnsw (embedding vector_cosine_ops);
CREATE INDEX conversations_embedding_hnsw ON conversations USING hnsw (embedding vector_cosine_ops);
INSERT INTO knowledge (content, content_hash, embedding)
SELECT content, sha256(convert_to(content, 'UTF8')), embedding::vector FROM (VALUES
    ('near', '[0.6, 0.8, 0.0001]'), ('far', '[0, 0, 1]'), ('too large for half', '[70000, 0, 1]')
) AS rows (content, embedding);
"""


async def test_vectors_stored_at_full_precision_are_converted_to_half_precision(
    empty_database_url: str,
) -> None:
    before_half_precision = [migration for migration in SHIPPED if migration.version < 5]
    await migrate(empty_database_url, migrations=before_half_precision)
    conn = await asyncpg.connect(empty_database_url)
    try:
        await conn.execute(FULL_PRECISION_SPACE)
        await migrate(empty_database_url)

        columns = await conn.fetch(
            "SELECT attrelid::regclass::text AS table_name, format_type(atttypid, atttypmod) "
            "AS type, attstorage::text FROM pg_attribute WHERE attname = 'embedding' "
            "AND attrelid::regclass::text IN ('knowledge', 'conversations', 'response_cache')"
        )
        assert {(row["table_name"], row["type"], row["attstorage"]) for row in columns} == {
            ("knowledge", "halfvec(3)", "p"),
            ("conversations", "halfvec(3)", "p"),
            ("response_cache", "halfvec(3)", "p"),
        }
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%embedding_hnsw'"
        )
        assert {row["indexname"] for row in indexes} == {
            "knowledge_embedding_hnsw",
            "conversations_embedding_hnsw",
        }
        assert all("halfvec_cosine_ops" in row["indexdef"] for row in indexes)

        stored = {
            row["content"]: row["embedding"]
            for row in await conn.fetch("SELECT content, embedding::text FROM knowledge")
        }
        # Rounded to half precision; the vector that does not fit is pending again.
        assert stored == {
            "near": "[0.60009766,0.7998047,0.000100016594]",
            "far": "[0,0,1]",
            "too large for half": None,
        }
        async with conn.transaction():
            await conn.execute("SET LOCAL enable_seqscan = off")  # the index must answer
            nearest = await conn.fetchval(
                "SELECT content FROM knowledge ORDER BY embedding <=> '[0.5, 0.9, 0]'::halfvec "
                "LIMIT 1"
            )
        assert nearest == "near"
    finally:
        await conn.close()
