"""Experiments that need the sidecar restarted with other settings on the same database:
asyncpg pool size (DB_POOL_MAX_SIZE) and batch size (MAX_BODY_BYTES raised)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg

from ..config import Size
from ..data.dataset import Dataset
from ..data.extra import extra_memories
from .http_load import Call, Client, encode, run_load
from .ingest import batch_bodies, bulk_load
from .search import search_calls
from .sidecar_run import running_sidecar, sidecar_env

BIG_BODY = str(64 * 1024 * 1024)


async def pool_sizes(data_dir: Path, dataset: Dataset, dim: int, size: Size) -> dict[str, Any]:
    """Concurrency-8 vector and hybrid search per pool size."""
    results: dict[str, Any] = {}
    queries = dataset.queries["vector"]
    for pool_size in size.pool_sizes:
        env = sidecar_env(dim, DB_POOL_MAX_SIZE=str(pool_size), DB_POOL_MIN_SIZE="1")
        with running_sidecar(data_dir, env) as sidecar:
            client = Client(sidecar.url, sidecar.token)
            try:
                entry: dict[str, Any] = {}
                for mode, count in (
                    ("vector", size.concurrent_requests),
                    ("hybrid", size.hybrid_concurrent),
                ):
                    warm = search_calls(queries, dim, mode, min(size.warmup * 2, count))
                    await run_load(client, warm, concurrency=8, deadline_seconds=60)
                    calls = search_calls(queries, dim, mode, count)
                    result = await run_load(
                        client, calls, concurrency=8, deadline_seconds=size.phase_seconds
                    )
                    summary = result.summary()
                    entry[f"{mode}_c8"] = {
                        key: summary[key]
                        for key in ("p50_ms", "p95_ms", "throughput_per_s", "errors")
                    }
                results[f"DB_POOL_MAX_SIZE={pool_size}"] = entry
            finally:
                await client.close()
    return results


async def batch_sizes(data_dir: Path, dim: int, size: Size, rows: int) -> dict[str, Any]:
    """Ingest rate per batch size, with the body limit raised so 1000 items fit. Each size
    runs twice, in rising then falling order (the table grows and the machine is shared);
    the better run counts."""
    results: dict[str, Any] = {"MAX_BODY_BYTES": BIG_BODY}
    runs: dict[int, list[dict[str, Any]]] = {batch: [] for batch in size.batch_sizes}
    order = [*size.batch_sizes, *reversed(size.batch_sizes)]
    with running_sidecar(data_dir, sidecar_env(dim, MAX_BODY_BYTES=BIG_BODY)) as sidecar:
        client = Client(sidecar.url, sidecar.token)
        try:
            for round_, batch in enumerate(order):
                extra = extra_memories(size.seed, f"batch{batch}-{round_}-{dim}", rows, dim)
                bodies = batch_bodies(
                    extra.contents,
                    extra.domains,
                    extra.vectors,
                    max_items=batch,
                    max_bytes=int(BIG_BODY),
                )
                figures, _ = await bulk_load(client, bodies, size.phase_seconds)
                runs[batch].append(figures)
            # The same default-sized batches, two requests in flight (both cores busy).
            extra = extra_memories(size.seed, f"batch-c2-{dim}", rows, dim)
            bodies = batch_bodies(extra.contents, extra.domains, extra.vectors)
            figures, _ = await bulk_load(client, bodies, size.phase_seconds, concurrency=2)
            results["default body limit, 2 requests in flight"] = {
                "rows_per_s": figures["rows_per_s"],
                "request_p50_ms": figures["request"]["p50_ms"],
                "body_kb": round(figures["request_bytes"] / 1024, 1),
            }
        finally:
            await client.close()
    for batch, figures in runs.items():
        best = max(figures, key=lambda f: f["rows_per_s"])
        results[f"batch={batch}"] = {
            "rows_per_s": best["rows_per_s"],
            "rows_per_s_runs": [f["rows_per_s"] for f in figures],
            "request_p50_ms": best["request"]["p50_ms"],
            "body_kb": round(best["request_bytes"] / 1024, 1),
        }
    return results


async def cache_commit_modes(
    data_dir: Path, dim: int, size: Size, stored: list[str]
) -> dict[str, Any]:
    """Exact cache lookups over HTTP (each is a write: hit counters) with the database's
    synchronous_commit on (default) and off (`ALTER DATABASE`, sidecar restarted)."""
    results: dict[str, Any] = {}
    calls = [
        Call("POST", "/cache/lookup", encode({"query": stored[i % len(stored)], "language": "en"}))
        for i in range(size.cache_lookups)
    ]
    for mode in ("on", "off"):
        with running_sidecar(data_dir, sidecar_env(dim)) as sidecar:
            if mode == "off":
                await _alter_commit(sidecar.database_url, "SET synchronous_commit = off")
        with running_sidecar(data_dir, sidecar_env(dim)) as sidecar:
            client = Client(sidecar.url, sidecar.token)
            try:
                await run_load(client, calls[: size.warmup], concurrency=1, deadline_seconds=60)
                for concurrency in (1, 8):
                    result = await run_load(
                        client, calls, concurrency=concurrency, deadline_seconds=size.phase_seconds
                    )
                    summary = result.summary()
                    results[f"synchronous_commit={mode}, c={concurrency}"] = {
                        key: summary.get(key) for key in ("p50_ms", "p95_ms", "throughput_per_s")
                    }
            finally:
                await client.close()
            if mode == "off":
                await _alter_commit(sidecar.database_url, "RESET synchronous_commit")
    return results


async def _alter_commit(url: str, change: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"ALTER DATABASE postgres {change}")  # constant statements only
    finally:
        await conn.close()
