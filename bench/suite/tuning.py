"""Runs the tuning experiments on a benchmark database (after the main figures)."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from ..config import Size
from ..data.dataset import Dataset
from .http_load import Client
from .json_costs import json_costs
from .progress import log
from .restarts import batch_sizes, cache_commit_modes, pool_sizes
from .sidecar_run import running_sidecar, sidecar_env
from .tuning_cache import cache_hit_writes
from .tuning_hnsw import hnsw_builds
from .tuning_sql import pool_reset, search_tuning
from .tuning_write import fulltext_variants, ingest_attribution


async def tuning(
    data_dir: Path,
    dataset: Dataset,
    dim: int,
    size: Size,
    *,
    id_to_row: dict[int, int],
    cached_queries: list[str],
    hnsw: bool = True,
) -> dict[str, Any]:
    out: dict[str, Any] = {}

    async def guarded(name: str, experiment: Awaitable[Any]) -> None:
        """One failed experiment is recorded, not fatal to the run."""
        try:
            out[name] = await experiment
        except Exception as err:
            log(f"  tuning: {name} failed: {err!r}")
            out[name] = {"error": repr(err)[:500]}

    with running_sidecar(data_dir, sidecar_env(dim)) as sidecar:
        url = sidecar.database_url
        log("  tuning: ef_search, iterative scans, plan cache, statement cache")
        await guarded("sql", search_tuning(url, dataset, dim, size, id_to_row))
        log("  tuning: hybrid full-text variants, ingest attribution, cache commit")
        await guarded("fulltext", fulltext_variants(url, dataset, dim, size))
        await guarded("ingest_attribution", ingest_attribution(url, size, dim))
        await guarded("pool_reset", pool_reset(url, dataset, dim))
        log("  tuning: cache hits with and without heap-only updates")
        client = Client(sidecar.url, sidecar.token)
        try:
            await guarded("cache_hit_writes", cache_hit_writes(url, client, size, cached_queries))
        finally:
            await client.close()
        if hnsw:
            log("  tuning: HNSW build parameters")
            await guarded("hnsw_build", hnsw_builds(url, dataset, dim, size))
    out["json_costs"] = json_costs(dataset, dim, batch_items=200)
    log("  tuning: pool sizes, batch sizes (restarts)")
    await guarded("pool_size", pool_sizes(data_dir, dataset, dim, size))
    await guarded("cache_commit", cache_commit_modes(data_dir, dim, size, cached_queries))
    rows = 2_000 if size.rows <= 20_000 else 5_000
    await guarded("batch_size", batch_sizes(data_dir, dim, size, rows=rows))
    return out
