"""Feedback on turns and the training-data export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from . import signals

# A client-chosen feedback_id makes a re-sent feedback a no-op (NULLs never conflict).
INSERT_FEEDBACK = """
INSERT INTO feedback (interaction_id, score, comment, source, metadata, feedback_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (feedback_id) DO NOTHING
RETURNING id, interaction_id, score
"""
EXISTING_FEEDBACK = "SELECT id, interaction_id, score FROM feedback WHERE feedback_id = $1"
# The latest feedback wins; an example whose turn has not arrived yet gets it on ingestion.
APPLY_FEEDBACK = "UPDATE training_data SET feedback_score = $2 WHERE turn_id = $1"
TURN_EXISTS = "SELECT EXISTS (SELECT 1 FROM conversations WHERE turn_id = $1)"
EXPORT = """
SELECT t.id, t.turn_id, t.input_text, t.output_text, t.feedback_score, t.interaction_type,
       t.language, t.created_at, t.metadata, c.intent, c.response_type, c.agent_id,
       c.metadata AS turn_metadata,
       coalesce((SELECT array_agg(s.kind ORDER BY s.kind) FROM training_signals s
                 WHERE s.turn_id = t.turn_id), '{}') AS signals
FROM training_data t LEFT JOIN conversations c USING (turn_id)
WHERE ($1::int IS NULL OR t.feedback_score >= $1)
  AND ($2::text IS NULL OR t.language = $2 OR t.language LIKE $2 || '-%')
  AND ($3::timestamptz IS NULL OR t.created_at >= $3)
  AND ($4::timestamptz IS NULL OR t.created_at < $4)
  AND ($5::boolean OR NOT t.exported)
  AND ($7::text IS NULL OR t.interaction_type = $7)
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
    interaction_type: str | None = None


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    id: int
    interaction_id: str
    score: int
    created: bool  # False: this feedback_id was recorded before (nothing changed)
    matched: bool  # the turn has arrived


async def record_feedback(
    pool: asyncpg.Pool,
    *,
    interaction_id: str,
    score: int,
    comment: str | None,
    source: str,
    metadata: dict[str, Any],
    feedback_id: str | None = None,
) -> FeedbackResult:
    """Store the feedback and apply it to its example, once per feedback_id."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            INSERT_FEEDBACK, interaction_id, score, comment, source, metadata, feedback_id
        )
        created = row is not None
        if row is None:
            row = await conn.fetchrow(EXISTING_FEEDBACK, feedback_id)
        else:
            await conn.execute(APPLY_FEEDBACK, interaction_id, score)
            await signals.on_feedback(conn, interaction_id, score, row["id"])
        matched = await conn.fetchval(TURN_EXISTS, row["interaction_id"])
    return FeedbackResult(row["id"], row["interaction_id"], row["score"], created, matched)


def _tool_messages(tool_calls: Any) -> list[dict[str, Any]]:
    """The turn's tool calls as OpenAI-style assistant `tool_calls` + `tool` messages."""
    if not isinstance(tool_calls, list) or not tool_calls:
        return []
    calls, results = [], []
    for index, call in enumerate(tool_calls):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            continue
        call_id = str(call.get("id") or f"call_{index}")
        arguments = call.get("arguments") or {}
        calls.append(
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call["name"], "arguments": orjson.dumps(arguments).decode()},
            }
        )
        if "result" in call:
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "content": orjson.dumps(call["result"]).decode(),
                }
            )
    if not calls:
        return []
    return [{"role": "assistant", "content": None, "tool_calls": calls}, *results]


def chat_example(row: asyncpg.Record) -> dict[str, Any]:
    """One fine-tuning example in the chat-messages format (tool calls included)."""
    turn_metadata = row["turn_metadata"] or {}
    return {
        "messages": [
            {"role": "user", "content": row["input_text"]},
            *_tool_messages(turn_metadata.get("tool_calls")),
            {"role": "assistant", "content": row["output_text"]},
        ],
        "metadata": {
            "id": row["id"],
            "turn_id": row["turn_id"],
            "language": row["language"],
            "interaction_type": row["interaction_type"],
            "feedback_score": row["feedback_score"],
            "signals": list(row["signals"]),
            "intent": row["intent"],
            "response_type": row["response_type"],
            "agent_id": row["agent_id"],
            "handled_by": turn_metadata.get("handled_by"),
            "cache": turn_metadata.get("cache"),
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
        filters.interaction_type,
        prefetch=500,
    ):
        yield row


async def mark_exported(conn: asyncpg.Connection, ids: list[int]) -> None:
    await conn.execute(MARK_EXPORTED, ids)
