"""The asyncpg pool: pgvector codecs and per-connection search settings."""

from __future__ import annotations

import asyncpg
import orjson
from pgvector.asyncpg import register_vector

# Sent in the startup packet, so they are the session defaults that asyncpg's `RESET ALL`
# (run whenever a connection goes back to the pool) returns to; a plain SET would be lost.
# - Filtered vector searches must still return k rows: pgvector >= 0.8 iterative scans.
# - ef_search 100 gives ~0.93+ recall@10 at 100k rows where the default 40 gives ~0.74.
# - A word-similarity threshold of 0.3 (default 0.6) lets "ligths" find "lights".
# - Custom plans only: after five runs of a prepared search PostgreSQL may switch to a generic
#   plan, which cannot see the query vector and scans every row exactly (bench at 10k rows:
#   12.7 ms p50 against 2.5 ms); planning each search costs nothing measurable at 100k.
SERVER_SETTINGS = {
    "hnsw.iterative_scan": "relaxed_order",
    "hnsw.ef_search": "100",
    "pg_trgm.word_similarity_threshold": "0.3",
    "plan_cache_mode": "force_custom_plan",
}


def _encode_jsonb(value: object) -> bytes:
    return b"\x01" + orjson.dumps(value)  # jsonb binary format: version byte, then text


def _decode_jsonb(data: bytes) -> object:
    return orjson.loads(data[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    await register_vector(conn)
    await conn.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=_encode_jsonb,
        decoder=_decode_jsonb,
        format="binary",
    )


async def _release_as_is(conn: asyncpg.Connection) -> None:
    """Return a connection to the pool without asyncpg's reset query (advisory unlocks, CLOSE
    ALL, UNLISTEN *, RESET ALL): one more round trip at the end of every request, 0.7 ms p50
    of a search in the benchmark's pool experiment (bench/README.md). Nothing in the sidecar
    changes session state outside a transaction: settings are startup parameters or SET LOCAL,
    advisory locks are transaction-scoped, cursors live in transactions, nothing LISTENs.
    asyncpg still rolls back a transaction a request left open before calling this."""


async def create_pool(dsn: str, *, min_size: int, max_size: int) -> asyncpg.Pool:
    """Create the pool; migrations must have run (the vector type must exist)."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_release_as_is,
        server_settings=SERVER_SETTINGS,
        timeout=10,
        command_timeout=30,
        # Dead connections (PostgreSQL restarted) are replaced instead of kept around.
        max_inactive_connection_lifetime=300,
    )
    assert pool is not None
    return pool
