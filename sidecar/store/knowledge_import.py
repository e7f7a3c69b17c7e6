"""Bulk import of memories: rows arrive in chunks and are inserted in one transaction.

Inserting into an HNSW index costs a graph search per row (2.2 ms at 100k × 384 on two
cores), while building the index afresh costs about 0.3 ms per row of the whole table
(bench/README.md, "Findings": the HNSW table and "Bulk import"). So once an import has
brought more than a seventh of the rows the table had, the index is dropped, every row goes
in without it, and the index is built again at the end, all in the import's transaction:
searches wait for the import (nothing is visible before the index is back), and a failed
import leaves the table and its index as they were. Until then rows wait in a staging
table, so a small import into a large table keeps the index and maintains it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from ..db.embedding_space import CREATE_INDEX, DROP_INDEX
from .knowledge import CREATE_STAGING, WRITABLE_COLUMNS

# Rebuild when imported rows × 7 exceed the rows already there: 2.5 ms per row inserted into
# the index against 0.3 ms per row for a build over the whole table.
REBUILD_RATIO = 7
# The graph of 100k × 384 half-precision vectors takes ~112 MB: built in memory it is fast,
# spilled to disk much slower. Set for the import's transaction only.
BUILD_MEMORY = "256MB"
# Statements of an import take as long as its size makes them (the index build at 100k rows:
# ~30 s), not the pool's 30 s command timeout; an hour bounds them still.
STATEMENT_TIMEOUT = 3600.0

CREATE_IMPORT_STAGING = CREATE_STAGING.format(table="knowledge_import")
SELECT_INDEX = "SELECT to_regclass('knowledge_embedding_hnsw') IS NOT NULL"
# The planner's row estimate: exact enough to choose, and free on a large table.
SELECT_ROW_ESTIMATE = (
    "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'knowledge'::regclass"
)
# In input order, so the first of a fact wins; a fact already stored (before the import, or
# earlier in it, even in the same statement) is a no-op, as in /memory/batch. DO NOTHING needs
# no DISTINCT ON first: 12.0 against 15.7 s for 100k rows.
INSERT_STAGED = f"""
WITH inserted AS (
    INSERT INTO knowledge ({", ".join(WRITABLE_COLUMNS)})
    SELECT {", ".join(WRITABLE_COLUMNS)} FROM knowledge_import ORDER BY ord
    ON CONFLICT ON CONSTRAINT knowledge_unique_fact DO NOTHING
    RETURNING embedding IS NULL AS pending
)
SELECT count(*) AS created, count(*) FILTER (WHERE pending) AS pending FROM inserted
"""
CLEAR_STAGING = "TRUNCATE knowledge_import"
SET_BUILD_MEMORY = f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"


@dataclass(slots=True)
class ImportResult:
    received: int = 0
    created: int = 0
    pending: int = 0
    index_rebuilt: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "created": self.created,
            "duplicates": self.received - self.created,
            "pending_embeddings": self.pending,
            "index_rebuilt": self.index_rebuilt,
        }


class MemoryImport:
    """One import on one connection, inside a transaction the caller holds."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._result = ImportResult()
        self._existing_rows = 0
        self._has_index = False

    async def start(self) -> None:
        await self._conn.execute(CREATE_IMPORT_STAGING)
        self._existing_rows = await self._conn.fetchval(SELECT_ROW_ESTIMATE)
        self._has_index = await self._conn.fetchval(SELECT_INDEX)

    async def add(self, rows: list[tuple[Any, ...]]) -> None:
        """Rows shaped like `NewMemory.row(...)`, in input order."""
        first = self._result.received
        self._result.received += len(rows)
        await self._conn.copy_records_to_table(
            "knowledge_import",
            records=[(first + offset, *row) for offset, row in enumerate(rows)],
            columns=("ord", *WRITABLE_COLUMNS),
            timeout=STATEMENT_TIMEOUT,
        )
        if self._has_index and self._result.received * REBUILD_RATIO > self._existing_rows:
            await self._conn.execute(DROP_INDEX.format(table="knowledge"))
            self._has_index = False
            self._result.index_rebuilt = True
        if not self._has_index:  # nothing to decide any more: insert as the rows arrive
            await self._insert_staged()

    async def finish(self) -> ImportResult:
        await self._insert_staged()
        if self._result.index_rebuilt:
            await self._conn.execute(SET_BUILD_MEMORY)
            await self._conn.execute(
                CREATE_INDEX.format(table="knowledge"), timeout=STATEMENT_TIMEOUT
            )
        return self._result

    async def _insert_staged(self) -> None:
        inserted = await self._conn.fetchrow(INSERT_STAGED, timeout=STATEMENT_TIMEOUT)
        await self._conn.execute(CLEAR_STAGING)
        self._result.created += inserted["created"]
        self._result.pending += inserted["pending"]
