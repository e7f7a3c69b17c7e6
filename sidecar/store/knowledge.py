"""Memories (the `knowledge` table): add with dedup, bulk add with COPY, search, CRUD."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from pgvector import HalfVector

from ..text import normalize, sha256
from .search_sql import SEARCH_MODES, build_search, run_search

MEMORY_COLUMNS = """
t.id, t.content, t.domain, t.source, t.tags, t.importance, t.metadata, t.scope, t.scope_id,
t.created_at, t.updated_at, t.expires_at,
CASE WHEN t.embedding IS NULL THEN 'pending' ELSE 'stored' END AS embedding_status
"""
WRITABLE_COLUMNS = (
    "content",
    "content_hash",
    "embedding",
    "domain",
    "source",
    "tags",
    "importance",
    "metadata",
    "scope",
    "scope_id",
    "expires_at",
)

# A duplicate is a no-op; an expired duplicate comes back to life with the new expiry.
INSERT_MEMORY = f"""
INSERT INTO knowledge ({", ".join(WRITABLE_COLUMNS)})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT ON CONSTRAINT knowledge_unique_fact DO UPDATE
    SET expires_at = EXCLUDED.expires_at, updated_at = now()
    WHERE knowledge.expires_at <= now()
RETURNING id, (xmax = 0) AS created, embedding IS NOT NULL AS embedded
"""
SELECT_BY_FACT = """
SELECT id, FALSE AS created, embedding IS NOT NULL AS embedded FROM knowledge
WHERE domain = $1 AND scope = $2 AND scope_id = $3 AND content_hash = $4
"""
# A temp table for rows on their way in (COPY lands there first): input order, then
# WRITABLE_COLUMNS with their types. Table names come from this package only.
CREATE_STAGING = """
CREATE TEMP TABLE {table} (
    ord BIGINT, content TEXT, content_hash BYTEA, embedding halfvec, domain TEXT, source TEXT,
    tags TEXT[], importance DOUBLE PRECISION, metadata JSONB, scope TEXT, scope_id TEXT,
    expires_at TIMESTAMPTZ
) ON COMMIT DROP
"""
CREATE_INCOMING = CREATE_STAGING.format(table="knowledge_incoming")
# Bulk add: COPY into a temp table, insert the first of each fact (in input order, so ids
# follow it), report per input row.
INSERT_INCOMING = f"""
WITH inserted AS (
    INSERT INTO knowledge ({", ".join(WRITABLE_COLUMNS)})
    SELECT {", ".join(WRITABLE_COLUMNS)} FROM (
        SELECT DISTINCT ON (domain, scope, scope_id, content_hash) *
        FROM knowledge_incoming ORDER BY domain, scope, scope_id, content_hash, ord
    ) first_of_each ORDER BY ord
    ON CONFLICT ON CONSTRAINT knowledge_unique_fact DO NOTHING
    RETURNING id, domain, scope, scope_id, content_hash
)
SELECT i.ord, coalesce(n.id, k.id) AS id,
       n.id IS NOT NULL AND i.ord = min(i.ord) OVER (
           PARTITION BY i.domain, i.scope, i.scope_id, i.content_hash) AS created
FROM knowledge_incoming i
LEFT JOIN inserted n USING (domain, scope, scope_id, content_hash)
LEFT JOIN knowledge k USING (domain, scope, scope_id, content_hash)
ORDER BY i.ord
"""
# A fact inserted by a concurrent batch is invisible to the statement above's snapshot (its
# ON CONFLICT waited for that batch to commit); a new statement sees it.
SELECT_INCOMING_IDS = """
SELECT i.ord, k.id FROM knowledge_incoming i
JOIN knowledge k USING (domain, scope, scope_id, content_hash)
"""
SELECT_MEMORY = f"SELECT {MEMORY_COLUMNS} FROM knowledge t WHERE t.id = $1"
DELETE_MEMORY = "DELETE FROM knowledge WHERE id = $1 RETURNING id"
LIST_MEMORIES = f"""
SELECT {MEMORY_COLUMNS} FROM knowledge t
WHERE ($1::text IS NULL OR t.domain = $1) AND ($2::text IS NULL OR t.scope = $2)
  AND ($3::text IS NULL OR t.scope_id = $3) AND ($4::text[] IS NULL OR t.tags @> $4)
  AND ($5::bigint IS NULL OR t.id < $5) AND (t.expires_at IS NULL OR t.expires_at > now())
ORDER BY t.id DESC LIMIT $6
"""
UPDATE_MEMORY = """
UPDATE knowledge SET
    content = coalesce($2, content),
    content_hash = coalesce($3, content_hash),
    -- new content needs a new vector: mark it pending for the backfill worker
    embedding = CASE WHEN $2::text IS NOT NULL AND $2 <> content THEN NULL ELSE embedding END,
    domain = coalesce($4, domain), source = coalesce($5, source), tags = coalesce($6, tags),
    importance = coalesce($7, importance), metadata = coalesce($8, metadata),
    scope = coalesce($9, scope), scope_id = coalesce($10, scope_id),
    expires_at = CASE WHEN $11::boolean THEN $12 ELSE expires_at END,
    updated_at = now()
