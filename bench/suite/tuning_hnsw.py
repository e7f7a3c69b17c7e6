"""HNSW build parameters: the data set's vectors in a scratch table of each stored type
(halfvec, as the sidecar keeps them, or 32-bit vector), indexed with each (m,
ef_construction), then searched at a few ef_search values; and the cost of inserting rows
one by one into the indexed table, as /memory/batch does. The sidecar's own index grows
row by row as memories arrive; a bulk build is what a migration or re-embedding would do."""

from __future__ import annotations

import time
from typing import Any

import asyncpg

from ..config import TOP_K, Size
from ..data.dataset import Dataset
from ..data.extra import Extra, extra_memories
from ..stats import latency_summary, recall_at_k
from .sql import direct_pool

# One table per stored type: asyncpg caches a prepared statement by its text, with the
# parameter types of the table it was first prepared for.
SCRATCH = "bench_hnsw_scratch_{kind}"
# Only values from this module reach the statements below (ints and a constant name).
VECTOR_TYPES = ("halfvec", "vector")
CREATE_TABLE = "CREATE TABLE {table} (id BIGINT PRIMARY KEY, embedding {kind}({dim:d}))"
DDL_TIMEOUT = 3600.0  # the pool's command timeout (30 s) is for requests, not index builds
SEARCH = f"SELECT id FROM {{table}} ORDER BY embedding <=> $1 LIMIT {TOP_K}"
INSERT = "INSERT INTO {table} VALUES ($1, $2)"
INSERTED_ROWS = 500
BUILD_MEMORY = "1GB"  # the graph must fit, or pgvector builds on disk (much slower)
EF_VALUES = (40, 100, 200)


async def _search(conn: asyncpg.Connection, table: str, vectors: Any, truth: Any) -> dict[str, Any]:
    statement = SEARCH.format(table=table)
    for vector in vectors[:10]:
        await conn.fetch(statement, vector)
    latencies, found = [], []
    for vector in vectors:
        begin = time.perf_counter()
        rows = await conn.fetch(statement, vector)
        latencies.append(time.perf_counter() - begin)
        found.append([row["id"] for row in rows])
    summary = latency_summary(latencies)
    return {
        "p50_ms": summary["p50_ms"],
        "p95_ms": summary["p95_ms"],
        "recall_at_10": recall_at_k(found, truth.tolist(), TOP_K),
    }


async def _insert_cost(conn: asyncpg.Connection, table: str, extra: Extra) -> float:
    """Milliseconds per row for INSERTED_ROWS single-row inserts in one transaction."""
    first = await conn.fetchval(f"SELECT max(id) + 1 FROM {table}")
    rows = [(first + i, vector) for i, vector in enumerate(extra.vectors)]
    begin = time.perf_counter()
    async with conn.transaction():
        await conn.executemany(INSERT.format(table=table), rows, timeout=DDL_TIMEOUT)
    elapsed = time.perf_counter() - begin
    await conn.execute(f"DELETE FROM {table} WHERE id >= $1", first)
    return round(elapsed * 1000 / len(rows), 2)


async def _load(
    conn: asyncpg.Connection, table: str, kind: str, dim: int, dataset: Dataset
) -> None:
    """The data set's rows, id = row index, straight from the vectors (no HTTP)."""
    await conn.execute(f"DROP TABLE IF EXISTS {table}")
    await conn.execute(CREATE_TABLE.format(table=table, kind=kind, dim=dim))
    await conn.execute(f"ALTER TABLE {table} ALTER COLUMN embedding SET STORAGE PLAIN")
    await conn.copy_records_to_table(
        table, records=enumerate(dataset.vectors[dim]), timeout=DDL_TIMEOUT
    )
    await conn.execute(f"ANALYZE {table}", timeout=DDL_TIMEOUT)


async def _build(
    conn: asyncpg.Connection, table: str, kind: str, m: int, ef_construction: int
) -> dict[str, Any]:
    name = f"{table}_m{m}_ef{ef_construction}"
    begin = time.perf_counter()
    await conn.execute(
        f"CREATE INDEX {name} ON {table} USING hnsw (embedding {kind}_cosine_ops)"
        f" WITH (m = {int(m)}, ef_construction = {int(ef_construction)})",
        timeout=DDL_TIMEOUT,
    )
    build = time.perf_counter() - begin
    return {
        "index": name,
        "build_s": round(build, 1),
        "index_mb": round(await conn.fetchval(f"SELECT pg_relation_size('{name}')") / 2**20, 1),
        "table_mb": round(await conn.fetchval(f"SELECT pg_relation_size('{table}')") / 2**20, 1),
    }


async def hnsw_builds(url: str, dataset: Dataset, dim: int, size: Size) -> dict[str, Any]:
    queries = dataset.queries["vector"]
    vectors, truth = queries.vectors[dim], queries.truth[dim]
    extra = extra_memories(size.seed, f"hnsw-insert-{dim}", INSERTED_ROWS, dim)
    results: dict[str, Any] = {"maintenance_work_mem": BUILD_MEMORY}
    pool = await direct_pool(url)
    try:
        async with pool.acquire() as conn:
            await conn.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
            for kind in VECTOR_TYPES:
                builds = [build for build in size.hnsw_builds if build[0] == kind]
                if not builds:
                    continue
                table = SCRATCH.format(kind=kind)
                await _load(conn, table, kind, dim, dataset)
                for _, m, ef_construction in builds:
                    entry = await _build(conn, table, kind, m, ef_construction)
                    for ef in EF_VALUES:
                        await conn.execute(f"SET hnsw.ef_search = {int(ef)}")
                        entry[f"ef_search={ef}"] = await _search(conn, table, vectors, truth)
                    entry["insert_ms_per_row"] = await _insert_cost(conn, table, extra)
                    results[f"{kind}, m={m}, ef_construction={ef_construction}"] = entry
                    await conn.execute(f"DROP INDEX {entry.pop('index')}")
                await conn.execute(f"DROP TABLE {table}", timeout=DDL_TIMEOUT)
            await conn.execute("RESET maintenance_work_mem")
            await conn.execute("RESET hnsw.ef_search")
    finally:
        await pool.close()
    return results
