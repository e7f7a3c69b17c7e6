"""Feedback on turns and the JSONL export for fine-tuning."""

from __future__ import annotations

import orjson
import voluptuous as vol
from aiohttp import web

from ...keys import POOL
from ...store import training
from ..responses import json_response
from ..validation import (
    boolean,
    integer,
    json_object,
    name,
    read_json,
    text,
    timestamp,
    validate,
    validate_query,
)

# Rows are marked exported in batches inside the export's transaction: memory stays bounded
# however large the export, and a dropped connection still rolls every mark back.
MARK_BATCH = 500

FEEDBACK_SCHEMA = vol.Schema(
    {
        vol.Required("interaction_id"): text(255),
        vol.Required("score"): integer(1, 5),
        vol.Optional("comment"): vol.Any(None, text(2000, allow_empty=True)),
        vol.Optional("source", default="api"): name,
        vol.Optional("metadata", default=dict): json_object,
        vol.Optional("feedback_id"): text(255),
    }
)
EXPORT_QUERY_SCHEMA = vol.Schema(
    {
        vol.Optional("min_score"): integer(1, 5),
        vol.Optional("language"): text(35),
        vol.Optional("since"): timestamp,
        vol.Optional("until"): timestamp,
        vol.Optional("interaction_type"): vol.In(["command", "question", "conversation"]),
        vol.Optional("include_exported", default=False): boolean,
        vol.Optional("mark_exported", default=True): boolean,
        vol.Optional("limit"): integer(1, 10_000_000),
    }
)


async def feedback(request: web.Request) -> web.Response:
    body = validate(FEEDBACK_SCHEMA, await read_json(request))
    result = await training.record_feedback(
        request.app[POOL],
        interaction_id=body["interaction_id"],
        score=body["score"],
        comment=body.get("comment"),
        source=body["source"],
        metadata=body["metadata"],
        feedback_id=body.get("feedback_id"),
    )
    return json_response(
        {
            "id": result.id,
            "interaction_id": result.interaction_id,
            "score": result.score,
            "matched": result.matched,
            "created": result.created,
        },
        status=201 if result.created else 200,
    )


async def export(request: web.Request) -> web.StreamResponse:
    """Stream JSONL from a server-side cursor; rows are marked exported only when the whole
    export was written (a dropped connection rolls the marking back)."""
    params = validate_query(EXPORT_QUERY_SCHEMA, request.query)
    filters = training.ExportFilters(
        min_score=params.get("min_score"),
        language=params.get("language"),
        since=params.get("since"),
        until=params.get("until"),
        include_exported=params["include_exported"],
        limit=params.get("limit"),
        interaction_type=params.get("interaction_type"),
    )
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/x-ndjson",
            "Content-Disposition": 'attachment; filename="training.jsonl"',
        }
    )
    batch: list[int] = []
    async with request.app[POOL].acquire() as conn, conn.transaction():
        await response.prepare(request)
        async for row in training.export_examples(conn, filters):
            await response.write(orjson.dumps(training.chat_example(row)) + b"\n")
            batch.append(row["id"])
            if params["mark_exported"] and len(batch) >= MARK_BATCH:
                await training.mark_exported(conn, batch)
                batch = []
        if params["mark_exported"] and batch:
            await training.mark_exported(conn, batch)
    await response.write_eof()
    return response
