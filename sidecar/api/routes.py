"""The route table: every endpoint once, with the schemas the OpenAPI document is built from."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import voluptuous as vol
from aiohttp import web

from .handlers import (
    cache,
    conversations,
    memory,
    memory_import,
    preferences,
    service,
    training,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: vol.Schema | None = None
    query: vol.Schema | None = None
    public: bool = False
    produces: str = "application/json"
    consumes: str = "application/json"


ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", service.healthz, "Liveness", "service", public=True),
    Route(
        "GET", "/readyz", service.readyz, "Database and migrations ready", "service", public=True
    ),
    Route("GET", "/info", service.info, "Instance id, version, embedding status", "service"),
    Route("GET", "/stats", service.stats, "Counts for dashboards", "service"),
    Route(
        "GET", "/metrics", service.metrics, "Prometheus metrics", "service", produces="text/plain"
    ),
    Route("GET", "/openapi.json", service.openapi, "This document", "service"),
    Route(
        "POST",
        "/memory/add",
        memory.add_memory,
        "Add a memory (no-op if already stored)",
        "memory",
        body=memory.ADD_SCHEMA,
    ),
    Route(
        "POST",
        "/memory/batch",
        memory.add_memories,
        "Add many memories in one transaction",
        "memory",
        body=memory.BATCH_SCHEMA,
    ),
    Route(
        "POST",
        "/memory/import",
        memory_import.import_memories,
        "Import many memories: NDJSON, one /memory/add body per line, all or nothing",
        "memory",
        body=memory.ADD_SCHEMA,
        consumes=memory_import.CONTENT_TYPE,
    ),
    Route(
        "GET",
        "/memory/search",
        memory.search_get,
        "Hybrid search over memories",
        "memory",
        query=memory.SEARCH_QUERY_SCHEMA,
    ),
    Route(
        "POST",
        "/memory/search",
        memory.search_post,
        "Hybrid search with a JSON body (optionally a query vector)",
        "memory",
        body=memory.SEARCH_BODY_SCHEMA,
    ),
    Route(
        "GET",
        "/memory/list",
        memory.list_memories,
        "List memories, newest first",
        "memory",
        query=memory.LIST_QUERY_SCHEMA,
    ),
    Route("GET", "/memory/{memory_id}", memory.get_memory, "One memory", "memory"),
    Route(
        "PATCH",
        "/memory/{memory_id}",
        memory.update_memory,
        "Change a memory",
        "memory",
        body=memory.UPDATE_SCHEMA,
    ),
    Route("DELETE", "/memory/{memory_id}", memory.delete_memory, "Forget a memory", "memory"),
    Route(
        "POST",
        "/preferences/set",
        preferences.set_preference,
        "Set a preference or alias",
        "preferences",
        body=preferences.SET_SCHEMA,
    ),
    Route(
        "GET",
        "/preferences/get",
        preferences.get_preference,
        "One preference",
        "preferences",
        query=preferences.KEY_QUERY_SCHEMA,
    ),
    Route(
        "GET",
        "/preferences/list",
        preferences.list_preferences,
        "List preferences",
        "preferences",
        query=preferences.LIST_QUERY_SCHEMA,
    ),
    Route(
        "DELETE",
        "/preferences/delete",
        preferences.delete_preference,
        "Delete a preference",
        "preferences",
        query=preferences.KEY_QUERY_SCHEMA,
    ),
    Route(
        "POST",
        "/conversations/turns",
        conversations.ingest_turns,
        "Record turns (idempotent on turn_id, atomic per batch)",
        "conversations",
        body=conversations.INGEST_SCHEMA,
    ),
    Route(
        "GET",
        "/conversations/history",
        conversations.history,
        "Turns of a conversation",
        "conversations",
        query=conversations.HISTORY_QUERY_SCHEMA,
    ),
    Route(
        "GET",
        "/conversations/search",
        conversations.search,
        "Search past turns",
        "conversations",
        query=conversations.SEARCH_QUERY_SCHEMA,
    ),
    Route(
        "POST",
        "/cache/lookup",
        cache.lookup,
        "Exact, then signature-guarded semantic cache lookup",
        "cache",
        body=cache.LOOKUP_SCHEMA,
    ),
    Route(
        "POST", "/cache/store", cache.store, "Store a cache entry", "cache", body=cache.STORE_SCHEMA
    ),
    Route(
        "POST",
        "/cache/invalidate",
        cache.invalidate,
        "Drop entries by id, dependency or mentioned phrase",
        "cache",
        body=cache.INVALIDATE_SCHEMA,
    ),
    Route("GET", "/cache/stats", cache.stats, "Cache statistics", "cache"),
    Route(
        "DELETE",
        "/cache/clear",
        cache.clear,
        "Drop expired (or all) entries",
        "cache",
        query=cache.CLEAR_QUERY_SCHEMA,
    ),
    Route(
        "POST",
        "/training/feedback",
        training.feedback,
        "Score a turn 1-5",
        "training",
        body=training.FEEDBACK_SCHEMA,
    ),
    Route(
        "GET",
        "/training/export",
        training.export,
        "Training examples as JSONL",
        "training",
        query=training.EXPORT_QUERY_SCHEMA,
        produces="application/x-ndjson",
    ),
)

PUBLIC_PATHS = frozenset(route.path for route in ROUTES if route.public)


def add_routes(app: web.Application) -> None:
    for route in ROUTES:
        # Path parameters are ids: only digits match, so `PATCH /memory/add` is a 405 (the
        # resource exists, the method does not), not a lookup of a memory called "add".
        path = re.sub(r"{(\w+)}", r"{\1:[0-9]+}", route.path)
        app.router.add_route(route.method, path, route.handler)
