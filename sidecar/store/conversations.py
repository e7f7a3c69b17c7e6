"""Conversation turns: idempotent batched ingestion, history and search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from . import signals
from .search_sql import SEARCH_MODES, build_search, run_search

TURN_COLUMNS = """
t.id, t.turn_id, t.session_id, t.conversation_id, t.role, t.content, t.response, t.language,
t.intent, t.response_type, t.user_id, t.device_id, t.satellite_id, t.area_id, t.agent_id,
t.latency_ms, t.memories_used, t.metadata, t.created_at
"""
_TURN_FIELDS = """
    ord INTEGER, turn_id TEXT, session_id TEXT, conversation_id TEXT, role TEXT, content TEXT,
    response TEXT, language TEXT, intent TEXT, response_type TEXT, user_id TEXT, device_id TEXT,
    satellite_id TEXT, area_id TEXT, agent_id TEXT, latency_ms DOUBLE PRECISION,
    memories_used BIGINT[], metadata JSONB, created_at TIMESTAMPTZ"""
_INSERTED = """turn_id, session_id, conversation_id, role, content, response, language, intent,
    response_type, user_id, device_id, satellite_id, area_id, agent_id, latency_ms,
    memories_used, metadata, created_at"""

# The whole batch is one statement: it lands completely or not at all, and a turn that is
# already stored (a retry after a lost answer) is reported, not inserted again.
INSERT_TURNS = f"""
WITH incoming AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS x({_TURN_FIELDS})
), inserted AS (
    INSERT INTO conversations ({_INSERTED})
    SELECT DISTINCT ON (turn_id) turn_id, session_id, conversation_id, coalesce(role, 'user'),
        content, response, language, intent, response_type, user_id, device_id, satellite_id,
        area_id, agent_id, latency_ms, coalesce(memories_used, '{{}}'),
        coalesce(metadata, '{{}}'), coalesce(created_at, now())
    FROM incoming ORDER BY turn_id, ord
    ON CONFLICT (turn_id) DO NOTHING
    RETURNING id, turn_id
)
SELECT i.ord, i.turn_id, coalesce(n.id, c.id) AS id,
       n.id IS NOT NULL AND i.ord = min(i.ord) OVER (PARTITION BY i.turn_id) AS created
FROM incoming i
LEFT JOIN inserted n USING (turn_id)
LEFT JOIN conversations c USING (turn_id)
ORDER BY i.ord
"""
# A turn inserted by a concurrent batch is invisible to the statement above's snapshot.
SELECT_TURN_IDS = "SELECT turn_id, id FROM conversations WHERE turn_id = ANY($1::text[])"
# Every answered turn becomes a training example; feedback that overtook it is applied.
INSERT_TRAINING = """
INSERT INTO training_data (turn_id, input_text, output_text, interaction_type, language,
                           feedback_score, created_at)
SELECT c.turn_id, c.content, c.response, x.interaction_type, c.language,
       (SELECT f.score FROM feedback f WHERE f.interaction_id = c.turn_id
        ORDER BY f.created_at DESC, f.id DESC LIMIT 1),
       c.created_at
FROM jsonb_to_recordset($1::jsonb) AS x(turn_id TEXT, interaction_type TEXT)
JOIN conversations c USING (turn_id)
WHERE c.response IS NOT NULL
ON CONFLICT (turn_id) DO NOTHING
"""
HISTORY = f"""
SELECT {TURN_COLUMNS} FROM conversations t
WHERE ($1::text IS NULL OR t.session_id = $1) AND ($2::text IS NULL OR t.conversation_id = $2)
  AND ($3::text IS NULL OR t.device_id = $3)
  AND ($4::timestamptz IS NULL OR t.created_at >= $4)
  AND ($5::timestamptz IS NULL OR t.created_at < $5)
ORDER BY t.created_at DESC, t.id DESC LIMIT $6
"""
_FILTERS = """
    ($5::text IS NULL OR device_id = $5)
    AND ($6::text IS NULL OR language = $6 OR language LIKE $6 || '-%')
    AND ($7::timestamptz IS NULL OR created_at >= $7)
    AND ($8::timestamptz IS NULL OR created_at < $8)"""
SEARCH = {
    mode: build_search("conversations", TURN_COLUMNS, _FILTERS, "content", mode)
    for mode in SEARCH_MODES
}

# Home Assistant's response types, mapped to seed 001's interaction types.
INTERACTION_TYPES = {"action_done": "command", "query_answer": "question"}


@dataclass(frozen=True, slots=True)
class TurnFilters:
    device_id: str | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def interaction_type(turn: dict[str, Any]) -> str:
    return turn.get("interaction_type") or INTERACTION_TYPES.get(
        turn.get("response_type") or "", "conversation"
    )


async def ingest_turns(pool: asyncpg.Pool, turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store a batch atomically; [{turn_id, id, created}] in input order."""
    incoming = []
    for ord_, turn in enumerate(turns):
        row = {
            key: value for key, value in turn.items() if key not in {"training", "interaction_type"}
        }
        row["ord"] = ord_
        row["session_id"] = turn.get("session_id") or turn.get("conversation_id") or turn["turn_id"]
        incoming.append(row)
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(INSERT_TURNS, incoming)
        results = [{"turn_id": r["turn_id"], "id": r["id"], "created": r["created"]} for r in rows]
        if missing := [r["turn_id"] for r in results if r["id"] is None]:
            ids = dict(await conn.fetch(SELECT_TURN_IDS, missing))
            for result in results:
                result["id"] = result["id"] or ids.get(result["turn_id"])
        training = [
            {"turn_id": turn["turn_id"], "interaction_type": interaction_type(turn)}
            for turn, result in zip(turns, results, strict=True)
            if result["created"] and turn.get("training", True)
        ]
        if training:
            await conn.execute(INSERT_TRAINING, training)
        if created := [r["turn_id"] for r in results if r["created"]]:
            await signals.detect(conn, created)
    return results


async def history(
    pool: asyncpg.Pool,
    *,
    session_id: str | None,
    conversation_id: str | None,
    device_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[asyncpg.Record]:
    """The latest `limit` matching turns, oldest first."""
    rows = await pool.fetch(HISTORY, session_id, conversation_id, device_id, since, until, limit)
    return list(reversed(rows))


async def search_turns(
    pool: asyncpg.Pool,
    *,
    mode: str,
    query: str,
    vector: list[float] | None,
    filters: TurnFilters,
    limit: int,
    trigram: bool = False,
) -> list[asyncpg.Record]:
    """`mode` is hybrid, vector or lexical; lexical uses trigrams too when `trigram`."""
    return await run_search(
        pool,
        SEARCH,
        mode=mode,
        query=query,
        vector=vector,
        limit=limit,
        trigram=trigram,
        filter_params=(filters.device_id, filters.language, filters.since, filters.until),
    )
