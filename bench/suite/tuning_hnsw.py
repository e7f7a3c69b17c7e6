"""HNSW build parameters: the data set's vectors in a scratch table, indexed with each
(m, ef_construction), then searched at a few ef_search values. The sidecar's own index grows
row by row as memories arrive; a bulk build is what a migration or re-embedding would do."""

from __future__ import annotations

import time
from typing import Any

import asyncpg

from ..config import TOP_K, Size
from ..data.dataset import Dataset
from ..stats import latency_summary, recall_at_k
from .sql import direct_pool

SCRATCH = "bench_hnsw_scratch"
# Only values from this module reach the statements below (ints and a constant name).
CREATE_TABLE = f"CREATE TABLE {SCRATCH} (id BIGINT PRIMARY KEY, embedding vector({{dim:d}}))"
DDL_TIMEOUT = 3600.0  # the pool's command timeout (30 s) is for requests, not index builds
SEARCH = f"SELECT id FROM {SCRATCH} ORDER BY embedding <=> $1 LIMIT {TOP_K}"
BUILD_MEMORY = "1GB"  # the graph must fit, or pgvector builds on disk (much slower)
EF_VALUES = (40, 100, 200)


async def _search(conn: asyncpg.Connection, vectors: Any, truth: Any) -> dict[str, Any]:
    for vector in vectors[:10]:
        await conn.fetch(SEARCH, vector)
    latencies, found = [], []
    for vector in vectors:
        begin = time.perf_counter()
        rows = await conn.fetch(SEARCH, vector)
        latencies.append(time.perf_counter() - begin)
        found.append([row["id"] for row in rows])
    summary = latency_summary(latencies)
    return {
        "p50_ms": summary["p50_ms"],
        "p95_ms": summary["p95_ms"],
        "recall_at_10": recall_at_k(found, truth.tolist(), TOP_K),
    }


async def hnsw_builds(url: str, dataset: Dataset, dim: int, size: Size) -> dict[str, Any]:
    queries = dataset.queries["vector"]
    vectors, truth = queries.vectors[dim], queries.truth[dim]
    results: dict[str, Any] = {"maintenance_work_mem": BUILD_MEMORY}
    pool = await direct_pool(url)
    try:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
            await conn.execute(CREATE_TABLE.format(dim=dim))
            await conn.execute(f"ALTER TABLE {SCRATCH} ALTER COLUMN embedding SET STORAGE PLAIN")
            # The data set's rows, id = row index, straight from the vectors (no HTTP).
            await conn.copy_records_to_table(
                SCRATCH,
                records=((i, v) for i, v in enumerate(dataset.vectors[dim])),
                timeout=DDL_TIMEOUT,
            )
            await conn.execute(f"ANALYZE {SCRATCH}", timeout=DDL_TIMEOUT)
            await conn.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
            for m, ef_construction in size.hnsw_builds:
                name = f"{SCRATCH}_m{m}_ef{ef_construction}"
                begin = time.perf_counter()
                await conn.execute(
                    f"CREATE INDEX {name} ON {SCRATCH} USING hnsw (embedding vector_cosine_ops) "
                    f"WITH (m = {int(m)}, ef_construction = {int(ef_construction)})",
                    timeout=DDL_TIMEOUT,
                )
                build = time.perf_counter() - begin
                index_mb = await conn.fetchval(f"SELECT pg_relation_size('{name}')") / 1024 / 1024
                entry: dict[str, Any] = {"build_s": round(build, 1), "index_mb": round(index_mb, 1)}
                for ef in EF_VALUES:
                    await conn.execute(f"SET hnsw.ef_search = {int(ef)}")
                    entry[f"ef_search={ef}"] = await _search(conn, vectors, truth)
                results[f"m={m}, ef_construction={ef_construction}"] = entry
                await conn.execute(f"DROP INDEX {name}")
            await conn.execute(f"DROP TABLE {SCRATCH}", timeout=DDL_TIMEOUT)
            await conn.execute("RESET maintenance_work_mem")
            await conn.execute("RESET hnsw.ef_search")
    finally:
        await pool.close()
    return results
