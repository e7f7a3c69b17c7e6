"""The response cache: exact and signature-guarded semantic lookup, store, invalidation.

Matching is generic here; what makes it safe is the client's *slot signature* (see
docs/API.md): an exact hit needs the same language, scope, normalised text and signature; a
semantic hit needs the same language, scope and signature and an embedding similarity at or
above the threshold. Without a signature only exact matching is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from ..text import normalize_utterance, sha256

COLUMNS = (
    "id",
    "query_text",
    "response",
    "kind",
    "language",
    "scope",
    "metadata",
    "signature",
    "dependencies",
    "hit_count",
    "created_at",
    "last_hit_at",
    "expires_at",
)
ENTRY_COLUMNS = ", ".join(COLUMNS)
_LIVE = "(expires_at IS NULL OR expires_at > now())"
# Lookups write (hit counters), and a write normally waits for its WAL flush: most of an
# exact lookup's time (bench: 6.2 ms p50 → 1.8 ms without). Lookups therefore commit without
# waiting (`SET LOCAL synchronous_commit = off`, in the same statement so it costs no round
# trip): a power cut can lose the last few hit counts, never an entry or anything else, and
# the next flush by any durable write makes them durable too. The counters row is always
# there, so this condition runs whenever a lookup writes.
_NO_FLUSH_WAIT = "set_config('synchronous_commit', 'off', true) IS NOT NULL"

# One round trip each. Hits are counted on the entry and in the shared counters (shared by
# every sidecar on the database); a miss is counted once the last matching step failed. No
# index may cover hit_count or last_hit_at: a hit is then a heap-only update that writes no
# index entries (migration 0006).
# $4: no semantic step follows, so a miss here is the lookup's miss (counted in the same
# statement: one round trip less; the counters are left alone when a semantic step follows).
EXACT_HIT = f"""
WITH hit AS (
    UPDATE response_cache SET hit_count = hit_count + 1, last_hit_at = now()
    WHERE query_hash = $1 AND signature_hash IS NOT DISTINCT FROM $2
      AND kind = ANY($3::text[]) AND {_LIVE}
    RETURNING {ENTRY_COLUMNS}
), counted AS (
    UPDATE cache_counters
    SET hits = hits + (SELECT count(*) FROM hit),
        exact_hits = exact_hits + (SELECT count(*) FROM hit),
        misses = misses + CASE WHEN EXISTS (SELECT FROM hit) THEN 0 ELSE 1 END
    WHERE {_NO_FLUSH_WAIT} AND ($4::boolean OR EXISTS (SELECT FROM hit))
)
SELECT * FROM hit
"""
# The nearest entry with the same signature; a hit only at or above the threshold ($6).
SEMANTIC_HIT = f"""
WITH best AS (
    SELECT id, 1 - (embedding <=> $5) AS similarity FROM response_cache
    WHERE language = $1 AND scope = $2 AND signature_hash = $3 AND kind = ANY($4::text[])
      AND embedding IS NOT NULL AND {_LIVE}
    ORDER BY embedding <=> $5 LIMIT 1
), hit AS (
    UPDATE response_cache r SET hit_count = r.hit_count + 1, last_hit_at = now()
    FROM best WHERE r.id = best.id AND best.similarity >= $6
    RETURNING {", ".join(f"r.{column}" for column in COLUMNS)}, best.similarity
), counted AS (
    UPDATE cache_counters
    SET hits = hits + (SELECT count(*) FROM hit),
        semantic_hits = semantic_hits + (SELECT count(*) FROM hit),
        misses = misses + 1 - (SELECT count(*) FROM hit)
    WHERE {_NO_FLUSH_WAIT}
)
SELECT hit.*, (SELECT similarity FROM best) AS best_similarity
FROM (SELECT 1) AS one LEFT JOIN hit ON TRUE
"""
COUNT_MISS = f"UPDATE cache_counters SET misses = misses + 1 WHERE {_NO_FLUSH_WAIT}"
# Storing the same question again replaces the answer and restarts its lifetime.
STORE = """
INSERT INTO response_cache (query_hash, query_text, normalized_text, language, scope, kind,
                            response, metadata, expires_at, signature, signature_hash,
                            dependencies, embedding)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9), $10, $11, $12, $13)
ON CONFLICT (query_hash) DO UPDATE
    SET query_text = EXCLUDED.query_text, kind = EXCLUDED.kind, response = EXCLUDED.response,
        metadata = EXCLUDED.metadata, expires_at = EXCLUDED.expires_at, created_at = now(),
        hit_count = 0, last_hit_at = NULL, signature = EXCLUDED.signature,
        signature_hash = EXCLUDED.signature_hash, dependencies = EXCLUDED.dependencies,
        embedding = EXCLUDED.embedding
