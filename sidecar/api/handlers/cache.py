"""Response cache: exact lookup, store, stats, clear."""

from __future__ import annotations

import voluptuous as vol
from aiohttp import web

from ...keys import METRICS, POOL, SETTINGS
from ...store import cache
from ..responses import json_response
from ..validation import boolean, integer, json_object, read_json, text, validate, validate_query

_LANGUAGE = text(35, allow_empty=True)
_SCOPE = text(255, allow_empty=True)
LOOKUP_SCHEMA = vol.Schema(
    {
        vol.Required("query"): text(2000),
        vol.Optional("language", default=""): _LANGUAGE,
        vol.Optional("scope", default=""): _SCOPE,
    }
)
STORE_SCHEMA = vol.Schema(
    {
        vol.Required("query"): text(2000),
        vol.Required("response"): text(),
        vol.Optional("language", default=""): _LANGUAGE,
        vol.Optional("scope", default=""): _SCOPE,
        vol.Optional("kind", default="answer"): vol.In(["answer", "plan"]),
        vol.Optional("metadata", default=dict): json_object,
        vol.Optional("ttl_seconds"): integer(1, 30 * 86400),
    }
)
CLEAR_QUERY_SCHEMA = vol.Schema({vol.Optional("all", default=False): boolean})


async def lookup(request: web.Request) -> web.Response:
    body = validate(LOOKUP_SCHEMA, await read_json(request))
    entry = await cache.lookup(request.app[POOL], body["query"], body["language"], body["scope"])
    request.app[METRICS].cache_lookups.labels("hit" if entry else "miss").inc()
    if entry is None:
        return json_response({"hit": False})
    return json_response({"hit": True, "match": "exact", "entry": dict(entry)})


async def store(request: web.Request) -> web.Response:
    body = validate(STORE_SCHEMA, await read_json(request))
    settings = request.app[SETTINGS]
    entry_id, expires_at = await cache.store(
        request.app[POOL],
        query=body["query"],
        response=body["response"],
        language=body["language"],
        scope=body["scope"],
        kind=body["kind"],
        metadata=body["metadata"],
        ttl_seconds=body.get("ttl_seconds", settings.cache_ttl_seconds),
        max_entries=settings.cache_max_entries,
    )
    return json_response({"id": entry_id, "expires_at": expires_at}, status=201)


async def cache_summary(app: web.Application) -> dict[str, object]:
    """Entries, hits, misses and hit rate; also part of `/stats`."""
    record = await cache.stats(app[POOL])
    settings = app[SETTINGS]
    lookups = record["hits"] + record["misses"]
    return {
        **dict(record),
        "hit_rate": round(record["hits"] / lookups, 4) if lookups else 0.0,
        "max_entries": settings.cache_max_entries,
        "ttl_seconds": settings.cache_ttl_seconds,
    }


async def stats(request: web.Request) -> web.Response:
    return json_response(await cache_summary(request.app))


async def clear(request: web.Request) -> web.Response:
    params = validate_query(CLEAR_QUERY_SCHEMA, request.query)
    deleted = await cache.clear(request.app[POOL], everything=params["all"])
    return json_response({"deleted": deleted, "cleared": "all" if params["all"] else "expired"})
