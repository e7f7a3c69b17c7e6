"""The embedding space: which model and dimension the stored vectors belong to.

Migrations declare embedding columns without a dimension. Once the sidecar knows the model's
dimension it fixes the column types and builds the HNSW indexes here. When the model or the
dimension changes, the old vectors are meaningless for new queries: they are cleared, the
columns retyped and every row becomes pending, so the backfill worker re-embeds in the
background while search falls back to full text. Nothing is dropped but vectors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

_LOGGER = logging.getLogger(__name__)

EMBEDDED_TABLES = ("knowledge", "conversations", "response_cache")
# Tables searched by nearest neighbour over all rows. The cache is not: a semantic lookup only
# compares entries with the same language, scope and slot signature (a btree finds those few),
# so an HNSW index there is never read, yet every hit (an UPDATE) had to insert into it:
# 1.7-1.9 ms of each cache hit (bench/README.md). Migration 0004 drops the old one.
HNSW_INDEXED_TABLES = ("knowledge", "conversations")
# Vectors are stored at half precision (migration 0005): a number from 65520 up rounds to
# infinity there, and one of 2^-25 or less to zero. Every vector is checked against these
# before it is written (sidecar/api/validation.py, sidecar/embeddings/service.py).
HALF_OVERFLOW = 65520.0
HALF_ZERO = 2.0**-25
SPACE_LOCK_KEY = 0x41494D4553  # "AIMES": serialises space changes between sidecars

SELECT_SPACE = "SELECT embedding_model, embedding_dimensions FROM instance"
UPDATE_SPACE = """
UPDATE instance SET embedding_model = $1, embedding_dimensions = $2, updated_at = now()
"""
# Table names come from EMBEDDED_TABLES and the dimension is an int: nothing user-supplied
# reaches these templates.
CLEAR_VECTORS = "UPDATE {table} SET embedding = NULL WHERE embedding IS NOT NULL"
DROP_INDEX = "DROP INDEX IF EXISTS {table}_embedding_hnsw"
# Half precision (migration 0005 says why): the index fits in shared buffers.
RETYPE_COLUMN = """
ALTER TABLE {table} ALTER COLUMN embedding TYPE halfvec({dimensions:d}),
                    ALTER COLUMN embedding SET STORAGE PLAIN
"""
CREATE_INDEX = """
CREATE INDEX IF NOT EXISTS {table}_embedding_hnsw ON {table}
    USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)
"""


@dataclass(frozen=True, slots=True)
class EmbeddingSpace:
    model: str | None
    dimensions: int | None


async def current_space(conn: asyncpg.Connection | asyncpg.Pool) -> EmbeddingSpace:
    row = await conn.fetchrow(SELECT_SPACE)
    return EmbeddingSpace(row["embedding_model"], row["embedding_dimensions"])


async def ensure_space(pool: asyncpg.Pool, model: str, dimensions: int) -> bool:
    """Make the schema hold `dimensions`-sized vectors of `model`; True if vectors were reset."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SPACE_LOCK_KEY)
        stored = await current_space(conn)
        if stored == EmbeddingSpace(model, dimensions):
            return False
        if stored.model is not None:
            _LOGGER.warning(
                "Embedding model changed from %s (%s-d) to %s (%s-d): re-embedding everything "
                "in the background; search uses full text until it is done",
                stored.model,
                stored.dimensions,
                model,
                dimensions,
            )
        for table in EMBEDDED_TABLES:
            await conn.execute(DROP_INDEX.format(table=table))
            await conn.execute(CLEAR_VECTORS.format(table=table))
            await conn.execute(RETYPE_COLUMN.format(table=table, dimensions=dimensions))
            if table in HNSW_INDEXED_TABLES:
                await conn.execute(CREATE_INDEX.format(table=table))
        await conn.execute(UPDATE_SPACE, model, dimensions)
    # Connections cache the column types of prepared statements; start them afresh.
    await pool.expire_connections()
    return True
