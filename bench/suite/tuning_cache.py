"""Cache hits as heap-only updates (migration 0006): exact hits over HTTP and the WAL each
hit writes, with the index on last_hit_at that 0006 dropped put back, and as shipped."""

from __future__ import annotations

from typing import Any

import asyncpg

from ..config import Size
from ..stats import latency_summary
from .http_load import Call, Client, encode, run_load

# Each variant's statements, then VACUUM FULL so that every page is written at its fill factor.
VARIANTS = {
    "index on last_hit_at, pages full (before 0006)": (
        "CREATE INDEX IF NOT EXISTS idx_cache_recency"
        " ON response_cache ((coalesce(last_hit_at, created_at)))",
        "ALTER TABLE response_cache SET (fillfactor = 100)",
    ),
    "heap-only updates (shipped)": (
        "DROP INDEX IF EXISTS idx_cache_recency",
        "ALTER TABLE response_cache SET (fillfactor = 70)",
    ),
}
BEFORE, SHIPPED = VARIANTS
# Both layouts see the machine early and late; the shipped one is what stays.
ORDER = (SHIPPED, BEFORE, BEFORE, SHIPPED)
WAL_BYTES = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint"


async def cache_hit_writes(
    database_url: str, client: Client, size: Size, stored: list[str]
) -> dict[str, Any]:
    """Exact hits at concurrency 1 per layout (two runs each, pooled) and WAL bytes per hit."""
    calls = [
        Call("POST", "/cache/lookup", encode({"query": stored[i % len(stored)], "language": "en"}))
        for i in range(size.cache_lookups)
    ]
    latencies: dict[str, list[float]] = {name: [] for name in VARIANTS}
    wal: dict[str, list[float]] = {name: [] for name in VARIANTS}
    conn = await asyncpg.connect(database_url)
    try:
        for name in ORDER:
            for statement in VARIANTS[name]:
                await conn.execute(statement)
            await conn.execute("VACUUM FULL response_cache", timeout=300)
            await run_load(client, calls[: size.warmup], concurrency=1, deadline_seconds=60)
            before = await conn.fetchval(WAL_BYTES)
            result = await run_load(
                client, calls, concurrency=1, deadline_seconds=size.phase_seconds
            )
            wal[name].append((await conn.fetchval(WAL_BYTES) - before) / len(result.latencies))
            latencies[name].extend(result.latencies)
        out: dict[str, Any] = {}
        for name in VARIANTS:
            summary = latency_summary(latencies[name])
            out[name] = {
                "p50_ms": summary["p50_ms"],
                "p95_ms": summary["p95_ms"],
                "wal_bytes_per_hit": round(sum(wal[name]) / len(wal[name])),
            }
        return out
    finally:
        await conn.close()
