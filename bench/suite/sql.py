"""Direct SQL on the sidecar's own database: the statements and session settings the sidecar
uses (imported from sidecar/, never copied), timed without HTTP in between."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import asyncpg
import numpy as np

from sidecar.db.pool import create_pool
from sidecar.store.knowledge import SEARCH
from sidecar.store.search_sql import candidates

from ..stats import latency_summary


async def direct_pool(url: str) -> asyncpg.Pool:
    """A small pool with the sidecar's connection setup (codecs, ef_search, iterative scan)."""
    return await create_pool(url, min_size=1, max_size=2)


def search_args(
    vector: np.ndarray, query: str, domain: str | None, limit: int, mode: str
) -> tuple[Any, ...]:
    """The parameters sidecar/store/knowledge.search_memories passes for these inputs."""
    return (vector, candidates(mode, limit), limit, query, domain, None, None, None, None, None)


async def timed_search(
    conn: asyncpg.Connection,
    mode: str,
    args: Sequence[tuple[Any, ...]],
    *,
    warmup: int = 10,
) -> tuple[dict[str, Any], list[list[int]]]:
    """Run the sidecar's search statement once per argument tuple; (latency, ids per query)."""
    statement = SEARCH[mode]
    for params in args[:warmup]:
        await conn.fetch(statement, *params)
    latencies, found = [], []
    for params in args:
        begin = time.perf_counter()
        rows = await conn.fetch(statement, *params)
        latencies.append(time.perf_counter() - begin)
        found.append([row["id"] for row in rows])
    return latency_summary(latencies), found


async def exact_hybrid(
    conn: asyncpg.Connection, args: Sequence[tuple[Any, ...]], id_to_row: dict[int, int]
) -> list[list[int]]:
    """The hybrid answer with an exact vector leg (no index scans: HNSW off, full text exact)."""
    found = []
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_indexscan = off")
        for params in args:
            rows = await conn.fetch(SEARCH["hybrid"], *params)
            found.append([id_to_row.get(row["id"], -1) for row in rows])
    return found


async def database_facts(conn: asyncpg.Connection) -> dict[str, Any]:
    settings = await conn.fetch(
        "SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[])",
        [
            "shared_buffers",
            "work_mem",
            "maintenance_work_mem",
            "max_parallel_maintenance_workers",
            "synchronous_commit",
            "max_connections",
            "hnsw.ef_search",
            "hnsw.iterative_scan",
            "hnsw.max_scan_tuples",
        ],
    )
    return {
        "postgresql": await conn.fetchval("SHOW server_version"),
        "pgvector": await conn.fetchval(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ),
        "settings": {row["name"]: f"{row['setting']}{row['unit'] or ''}" for row in settings},
    }


async def database_sizes(conn: asyncpg.Connection) -> dict[str, float]:
    row = await conn.fetchrow(
        """
        SELECT pg_database_size(current_database()) AS database,
               pg_total_relation_size('knowledge') AS knowledge_total,
               pg_relation_size('knowledge_embedding_hnsw') AS hnsw_index
        """
    )
    return {f"{key}_mb": round(value / 1024 / 1024, 1) for key, value in row.items()}