WHERE id = $1
RETURNING id
"""

_FILTERS = """
    ($5::text IS NULL OR domain = $5) AND ($6::text[] IS NULL OR tags @> $6)
    AND ($7::text IS NULL OR scope = $7) AND ($8::text IS NULL OR scope_id = $8)
    AND ($9::timestamptz IS NULL OR created_at >= $9)
    AND ($10::timestamptz IS NULL OR created_at < $10)
    AND (expires_at IS NULL OR expires_at > now())"""
SEARCH = {
    mode: build_search("knowledge", MEMORY_COLUMNS, _FILTERS, "content", mode)
    for mode in SEARCH_MODES
}


@dataclass(frozen=True, slots=True)
class NewMemory:
    content: str
    domain: str = "default"
    source: str | None = None
    tags: list[str] | None = None
    importance: float = 0.5
    metadata: dict[str, Any] | None = None
    scope: str = "household"
    scope_id: str = ""
    expires_at: datetime | None = None

    def row(self, embedding: list[float] | HalfVector | None) -> tuple[Any, ...]:
        return (
            self.content,
            sha256(normalize(self.content)),
            embedding,
            self.domain,
            self.source,
            sorted(set(self.tags or [])),
            self.importance,
            self.metadata or {},
            self.scope,
            self.scope_id,
            self.expires_at,
        )


@dataclass(frozen=True, slots=True)
class SearchFilters:
    domain: str | None = None
    tags: list[str] | None = None
    scope: str | None = None
    scope_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def params(self) -> tuple[Any, ...]:
        return (self.domain, self.tags, self.scope, self.scope_id, self.since, self.until)


async def add_memory(
    pool: asyncpg.Pool, memory: NewMemory, embedding: list[float] | None
) -> asyncpg.Record:
    """Insert or find the same fact: a record with id, created, embedded."""
    row = memory.row(embedding)
    async with pool.acquire() as conn:
        record = await conn.fetchrow(INSERT_MEMORY, *row)
        if record is None:  # an existing, live duplicate
            record = await conn.fetchrow(
                SELECT_BY_FACT, memory.domain, memory.scope, memory.scope_id, row[1]
            )
    return record


async def add_memories(
    pool: asyncpg.Pool, memories: list[NewMemory], embeddings: list[list[float] | None]
) -> list[dict[str, Any]]:
    """Bulk add in one transaction: COPY, then one INSERT … SELECT; (ord, id, created) rows."""
    records = [
        (ord_, *memory.row(embedding))
        for ord_, (memory, embedding) in enumerate(zip(memories, embeddings, strict=True))
    ]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(CREATE_INCOMING)
        await conn.copy_records_to_table(
            "knowledge_incoming", records=records, columns=("ord", *WRITABLE_COLUMNS)
        )
        results = [dict(row) for row in await conn.fetch(INSERT_INCOMING)]
        if any(result["id"] is None for result in results):
            ids = dict(await conn.fetch(SELECT_INCOMING_IDS))
            for result in results:
                result["id"] = result["id"] or ids.get(result["ord"])
    return results


async def get_memory(pool: asyncpg.Pool, memory_id: int) -> asyncpg.Record | None:
    return await pool.fetchrow(SELECT_MEMORY, memory_id)


async def delete_memory(pool: asyncpg.Pool, memory_id: int) -> bool:
    return await pool.fetchval(DELETE_MEMORY, memory_id) is not None


async def update_memory(
    pool: asyncpg.Pool, memory_id: int, changes: dict[str, Any]
) -> asyncpg.Record | None:
    """Apply the given fields; a changed content re-hashes and re-embeds. None if missing."""
    content = changes.get("content")
    tags = changes.get("tags")
    params = (
        memory_id,
        content,
        sha256(normalize(content)) if content is not None else None,
        changes.get("domain"),
        changes.get("source"),
        sorted(set(tags)) if tags is not None else None,
        changes.get("importance"),
        changes.get("metadata"),
        changes.get("scope"),
        changes.get("scope_id"),
        "expires_at" in changes,
        changes.get("expires_at"),
    )
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval(UPDATE_MEMORY, *params) is None:
            return None
        return await conn.fetchrow(SELECT_MEMORY, memory_id)


async def list_memories(
    pool: asyncpg.Pool, filters: SearchFilters, before_id: int | None, limit: int
) -> list[asyncpg.Record]:
    return await pool.fetch(
        LIST_MEMORIES,
        filters.domain,
        filters.scope,
        filters.scope_id,
        filters.tags,
        before_id,
        limit,
    )


async def search_memories(
    pool: asyncpg.Pool,
    *,
    mode: str,
    query: str,
    vector: list[float] | None,
    filters: SearchFilters,
    limit: int,
    trigram: bool = False,
) -> list[asyncpg.Record]:
    """`mode` is hybrid, vector or lexical; lexical uses trigrams too when `trigram`."""
    return await run_search(
        pool,
        SEARCH,
        mode=mode,
        query=query,
        vector=vector,
        limit=limit,
        trigram=trigram,
        filter_params=filters.params(),
    )
