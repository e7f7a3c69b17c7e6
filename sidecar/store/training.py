"""Feedback on turns and the training-data export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

INSERT_FEEDBACK = """
INSERT INTO feedback (interaction_id, score, comment, source, metadata)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, created_at
"""
# The latest feedback wins; an example whose turn has not arrived yet gets it on ingestion.
APPLY_FEEDBACK = "UPDATE training_data SET feedback_score = $2 WHERE turn_id = $1"
TURN_EXISTS = "SELECT EXISTS (SELECT 1 FROM conversations WHERE turn_id = $1)"
EXPORT = """
SELECT t.id, t.turn_id, t.input_text, t.output_text, t.feedback_score, t.interaction_type,
       t.language, t.created_at, t.metadata, c.intent, c.response_type, c.agent_id
FROM training_data t LEFT JOIN conversations c USING (turn_id)
WHERE ($1::int IS NULL OR t.feedback_score >= $1)
  AND ($2::text IS NULL OR t.language = $2 OR t.language LIKE $2 || '-%')
  AND ($3::timestamptz IS NULL OR t.created_at >= $3)
  AND ($4::timestamptz IS NULL OR t.created_at < $4)
  AND ($5::boolean OR NOT t.exported)
ORDER BY t.id
LIMIT $6
"""
MARK_EXPORTED = """
UPDATE training_data SET exported = TRUE, exported_at = now() WHERE id = ANY($1::bigint[])
"""


@dataclass(frozen=True, slots=True)
class ExportFilters:
    min_score: int | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_exported: bool = False
    limit: int | None = None


async def record_feedback(
    pool: asyncpg.Pool,
    *,
    interaction_id: str,
    score: int,
    comment: str | None,
    source: str,
    metadata: dict[str, Any],
) -> tuple[int, bool]:
    """Store the feedback and apply it to its example; (feedback id, turn known)."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(INSERT_FEEDBACK, interaction_id, score, comment, source, metadata)
        await conn.execute(APPLY_FEEDBACK, interaction_id, score)
        matched = await conn.fetchval(TURN_EXISTS, interaction_id)
    return row["id"], matched


def chat_example(row: asyncpg.Record) -> dict[str, Any]:
    """One fine-tuning example in the chat-messages format."""
    return {
        "messages": [
            {"role": "user", "content": row["input_text"]},
            {"role": "assistant", "content": row["output_text"]},
        ],
        "metadata": {
            "id": row["id"],
            "turn_id": row["turn_id"],
            "language": row["language"],
            "interaction_type": row["interaction_type"],
            "feedback_score": row["feedback_score"],
            "intent": row["intent"],
            "response_type": row["response_type"],
            "agent_id": row["agent_id"],
            "created_at": row["created_at"],
            **(row["metadata"] or {}),
        },
    }


async def export_examples(
    conn: asyncpg.Connection, filters: ExportFilters
) -> AsyncIterator[asyncpg.Record]:
    """Stream matching rows through a server-side cursor; the caller holds a transaction."""
    async for row in conn.cursor(
        EXPORT,
        filters.min_score,
        filters.language,
        filters.since,
        filters.until,
        filters.include_exported,
        filters.limit,
        prefetch=500,
    ):
        yield row


async def mark_exported(conn: asyncpg.Connection, ids: list[int]) -> None:
    await conn.execute(MARK_EXPORTED, ids)
