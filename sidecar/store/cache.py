"""The response cache: exact lookup on normalised text within language and scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from ..text import normalize_utterance, sha256

ENTRY_COLUMNS = (
    "id, query_text, response, kind, language, scope, metadata, hit_count, created_at, expires_at"
)

# One round trip: find a live entry, count the hit on it, and count a hit or a miss in the
# shared counters (shared by every sidecar on the database).
LOOKUP = f"""
WITH hit AS (
    UPDATE response_cache SET hit_count = hit_count + 1, last_hit_at = now()
    WHERE query_hash = $1 AND (expires_at IS NULL OR expires_at > now())
    RETURNING {ENTRY_COLUMNS}
), counted AS (
    UPDATE cache_counters
    SET hits = hits + (SELECT count(*) FROM hit), misses = misses + 1 - (SELECT count(*) FROM hit)
)
SELECT * FROM hit
"""
# Storing the same question again replaces the answer and restarts its lifetime.
STORE = """
INSERT INTO response_cache (query_hash, query_text, normalized_text, language, scope, kind,
                            response, metadata, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))
ON CONFLICT (query_hash) DO UPDATE
    SET query_text = EXCLUDED.query_text, kind = EXCLUDED.kind, response = EXCLUDED.response,
        metadata = EXCLUDED.metadata, expires_at = EXCLUDED.expires_at, created_at = now(),
        hit_count = 0, last_hit_at = NULL
RETURNING id, expires_at
"""
# Keep the `$1` most recently used live entries; expired ones go with `clear`.
EVICT = """
DELETE FROM response_cache WHERE id IN (
    SELECT id FROM (
        SELECT id, row_number() OVER (
            ORDER BY coalesce(last_hit_at, created_at) DESC, id DESC) AS position
        FROM response_cache WHERE expires_at IS NULL OR expires_at > now()
    ) ranked
    WHERE position > $1
)
"""
STATS = """
SELECT count(*) FILTER (WHERE expires_at IS NULL OR expires_at > now()) AS entries,
       count(*) FILTER (WHERE expires_at <= now()) AS expired,
       (SELECT hits FROM cache_counters) AS hits,
       (SELECT misses FROM cache_counters) AS misses
FROM response_cache
"""
CLEAR_EXPIRED = "DELETE FROM response_cache WHERE expires_at <= now()"
CLEAR_ALL = "DELETE FROM response_cache"


def cache_key(query: str, language: str, scope: str) -> tuple[str, str]:
    """(normalised text, hash of language + scope + text)."""
    normalized = normalize_utterance(query)
    return normalized, sha256(language.lower(), scope, normalized).hex()


async def lookup(
    pool: asyncpg.Pool, query: str, language: str, scope: str
) -> asyncpg.Record | None:
    _, key = cache_key(query, language, scope)
    return await pool.fetchrow(LOOKUP, key)


async def store(
    pool: asyncpg.Pool,
    *,
    query: str,
    response: str,
    language: str,
    scope: str,
    kind: str,
    metadata: dict[str, Any],
    ttl_seconds: int,
    max_entries: int,
) -> tuple[int, datetime]:
    normalized, key = cache_key(query, language, scope)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            STORE,
            key,
            query,
            normalized,
            language.lower(),
            scope,
            kind,
            response,
            metadata,
            float(ttl_seconds),
        )
        await conn.execute(EVICT, max_entries)
    return row["id"], row["expires_at"]


async def stats(pool: asyncpg.Pool) -> asyncpg.Record:
    return await pool.fetchrow(STATS)


async def clear(pool: asyncpg.Pool, *, everything: bool) -> int:
    status = await pool.execute(CLEAR_ALL if everything else CLEAR_EXPIRED)
    return int(status.split()[-1])
