"""Conversation turns: batched idempotent ingestion, history, search."""

from __future__ import annotations

import voluptuous as vol
from aiohttp import web

from ...keys import BACKFILL, EMBEDDER, METRICS, POOL, TRIGRAM
from ...store import conversations
from ..errors import bad_request
from ..responses import json_response, rows
from ..validation import (
    boolean,
    integer,
    json_object,
    name,
    number,
    read_json,
    text,
    timestamp,
    validate,
    validate_query,
)

_ID = text(255)
TURN_SCHEMA = vol.Schema(
    {
        vol.Required("turn_id"): _ID,
        vol.Optional("session_id"): vol.Any(None, _ID),
        vol.Optional("conversation_id"): vol.Any(None, _ID),
        vol.Optional("role"): vol.In(["user", "assistant", "system"]),
        vol.Required("content"): text(),
        vol.Optional("response"): vol.Any(None, text(allow_empty=True)),
        vol.Optional("language"): vol.Any(None, text(35)),
        vol.Optional("intent"): vol.Any(None, text(255)),
        vol.Optional("response_type"): vol.Any(None, name),
        vol.Optional("user_id"): vol.Any(None, _ID),
        vol.Optional("device_id"): vol.Any(None, _ID),
        vol.Optional("satellite_id"): vol.Any(None, _ID),
        vol.Optional("area_id"): vol.Any(None, _ID),
        vol.Optional("agent_id"): vol.Any(None, _ID),
        vol.Optional("latency_ms"): vol.Any(None, number(0, 86_400_000)),
        vol.Optional("memories_used"): vol.All([integer(1, 2**63 - 1)], vol.Length(max=100)),
        vol.Optional("metadata"): json_object,
        vol.Optional("created_at"): timestamp,
        vol.Optional("interaction_type"): vol.In(["command", "question", "conversation"]),
        vol.Optional("training"): boolean,
    }
)
INGEST_SCHEMA = vol.Schema(
    {vol.Required("turns"): vol.All([TURN_SCHEMA], vol.Length(min=1, max=500))}
)
HISTORY_QUERY_SCHEMA = vol.Schema(
    {
        vol.Optional("session_id"): _ID,
        vol.Optional("conversation_id"): _ID,
        vol.Optional("device_id"): _ID,
        vol.Optional("since"): timestamp,
        vol.Optional("until"): timestamp,
        vol.Optional("limit", default=50): integer(1, 500),
    }
)
SEARCH_QUERY_SCHEMA = vol.Schema(
    {
        vol.Required("query"): text(2000),
        vol.Optional("limit", default=10): integer(1, 100),
        vol.Optional("device_id"): _ID,
        vol.Optional("language"): text(35),
        vol.Optional("since"): timestamp,
        vol.Optional("until"): timestamp,
    }
)


async def ingest_turns(request: web.Request) -> web.Response:
    body = validate(INGEST_SCHEMA, await read_json(request))
    results = await conversations.ingest_turns(request.app[POOL], body["turns"])
    created = sum(1 for result in results if result["created"])
    if created:
        request.app[BACKFILL].wake()  # turns are embedded off the request path
    return json_response(
        {"results": results, "created": created, "duplicates": len(results) - created}
    )


async def history(request: web.Request) -> web.Response:
    params = validate_query(HISTORY_QUERY_SCHEMA, request.query)
    if not {"session_id", "conversation_id", "device_id"} & params.keys():
        raise bad_request("give session_id, conversation_id or device_id")
    turns = await conversations.history(
        request.app[POOL],
        session_id=params.get("session_id"),
        conversation_id=params.get("conversation_id"),
        device_id=params.get("device_id"),
        since=params.get("since"),
        until=params.get("until"),
        limit=params["limit"],
    )
    return json_response({"turns": rows(turns)})


async def search(request: web.Request) -> web.Response:
    params = validate_query(SEARCH_QUERY_SCHEMA, request.query)
    embedder = request.app[EMBEDDER]
    vector = await embedder.embed_query(params["query"])
    mode = "hybrid" if vector is not None else "lexical"
    if vector is None:
        request.app[METRICS].search_degraded.inc()
    filters = conversations.TurnFilters(
        device_id=params.get("device_id"),
        language=params.get("language"),
        since=params.get("since"),
        until=params.get("until"),
    )
    results = await conversations.search_turns(
        request.app[POOL],
        trigram=request.app[TRIGRAM],
        mode=mode,
        query=params["query"],
        vector=vector,
        filters=filters,
        limit=params["limit"],
    )
    answer = {
        "query": params["query"],
        "mode": mode,
        "degraded": vector is None,
        "results": rows(results),
    }
    if vector is None:
        answer["reason"] = f"embedding provider unavailable: {embedder.reason}"
    return json_response(answer)
