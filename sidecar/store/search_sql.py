"""Hybrid search as one statement: vector and full-text legs fused by reciprocal rank fusion.

Each leg takes its top `$2` candidates (HNSW cosine for vectors; `ts_rank_cd` for full text,
over up to RANKED_MATCHES rows with all of the query's words, or in lexical mode any of them
when no row has all; pg_trgm `word_similarity` for the trigram leg used when no vector is
available); the fused score of a row is the sum over legs of 1 / (60 + rank); `similarity` is
the cosine similarity when the row came through the vector leg. The statements are built
once at import from constant fragments: no request data is ever formatted into SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

RRF_K = 60
# "lexical_trigram" is "lexical" where pg_trgm is installed (not in the embedded database).
SEARCH_MODES = {
    "hybrid": ("vector_leg", "fulltext_leg"),
    "vector": ("vector_leg",),
    "lexical": ("fulltext_leg",),
    "lexical_trigram": ("fulltext_leg", "trigram_leg"),
}

# Parameter layout shared by every search statement:
#   $1 query vector (NULL in lexical mode)   $2 candidates per leg   $3 result limit
#   $4 query text                             $5… the table's own filters
_VECTOR_LEG = """
vector_leg AS (
    SELECT id, distance, row_number() OVER (ORDER BY distance) AS rank
    FROM (
        SELECT id, embedding <=> $1 AS distance FROM {table}
        WHERE embedding IS NOT NULL AND {filters}
        ORDER BY embedding <=> $1 LIMIT $2
    ) nearest
)"""
# How many matching rows a full-text leg ranks at most. Ranking reads every matching row
# from the heap, and the commonest words are in 1 of 10 memories: at 100k rows the hybrid
# search for "our lighting on here" ranked 9,333 rows, 55 ms. Ranking the first 500 found
# (in table order), hybrid SQL p95 / p99 went 8.5-8.7 / 25.7 → 7.2-7.8 / 9.0-11.2 ms with
# 97.8% of the top 10 unchanged (`python -m bench.fulltext_leg`). A word that common says
# little about which of its rows matter; the vector leg ranks them.
RANKED_MATCHES = 500
# Rows with every meaningful word of the query (migration 0003 says why), ranked.
_ALL_WORDS = f"""
all_words AS MATERIALIZED (
    SELECT id, ts_rank_cd(search_tsv, query) AS rank_score
    FROM ai_memory_tsquery_all($4) AS query, LATERAL (
        SELECT id, search_tsv FROM {{table}}
        WHERE search_tsv @@ query AND {{filters}} LIMIT {RANKED_MATCHES}
    ) matched
    ORDER BY rank_score DESC, id DESC LIMIT $2
)"""
_RANKED = "SELECT id, row_number() OVER (ORDER BY rank_score DESC, id DESC) AS rank FROM"
# Hybrid: all words or nothing. When no row has them all (a quarter of the benchmark's
# queries), the vector leg alone ranks; an any-word fallback there ranked every row with
# any word: 258 ms p95 against 7.9 ms at 100k rows (bench/README.md).
_FULLTEXT_ALL_WORDS = (
    _ALL_WORDS
    + f""",
fulltext_leg AS ({_RANKED} all_words)"""
)
# Lexical search (no vectors: the provider is down or off) is the only leg, so it falls back
# to rows with any of the words. NOT EXISTS is a one-time filter: PostgreSQL skips that scan
# entirely when the first one found rows.
_FULLTEXT_WITH_FALLBACK = (
    _ALL_WORDS
    + f""",
any_word AS (
    SELECT id, ts_rank_cd(search_tsv, query) AS rank_score
    FROM ai_memory_tsquery_any($4) AS query, LATERAL (
        SELECT id, search_tsv FROM {{table}}
        WHERE NOT EXISTS (SELECT FROM all_words) AND search_tsv @@ query AND {{filters}}
        LIMIT {RANKED_MATCHES}
    ) matched
    ORDER BY rank_score DESC, id DESC LIMIT $2
),
fulltext_leg AS ({_RANKED} (SELECT * FROM all_words UNION ALL SELECT * FROM any_word) matched)"""
)
_TRIGRAM_LEG = """
trigram_leg AS (
    SELECT id, row_number() OVER (ORDER BY similarity DESC, id DESC) AS rank
    FROM (
        SELECT id, word_similarity($4, {text_column}) AS similarity FROM {table}
        WHERE $4 <% {text_column} AND {filters}
        ORDER BY similarity DESC, id DESC LIMIT $2
    ) close_matches
)"""


def _fuse(legs: tuple[str, ...], with_vector: bool) -> str:
    first, *rest = legs
    id_expr = "coalesce(" + ", ".join(f"{leg}.id" for leg in legs) + ")" if rest else f"{first}.id"
    score = " + ".join(f"coalesce(1::float8 / ({RRF_K} + {leg}.rank), 0)" for leg in legs)
    joins = "".join(
        f" FULL OUTER JOIN {leg} ON {leg}.id = coalesce("
        + ", ".join(f"{prior}.id" for prior in legs[: index + 1])
        + ")"
        for index, leg in enumerate(rest)
    )
    similarity = "1 - vector_leg.distance" if with_vector else "NULL::float8"
    return (
        f"fused AS (SELECT {id_expr} AS id, {score} AS score, {similarity} AS similarity "
        f"FROM {first}{joins})"
    )


def build_search(table: str, columns: str, filters: str, text_column: str, mode: str) -> str:
    """The statement for one table and mode (see SEARCH_MODES)."""
    legs = SEARCH_MODES[mode]
    sources = {
        "vector_leg": _VECTOR_LEG,
        "fulltext_leg": _FULLTEXT_ALL_WORDS if mode == "hybrid" else _FULLTEXT_WITH_FALLBACK,
        "trigram_leg": _TRIGRAM_LEG,
    }
    ctes = ",".join(
        sources[leg].format(table=table, filters=filters, text_column=text_column) for leg in legs
    )
    return (
        # Declares the types of $1 and $4 for the modes whose legs do not use them.
        f"WITH params AS (SELECT $1::halfvec AS query_vector, $4::text AS query_text),{ctes},\n"
        f"{_fuse(legs, 'vector_leg' in legs)}\n"
        f"SELECT {columns}, fused.score, fused.similarity FROM fused "
        f"JOIN {table} t ON t.id = fused.id "
        "ORDER BY fused.score DESC, t.id DESC LIMIT $3"
    )


def candidates(mode: str, limit: int) -> int:
    """Rows each leg ranks ($2): enough for the fusion to reorder. A vector search alone has
    nothing to fuse, and iterative index scans go on until the filters leave k rows, so its
    k nearest are the answer (10 instead of 40 rows: 3.2 → 2.7 ms p50 at 100k memories)."""
    return limit if mode == "vector" else max(limit * 4, 40)


async def run_search(
    pool: asyncpg.Pool,
    statements: Mapping[str, str],
    *,
    mode: str,
    query: str,
    vector: list[float] | None,
    limit: int,
    trigram: bool,
    filter_params: Sequence[Any],
) -> list[asyncpg.Record]:
    """Run one table's statement (from `build_search`) for `mode`: hybrid, vector or lexical;
    lexical uses trigrams too when `trigram`."""
    if mode == "lexical" and trigram:
        mode = "lexical_trigram"
    return await pool.fetch(
        statements[mode], vector, candidates(mode, limit), limit, query, *filter_params
    )
