"""All sidecar figures for one vector dimension, on one fresh database."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import asyncpg

from ..config import TOP_K, Size
from ..data.dataset import Dataset
from ..data.extra import extra_memories
from .cache_semantic import CAPACITY
from .cache_turns import cache_benchmarks, turn_benchmarks
from .http_load import Client
from .ingest import (
    batch_bodies,
    bulk_import,
    bulk_load,
    database_ids,
    import_lines,
    single_adds,
)
from .memory_probe import MemoryProbe, steady_memory
from .progress import log
from .search import SCENARIOS, run_scenario
from .sidecar_run import RunningSidecar, running_sidecar, sidecar_env
from .sql import (
    database_facts,
    database_sizes,
    direct_pool,
    exact_hybrid,
    search_args,
    timed_search,
)

BULK_LOAD_SECONDS = 3600.0
VACUUM_TIMEOUT = 3600.0
# Rows written by the write benchmarks go before tuning: recall is against the data set.
DELETE_EXTRA = "DELETE FROM knowledge WHERE id > $1"


async def _in_database(
    conn: asyncpg.Connection, dataset: Dataset, dim: int, size: Size
) -> dict[str, Any]:
    """The same statements without HTTP: what the database itself takes."""
    figures = {}
    for scenario in SCENARIOS:
        queries = dataset.queries[scenario.queries]
        count = len(queries.texts)
        if scenario.mode == "hybrid":
            count = min(count, size.hybrid_queries)
        args = [
            search_args(
                queries.vectors[dim][i], queries.texts[i], queries.domain, TOP_K, scenario.mode
            )
            for i in range(count)
        ]
        latency, _ = await timed_search(conn, scenario.mode, args)
        figures[scenario.name] = {k: latency[k] for k in ("p50_ms", "p95_ms", "p99_ms")}
    return figures


async def _import_data_set(
    client: Client, pool: asyncpg.Pool, dataset: Dataset, dim: int
) -> tuple[dict[str, Any], list[int]]:
    """The data set by one bulk import; (figures, database id of every row in order)."""
    lines = import_lines(dataset.contents, dataset.domains, dataset.vectors[dim])
    log(f"  bulk import: {len(lines):,} lines")
    figures = await bulk_import(client, lines)
    log(f"  bulk import: {figures['rows_per_s']} rows/s")
    async with pool.acquire() as conn:
        ids = await database_ids(conn, dataset.contents, dataset.domains)
    return figures, ids


async def _measure(
    sidecar: RunningSidecar, dataset: Dataset, dim: int, size: Size
) -> tuple[dict[str, Any], dict[int, int], list[str]]:
    out: dict[str, Any] = {}
    client = Client(sidecar.url, sidecar.token)
    pool = None
    try:
        out["info"] = await client.json("GET", "/info")
        pool = await direct_pool(sidecar.database_url)
        out["ingest_import"], ids = await _import_data_set(client, pool, dataset, dim)
        id_to_row = {db_id: row for row, db_id in enumerate(ids)}
        async with pool.acquire() as conn:
            begin = time.perf_counter()
            await conn.execute("VACUUM ANALYZE knowledge", timeout=VACUUM_TIMEOUT)
            out["vacuum_analyze_s"] = round(time.perf_counter() - begin, 1)
            out["database"] = await database_facts(conn)
            out["database_size"] = await database_sizes(conn)
            queries = dataset.queries["vector"]
            hybrid_truth = await exact_hybrid(
                conn,
                [
                    search_args(queries.vectors[dim][i], queries.texts[i], None, TOP_K, "hybrid")
                    for i in range(min(size.hybrid_queries, len(queries.texts)))
                ],
                id_to_row,
            )
        search: dict[str, Any] = {}
        for scenario in SCENARIOS:
            if scenario.mode == "hybrid":
                truth: list[list[int]] | None = hybrid_truth
            else:
                truth = dataset.queries[scenario.queries].truth[dim].tolist()
            log(f"  search {scenario.name}")
            search[scenario.name] = await run_scenario(
                client, dataset, dim, size, scenario, id_to_row=id_to_row, truth=truth
            )
        out["search"] = search
        log("  search in the database (SQL only)")
        async with pool.acquire() as conn:
            out["search_in_database_c1"] = await _in_database(conn, dataset, dim, size)
        out["memory_after_search"] = steady_memory(sidecar.pid, sidecar.postmaster_pid)
        log("  batches into the loaded table, turns, single adds")
        extra = extra_memories(size.seed, f"batched-{dim}", size.batch_ingest_rows, dim)
        bodies = batch_bodies(extra.contents, extra.domains, extra.vectors)
        out["ingest_batched"], _ = await bulk_load(client, bodies, BULK_LOAD_SECONDS)
        out["ingest_batched"]["table_rows_before"] = len(dataset.contents)
        log(f"  batched into the loaded table: {out['ingest_batched']['rows_per_s']} rows/s")
        out["turns"] = await turn_benchmarks(client, size)
        out["ingest_single"] = {f"c{c}": await single_adds(client, size, dim, c) for c in (1, 8)}
        async with pool.acquire() as conn:
            out["database_size_end"] = await database_sizes(conn)
        # Last, after the disk figure (compared with the peers, who hold no cache): 10k cache
        # entries with vectors, then exact and semantic lookups at that size.
        log("  cache: fill with vectors, exact and semantic lookups")
        out["cache"], cached_queries = await cache_benchmarks(client, pool, size, dim)
        async with pool.acquire() as conn:
            await conn.execute(DELETE_EXTRA, max(ids))
            # Vacuuming the HNSW index repairs the graph around each deleted row: minutes, not
            # the pool's 30 s command timeout.
            await conn.execute("VACUUM ANALYZE knowledge", timeout=VACUUM_TIMEOUT)
    finally:
        if pool is not None:
            await pool.close()
        await client.close()
    return out, id_to_row, cached_queries


async def sidecar_benchmarks(
    work_dir: Path, dataset: Dataset, dim: int, size: Size
) -> tuple[dict[str, Any], dict[int, int], list[str], Path]:
    """(figures, database id -> row, cached queries, data dir) — the sidecar is stopped after,
    its data dir kept for the tuning experiments."""
    data_dir = work_dir / f"sidecar-{dim}"
    env = sidecar_env(dim, CACHE_MAX_ENTRIES=str(CAPACITY))
    with running_sidecar(data_dir, env) as sidecar:
        with MemoryProbe(sidecar.pid, sidecar.postmaster_pid) as probe:
            figures, id_to_row, cached = await _measure(sidecar, dataset, dim, size)
        figures["memory_peak"] = probe.peaks.as_dict()
    return figures, id_to_row, cached, data_dir