RETURNING id, expires_at, embedding IS NOT NULL AS embedded
"""
# The size bound: expired entries go first, then the least recently used beyond `$1`.
# Ranking every entry costs 10-16 ms at 10k entries, so it only happens when there are more
# than `$1` (otherwise no position is beyond it): a one-time count first.
EVICT = """
WITH doomed AS (
    SELECT id, expires_at IS NOT NULL AND expires_at <= now() AS expired FROM (
        SELECT id, expires_at, row_number() OVER (
            ORDER BY (expires_at IS NULL OR expires_at > now()) DESC,
                     coalesce(last_hit_at, created_at) DESC, id DESC) AS position
        FROM response_cache
        WHERE (SELECT count(*) FROM response_cache) > $1
    ) ranked
    WHERE position > $1
), gone AS (
    DELETE FROM response_cache WHERE id IN (SELECT id FROM doomed) RETURNING id
)
UPDATE cache_counters
SET evictions = evictions + (SELECT count(*) FROM doomed WHERE NOT expired)
"""
# Mentions are normalised like the stored text (no punctuation, so no LIKE wildcards) and
# matched as whole words: "moon lamp" drops "turn on the moon lamp", not "moon lamps".
INVALIDATE = """
WITH gone AS (
    DELETE FROM response_cache
    WHERE id = ANY($1::bigint[]) OR dependencies && $2::text[]
       OR EXISTS (SELECT 1 FROM unnest($4::text[]) AS mention
                  WHERE ' ' || normalized_text || ' ' LIKE '% ' || mention || ' %')
    RETURNING id
), counted AS (
    UPDATE cache_counters
    SET invalidations = invalidations + (SELECT count(*) FROM gone),
        false_hits = false_hits + $3
)
SELECT count(*) FROM gone
"""
STATS = """
SELECT count(*) FILTER (WHERE expires_at IS NULL OR expires_at > now()) AS entries,
       count(*) FILTER (WHERE (expires_at IS NULL OR expires_at > now()) AND kind = 'answer')
           AS answers,
       count(*) FILTER (WHERE (expires_at IS NULL OR expires_at > now()) AND kind = 'plan')
           AS plans,
       count(*) FILTER (WHERE expires_at <= now()) AS expired,
       (SELECT hits FROM cache_counters) AS hits,
       (SELECT exact_hits FROM cache_counters) AS exact_hits,
       (SELECT semantic_hits FROM cache_counters) AS semantic_hits,
       (SELECT misses FROM cache_counters) AS misses,
       (SELECT false_hits FROM cache_counters) AS false_hits,
       (SELECT evictions FROM cache_counters) AS evictions,
       (SELECT invalidations FROM cache_counters) AS invalidations
FROM response_cache
"""
CLEAR_EXPIRED = "DELETE FROM response_cache WHERE expires_at <= now()"
CLEAR_ALL = "DELETE FROM response_cache"


@dataclass(frozen=True, slots=True)
class CacheKey:
    """Where a request lives in the cache."""

    normalized: str
    query_hash: str
    language: str
    scope: str
    signature_hash: str | None


def signature_hash(signature: dict[str, Any] | None) -> str | None:
    """Hash of the canonical JSON (sorted keys) of a signature; None without one."""
    if signature is None:
        return None
    return sha256(orjson.dumps(signature, option=orjson.OPT_SORT_KEYS).decode()).hex()


def cache_key(
    query: str, language: str, scope: str, signature: dict[str, Any] | None = None
) -> CacheKey:
    normalized = normalize_utterance(query)
    language = language.lower()
    return CacheKey(
        normalized=normalized,
        query_hash=sha256(language, scope, normalized).hex(),
        language=language,
        scope=scope,
        signature_hash=signature_hash(signature),
    )


async def lookup_exact(
    pool: asyncpg.Pool, key: CacheKey, kinds: list[str], *, final: bool
) -> asyncpg.Record | None:
    """A live entry with the same text and signature (counted as a hit), or None (counted as
    a miss when `final`: no semantic step follows)."""
    return await pool.fetchrow(EXACT_HIT, key.query_hash, key.signature_hash, kinds, final)


async def lookup_semantic(
    pool: asyncpg.Pool, key: CacheKey, kinds: list[str], vector: list[float], threshold: float
) -> asyncpg.Record:
    """The nearest entry with the same signature; `id` is NULL unless it was close enough.
    Counts the hit, or the miss."""
    return await pool.fetchrow(
        SEMANTIC_HIT, key.language, key.scope, key.signature_hash, kinds, vector, threshold
    )


async def count_miss(pool: asyncpg.Pool) -> None:
    await pool.execute(COUNT_MISS)


async def store(
    pool: asyncpg.Pool,
    *,
    key: CacheKey,
    query: str,
    response: str,
    kind: str,
    metadata: dict[str, Any],
    signature: dict[str, Any] | None,
    dependencies: list[str],
    vector: list[float] | None,
    ttl_seconds: int,
    max_entries: int,
) -> asyncpg.Record:
    """Insert or replace an entry, then enforce the size bound; (id, expires_at, embedded)."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            STORE,
            key.query_hash,
            query,
            key.normalized,
            key.language,
            key.scope,
            kind,
            response,
            metadata,
            float(ttl_seconds),
            signature,
            key.signature_hash,
            sorted(set(dependencies)),
            vector,
        )
        await conn.execute(EVICT, max_entries)
    return row


async def invalidate(
    pool: asyncpg.Pool,
    *,
    ids: list[int],
    dependencies: list[str],
    mentions: list[str],
    false_hit: bool,
) -> int:
    """Drop entries by id, by what they depend on or by a phrase their request mentions; a
    false hit counts the given ids."""
    phrases = [phrase for m in mentions if (phrase := normalize_utterance(m))]
    return await pool.fetchval(INVALIDATE, ids, dependencies, len(ids) if false_hit else 0, phrases)


async def stats(pool: asyncpg.Pool) -> asyncpg.Record:
    return await pool.fetchrow(STATS)


async def clear(pool: asyncpg.Pool, *, everything: bool) -> int:
    status = await pool.execute(CLEAR_ALL if everything else CLEAR_EXPIRED)
    return int(status.split()[-1])


def entry_dict(record: asyncpg.Record) -> dict[str, Any]:
    """The public shape of an entry."""
    return {column: record[column] for column in COLUMNS}
