"""Tuning experiments by direct SQL on the benchmark database (the sidecar is not changed):
ef_search, iterative scans, max_scan_tuples, plan cache mode, the statement cache, and the
response cache's commit mode. Each returns before/after figures for bench/README.md."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import numpy as np
from pgvector.asyncpg import register_vector

from sidecar.db.pool import SERVER_SETTINGS
from sidecar.store.knowledge import SEARCH

from ..config import TOP_K, Size
from ..data.dataset import Dataset
from ..stats import latency_summary, mean_rows, recall_at_k
from .sql import direct_pool, search_args, timed_search


def _args(dataset: Dataset, scenario: str, dim: int) -> list[tuple[Any, ...]]:
    queries = dataset.queries[scenario]
    return [
        search_args(queries.vectors[dim][i], queries.texts[i], queries.domain, TOP_K, "vector")
        for i in range(len(queries.texts))
    ]


def _figures(
    latency: dict[str, Any], found: list[list[int]], truth: np.ndarray, id_to_row: dict[int, int]
) -> dict[str, Any]:
    rows = [[id_to_row.get(i, -1) for i in ids] for ids in found]
    return {
        "p50_ms": latency["p50_ms"],
        "p95_ms": latency["p95_ms"],
        "recall_at_10": recall_at_k(rows, truth.tolist(), TOP_K),
        "mean_rows": mean_rows(rows),
    }


async def _sweep(
    conn: asyncpg.Connection,
    settings: list[tuple[str, str]],
    args: list[tuple[Any, ...]],
    truth: np.ndarray,
    id_to_row: dict[int, int],
) -> dict[str, Any]:
    """Run the vector search once per setting value (`SET name = value`), then reset them."""
    results = {}
    for name, value in settings:
        await conn.execute(f"SET {name} = {value}")
        latency, found = await timed_search(conn, "vector", args)
        results[f"{name}={value}"] = _figures(latency, found, truth, id_to_row)
        await conn.execute(f"RESET {name}")
    return results


async def search_tuning(
    url: str, dataset: Dataset, dim: int, size: Size, id_to_row: dict[int, int]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pool = await direct_pool(url)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SET hnsw.iterative_scan = relaxed_order")
            for scenario in ("vector", "filtered:devices"):
                truth = dataset.queries[scenario].truth[dim]
                out[f"ef_search ({scenario})"] = await _sweep(
                    conn,
                    [("hnsw.ef_search", str(ef)) for ef in size.ef_search],
                    _args(dataset, scenario, dim),
                    truth,
                    id_to_row,
                )
            for scenario in ("filtered:devices", "filtered:security"):
                truth = dataset.queries[scenario].truth[dim]
                out[f"iterative_scan ({scenario})"] = await _sweep(
                    conn,
                    [
                        ("hnsw.iterative_scan", mode)
                        for mode in ("off", "relaxed_order", "strict_order")
                    ],
                    _args(dataset, scenario, dim),
                    truth,
                    id_to_row,
                )
            truth = dataset.queries["filtered:security"].truth[dim]
            out["max_scan_tuples (filtered:security)"] = await _sweep(
                conn,
                [("hnsw.max_scan_tuples", str(n)) for n in (20000, 50000, 200000)],
                _args(dataset, "filtered:security", dim),
                truth,
                id_to_row,
            )
            for scenario in ("vector", "filtered:devices"):
                truth = dataset.queries[scenario].truth[dim]
                out[f"plan_cache_mode ({scenario})"] = await _sweep(
                    conn,
                    [
                        ("plan_cache_mode", mode)
                        for mode in ("auto", "force_custom_plan", "force_generic_plan")
                    ],
                    _args(dataset, scenario, dim),
                    truth,
                    id_to_row,
                )
    finally:
        await pool.close()
    out["statement cache (vector)"] = await statement_cache(url, dataset, dim, id_to_row)
    return out


async def statement_cache(
    url: str, dataset: Dataset, dim: int, id_to_row: dict[int, int]
) -> dict[str, Any]:
    """asyncpg's prepared-statement cache (the sidecar's default) against none at all."""
    results = {}
    truth = dataset.queries["vector"].truth[dim]
    args = _args(dataset, "vector", dim)
    for label, cache_size in (("statement cache (default)", 100), ("statement_cache_size=0", 0)):
        pool = await _plain_pool(url, statement_cache_size=cache_size)
        try:
            async with pool.acquire() as conn:
                latency, found = await timed_search(conn, "vector", args)
                results[label] = _figures(latency, found, truth, id_to_row)
        finally:
            await pool.close()
    return results


async def _plain_pool(url: str, **options: Any) -> asyncpg.Pool:
    """One connection with the sidecar's session settings and the given asyncpg options."""

    async def init(conn: asyncpg.Connection) -> None:
        await register_vector(conn)

    pool = await asyncpg.create_pool(
        url, min_size=1, max_size=1, init=init, server_settings=SERVER_SETTINGS, **options
    )
    assert pool is not None
    return pool


async def pool_reset(url: str, dataset: Dataset, dim: int) -> dict[str, Any]:
    """`pool.fetch` per query, as the sidecar does: with asyncpg's default reset on every
    release (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL: one more round trip), with the
    connection released as it is (the sidecar since sidecar/db/pool.py says so), and one
    connection held for the whole loop."""
    queries = dataset.queries["vector"]
    args = [
        search_args(queries.vectors[dim][i], queries.texts[i], None, TOP_K, "vector")
        for i in range(len(queries.texts))
    ]

    async def no_reset(conn: asyncpg.Connection) -> None:
        return None

    results: dict[str, Any] = {}
    for label, reset in (
        ("pool.fetch, default reset", None),
        ("pool.fetch, released as is (the sidecar)", no_reset),
    ):
        options: dict[str, Any] = {} if reset is None else {"reset": reset}
        pool = await asyncpg.create_pool(
            url,
            min_size=1,
            max_size=1,
            init=register_vector,
            server_settings=SERVER_SETTINGS,
            **options,
        )
        assert pool is not None
        try:
            for params in args[:10]:
                await pool.fetch(SEARCH["vector"], *params)
            latencies = []
            for params in args:
                begin = time.perf_counter()
                await pool.fetch(SEARCH["vector"], *params)
                latencies.append(time.perf_counter() - begin)
            summary = latency_summary(latencies)
            results[label] = {"p50_ms": summary["p50_ms"], "p95_ms": summary["p95_ms"]}
            if reset is None:
                async with pool.acquire() as conn:
                    latency, _ = await timed_search(conn, "vector", args)
                results["one held connection"] = {
                    "p50_ms": latency["p50_ms"],
                    "p95_ms": latency["p95_ms"],
                }
        finally:
            await pool.close()
    return results
