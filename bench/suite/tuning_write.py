"""Where ingest and hybrid search time goes, by direct SQL in transactions that are rolled
back (PostgreSQL DDL is transactional: an index dropped inside one comes back)."""

from __future__ import annotations

import time
from typing import Any

import asyncpg

from sidecar.store.knowledge import (
    CREATE_INCOMING,
    INSERT_INCOMING,
    SEARCH,
    WRITABLE_COLUMNS,
    NewMemory,
)

from ..config import TOP_K, Size
from ..data.dataset import Dataset
from ..data.extra import extra_memories
from ..stats import latency_summary
from .sql import direct_pool, search_args

ROWS = 1000
INDEX_VARIANTS = {
    "all indexes (as shipped)": (),
    "without the HNSW index": ("knowledge_embedding_hnsw",),
    "without the full-text GIN index": ("idx_knowledge_search",),
    "without any GIN index": (
        "idx_knowledge_search",
        "idx_knowledge_tags",
        "idx_knowledge_metadata",
    ),
}
# The hybrid statement's full-text leg (sidecar/store/search_sql.py, migration 0003): as
# shipped (rows with every meaningful word), any meaningful word (what lexical mode falls back
# to), and 0001's query (English stems OR every word as written, stop words included). Each
# variant is (replacements in the shipped statement, the tsquery whose matches are counted).
_ALL_WORDS = "ai_memory_tsquery_all($4)"
TSQUERY_VARIANTS: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "as shipped: every meaningful word": ((), _ALL_WORDS),
    "any meaningful word": (
        ((_ALL_WORDS, "ai_memory_tsquery_any($4)"),),
        "ai_memory_tsquery_any($4)",
    ),
    "0001: english + simple, OR of every word": (
        ((_ALL_WORDS, "ai_memory_tsquery($4)"),),
        "ai_memory_tsquery($4)",
    ),
}
COUNT_MATCHES = "SELECT count(*) FROM knowledge, {tsquery} AS query WHERE search_tsv @@ query"


async def _insert_once(conn: asyncpg.Connection, drop: tuple[str, ...], rows: list[Any]) -> float:
    transaction = conn.transaction()
    await transaction.start()
    try:
        for index in drop:
            await conn.execute(f"DROP INDEX {index}")  # names from INDEX_VARIANTS only
        begin = time.perf_counter()
        await conn.execute(CREATE_INCOMING)
        await conn.copy_records_to_table(
            "knowledge_incoming", records=rows, columns=("ord", *WRITABLE_COLUMNS)
        )
        await conn.fetch(INSERT_INCOMING)
        return time.perf_counter() - begin
    finally:
        await transaction.rollback()


async def ingest_attribution(url: str, size: Size, dim: int) -> dict[str, Any]:
    """The bulk-add statements for 1,000 rows with each index variant (twice, alternating)."""
    extra = extra_memories(size.seed, f"attrib-{dim}", ROWS, dim)
    rows = [
        (i, *NewMemory(content=c, domain=d).row(v.tolist()))
        for i, (c, d, v) in enumerate(
            zip(extra.contents, extra.domains, extra.vectors, strict=True)
        )
    ]
    seconds: dict[str, list[float]] = {name: [] for name in INDEX_VARIANTS}
    pool = await direct_pool(url)
    try:
        async with pool.acquire() as conn:
            for order in (list(INDEX_VARIANTS), list(reversed(INDEX_VARIANTS))):
                for name in order:
                    seconds[name].append(await _insert_once(conn, INDEX_VARIANTS[name], rows))
    finally:
        await pool.close()
    return {
        name: {
            "rows_per_s": round(ROWS / min(values), 1),
            "ms_per_1000_rows": round(min(values) * 1000, 1),
        }
        for name, values in seconds.items()
    }


async def fulltext_variants(url: str, dataset: Dataset, dim: int, size: Size) -> dict[str, Any]:
    """The whole hybrid statement with each tsquery, and how many rows its full-text leg ranks."""
    queries = dataset.queries["vector"]
    count = min(len(queries.texts), size.hybrid_queries)
    args = [
        search_args(queries.vectors[dim][i], queries.texts[i], None, TOP_K, "hybrid")
        for i in range(count)
    ]
    results: dict[str, Any] = {}
    pool = await direct_pool(url)
    try:
        async with pool.acquire() as conn:
            for name, (replacements, tsquery) in TSQUERY_VARIANTS.items():
                statement = SEARCH["hybrid"]
                for shipped, variant in replacements:
                    assert shipped in statement, f"{shipped!r} is no longer in the statement"
                    statement = statement.replace(shipped, variant)
                count_sql = COUNT_MATCHES.format(tsquery=tsquery.replace("$4", "$1"))
                for params in args[:5]:
                    await conn.fetch(statement, *params)
                latencies, matches = [], []
                for params in args:
                    begin = time.perf_counter()
                    await conn.fetch(statement, *params)
                    latencies.append(time.perf_counter() - begin)
                    matches.append(await conn.fetchval(count_sql, params[3]))
                summary = latency_summary(latencies)
                results[name] = {
                    "p50_ms": summary["p50_ms"],
                    "p95_ms": summary["p95_ms"],
                    "mean_fulltext_matches": round(sum(matches) / len(matches), 1),
                }
    finally:
        await pool.close()
    return results
