"""Memories: add (single and batch), search (GET and POST), list, get, update, delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import voluptuous as vol
from aiohttp import web

from ...keys import BACKFILL, EMBEDDER, METRICS, POOL, TRIGRAM
from ...store import knowledge
from ..errors import bad_request, not_found
from ..responses import json_response, rows
from ..validation import (
    comma_list,
    integer,
    json_object,
    name,
    number,
    read_json,
    text,
    timestamp,
    validate,
    validate_query,
    vector,
)

SCOPES = vol.In(["household", "person", "area", "device"])
MODES = vol.In(["hybrid", "vector", "lexical"])

_MEMORY_FIELDS = {
    vol.Optional("domain"): name,
    vol.Optional("source"): vol.Any(None, text(255)),
    vol.Optional("tags"): vol.All([name], vol.Length(max=32)),
    vol.Optional("importance"): number(0, 1),
    vol.Optional("metadata"): json_object,
    vol.Optional("scope"): SCOPES,
    vol.Optional("scope_id"): vol.Any("", name),
    vol.Optional("ttl_seconds"): vol.Any(None, integer(1, 10 * 365 * 86400)),
}
ADD_SCHEMA = vol.Schema(
    {vol.Required("content"): text(), **_MEMORY_FIELDS, vol.Optional("embedding"): vector}
)
BATCH_SCHEMA = vol.Schema(
    {vol.Required("items"): vol.All([ADD_SCHEMA], vol.Length(min=1, max=1000))}
)
UPDATE_SCHEMA = vol.Schema(
    vol.All({vol.Optional("content"): text(), **_MEMORY_FIELDS}, vol.Length(min=1))
)
_SEARCH_FIELDS = {
    vol.Required("query"): text(2000),
    vol.Optional("limit", default=5): integer(1, 100),
    vol.Optional("domain"): name,
    vol.Optional("tags"): comma_list(name),
    vol.Optional("scope"): SCOPES,
    vol.Optional("scope_id"): vol.Any("", name),
    vol.Optional("since"): timestamp,
    vol.Optional("until"): timestamp,
    vol.Optional("min_similarity"): number(-1, 1),
    vol.Optional("mode", default="hybrid"): MODES,
}
SEARCH_QUERY_SCHEMA = vol.Schema(_SEARCH_FIELDS)
SEARCH_BODY_SCHEMA = vol.Schema({**_SEARCH_FIELDS, vol.Optional("embedding"): vector})
LIST_QUERY_SCHEMA = vol.Schema(
    {
        vol.Optional("domain"): name,
        vol.Optional("scope"): SCOPES,
        vol.Optional("scope_id"): vol.Any("", name),
        vol.Optional("tags"): comma_list(name),
        vol.Optional("limit", default=50): integer(1, 500),
        vol.Optional("before_id"): integer(1, 2**63 - 1),
    }
)


def _expires_at(ttl_seconds: int | None) -> datetime | None:
    return datetime.now(UTC) + timedelta(seconds=ttl_seconds) if ttl_seconds else None


def new_memory(body: dict[str, Any]) -> knowledge.NewMemory:
    return knowledge.NewMemory(
        content=body["content"],
        domain=body.get("domain", "default"),
        source=body.get("source"),
        tags=body.get("tags"),
        importance=body.get("importance", 0.5),
        metadata=body.get("metadata"),
        scope=body.get("scope", "household"),
        scope_id=body.get("scope_id", ""),
        expires_at=_expires_at(body.get("ttl_seconds")),
    )


def _memory_id(request: web.Request) -> int:
    raw = request.match_info["memory_id"]
    # isdigit() alone accepts "¹" and other Unicode digits that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= 2**63:
        raise not_found(f"no memory with id {raw!r}")
    return int(raw)


def check_client_vector(request: web.Request, vec: list[float], path: str) -> None:
    """A vector the client sent must be in the embedding space: 400 naming `path` if not."""
    embedder = request.app[EMBEDDER]
    if embedder.dimensions is None:
        raise bad_request(
            f"{path}: the embedding dimension is not known yet (no provider has answered and "
            "EMBEDDING_DIMENSIONS is unset)"
        )
    # The values were checked by validation.vector already; a client vector only has to
    # match the model's dimension (re-checking every number cost ~50 µs per vector).
    if len(vec) != embedder.dimensions:
        raise bad_request(f"{path}: expected {embedder.dimensions} dimensions, got {len(vec)}")


async def _document_vectors(
    request: web.Request, bodies: list[dict[str, Any]], *, path: str = "items.{index}.embedding"
) -> list[list[float] | None]:
    """Client vectors are checked against the model's dimension; the rest are embedded now or
    left pending (provider down) for the backfill worker."""
    embedder = request.app[EMBEDDER]
    vectors: list[list[float] | None] = [body.get("embedding") for body in bodies]
    for index, vec in enumerate(vectors):
        if vec is not None:
            check_client_vector(request, vec, path.format(index=index))
    missing = [index for index, vec in enumerate(vectors) if vec is None]
    if missing:
        embedded = await embedder.embed_documents([bodies[index]["content"] for index in missing])
        if embedded is None:
            request.app[BACKFILL].wake()
        else:
            for index, vec in zip(missing, embedded, strict=True):
                vectors[index] = vec
    return vectors


async def add_memory(request: web.Request) -> web.Response:
    body = validate(ADD_SCHEMA, await read_json(request))
    [vec] = await _document_vectors(request, [body], path="embedding")
    record = await knowledge.add_memory(request.app[POOL], new_memory(body), vec)
    return json_response(
        {
            "id": record["id"],
            "created": record["created"],
            "embedding_status": "stored" if record["embedded"] else "pending",
        },
        status=201 if record["created"] else 200,
    )


async def add_memories(request: web.Request) -> web.Response:
    body = validate(BATCH_SCHEMA, await read_json(request))
    items = body["items"]
    vectors = await _document_vectors(request, items)
    results = await knowledge.add_memories(
        request.app[POOL], [new_memory(item) for item in items], vectors
    )
    created = sum(1 for result in results if result["created"])
    return json_response(
        {
            "results": [{"id": r["id"], "created": r["created"]} for r in results],
            "created": created,
            "duplicates": len(results) - created,
        }
    )


async def _search(request: web.Request, params: dict[str, Any]) -> web.Response:
    embedder = request.app[EMBEDDER]
    mode = params["mode"]
    vec = params.get("embedding")
    reason = None
    if vec is not None:
        check_client_vector(request, vec, "embedding")
    elif mode != "lexical":
        vec = await embedder.embed_query(params["query"])
        if vec is None:
            reason = f"embedding provider unavailable: {embedder.reason}"
    if vec is None and mode != "lexical":
        mode = "lexical"
        request.app[METRICS].search_degraded.inc()
    filters = knowledge.SearchFilters(
        domain=params.get("domain"),
        tags=params.get("tags") or None,
        scope=params.get("scope"),
        scope_id=params.get("scope_id"),
        since=params.get("since"),
        until=params.get("until"),
    )
    results = rows(
        await knowledge.search_memories(
            request.app[POOL],
            trigram=request.app[TRIGRAM],
            mode=mode,
            query=params["query"],
            vector=vec,
            filters=filters,
            limit=params["limit"],
        )
    )
    if (minimum := params.get("min_similarity")) is not None:
        # Lexical-only matches share words with the query and have no similarity: kept.
        results = [r for r in results if r["similarity"] is None or r["similarity"] >= minimum]
    answer: dict[str, Any] = {
        "query": params["query"],
        "mode": mode,
        "degraded": reason is not None,
        "results": results,
    }
    if reason:
        answer["reason"] = reason
    return json_response(answer)


async def search_get(request: web.Request) -> web.Response:
    return await _search(request, validate_query(SEARCH_QUERY_SCHEMA, request.query))


async def search_post(request: web.Request) -> web.Response:
    return await _search(request, validate(SEARCH_BODY_SCHEMA, await read_json(request)))


async def list_memories(request: web.Request) -> web.Response:
    params = validate_query(LIST_QUERY_SCHEMA, request.query)
    filters = knowledge.SearchFilters(
        domain=params.get("domain"),
        tags=params.get("tags") or None,
        scope=params.get("scope"),
        scope_id=params.get("scope_id"),
    )
    memories = rows(
        await knowledge.list_memories(
            request.app[POOL], filters, params.get("before_id"), params["limit"]
        )
    )
    next_before = memories[-1]["id"] if len(memories) == params["limit"] else None
    return json_response({"memories": memories, "next_before_id": next_before})


async def get_memory(request: web.Request) -> web.Response:
    memory_id = _memory_id(request)
    record = await knowledge.get_memory(request.app[POOL], memory_id)
    if record is None:
        raise not_found(f"no memory with id {memory_id}")
    return json_response(dict(record))


async def update_memory(request: web.Request) -> web.Response:
    memory_id = _memory_id(request)
    changes = validate(UPDATE_SCHEMA, await read_json(request))
    if "ttl_seconds" in changes:
        changes["expires_at"] = _expires_at(changes.pop("ttl_seconds"))
    record = await knowledge.update_memory(request.app[POOL], memory_id, changes)
    if record is None:
        raise not_found(f"no memory with id {memory_id}")
    if record["embedding_status"] == "pending":
        request.app[BACKFILL].wake()
    return json_response(dict(record))


async def delete_memory(request: web.Request) -> web.Response:
    memory_id = _memory_id(request)
    if not await knowledge.delete_memory(request.app[POOL], memory_id):
        raise not_found(f"no memory with id {memory_id}")
    return json_response({"deleted": True, "id": memory_id})
