"""Response cache: exact and semantic lookup, store, invalidate, stats, clear."""

from __future__ import annotations

import asyncio
import logging

import voluptuous as vol
from aiohttp import web

from ...embeddings.service import Embedder
from ...keys import BACKFILL, EMBEDDER, METRICS, POOL, SETTINGS
from ...store import cache
from ..errors import bad_request
from ..responses import json_response
from ..validation import (
    boolean,
    integer,
    json_object,
    number,
    read_json,
    text,
    validate,
    validate_query,
    vector,
)
from .memory import check_client_vector

_LOGGER = logging.getLogger(__name__)

# Cosine similarity a semantic hit needs unless the request says otherwise. Only entries with
# the same slot signature are compared at all, so the threshold guards paraphrase quality,
# not polarity or numbers (those are in the signature).
DEFAULT_SIMILARITY = 0.9
# A lookup sits on the voice path: it never waits long for the embedding provider.
LOOKUP_EMBED_TIMEOUT = 1.5
KINDS = ["answer", "plan"]

_LANGUAGE = text(35, allow_empty=True)
_SCOPE = text(255, allow_empty=True)
_KINDS = vol.All([vol.In(KINDS)], vol.Length(min=1, max=2))
_DEPENDENCIES = vol.All([text(255)], vol.Length(max=100))
LOOKUP_SCHEMA = vol.Schema(
    {
        vol.Required("query"): text(2000),
        vol.Optional("language", default=""): _LANGUAGE,
        vol.Optional("scope", default=""): _SCOPE,
        vol.Optional("signature"): vol.Any(None, json_object),
        vol.Optional("kinds", default=list(KINDS)): _KINDS,
        vol.Optional("min_similarity", default=DEFAULT_SIMILARITY): number(0, 1),
        vol.Optional("semantic", default=True): boolean,
        # The query's embedding, computed by the client: used instead of the provider.
        vol.Optional("embedding"): vector,
    }
)
STORE_SCHEMA = vol.Schema(
    {
        vol.Required("query"): text(2000),
        vol.Required("response"): text(),
        vol.Optional("language", default=""): _LANGUAGE,
        vol.Optional("scope", default=""): _SCOPE,
        vol.Optional("kind", default="answer"): vol.In(KINDS),
        vol.Optional("metadata", default=dict): json_object,
        vol.Optional("signature"): vol.Any(None, json_object),
        vol.Optional("dependencies", default=list): _DEPENDENCIES,
        vol.Optional("ttl_seconds"): integer(1, 30 * 86400),
        # The entry's embedding (as a query), computed by the client: used instead of the
        # provider.
        vol.Optional("embedding"): vector,
    }
)
INVALIDATE_SCHEMA = vol.Schema(
    {
        vol.Optional("ids", default=list): vol.All([integer(1, 2**63 - 1)], vol.Length(max=1000)),
        vol.Optional("dependencies", default=list): _DEPENDENCIES,
        vol.Optional("mentions", default=list): vol.All([text(255)], vol.Length(max=100)),
        vol.Optional("false_hit", default=False): boolean,
    }
)
CLEAR_QUERY_SCHEMA = vol.Schema({vol.Optional("all", default=False): boolean})


async def _embed(embedder: Embedder, query: str, within: float) -> list[float] | None:
    """The query's vector, or None when the provider is down or slower than `within` s.

    The text as said, not its normalised form: the turn's memory search embeds the same
    text at the same moment, and then both share one provider call (query_vectors.py)."""
    if not embedder.available:
        return None
    try:
        async with asyncio.timeout(within):
            return await embedder.embed_query(query)
    except TimeoutError:
        _LOGGER.debug("Embedding took longer than %s s; cache lookup stays exact", within)
        return None


async def lookup(request: web.Request) -> web.Response:
    body = validate(LOOKUP_SCHEMA, await read_json(request))
    # Checked before anything is looked up, so a bad vector is refused whatever would match.
    if (client_vector := body.get("embedding")) is not None:
        check_client_vector(request, client_vector, "embedding")
    pool, embedder = request.app[POOL], request.app[EMBEDDER]
    key = cache.cache_key(body["query"], body["language"], body["scope"], body.get("signature"))
    lookups = request.app[METRICS].cache_lookups
    # Semantic matching is only safe among entries with the same slot signature.
    semantic = key.signature_hash is not None and body["semantic"]
    semantic_possible = semantic and (client_vector is not None or embedder.available)
    entry = await cache.lookup_exact(pool, key, body["kinds"], final=not semantic_possible)
    if entry is not None:
        lookups.labels("hit").inc()
        return json_response(
            {"hit": True, "match": "exact", "similarity": 1.0, "entry": cache.entry_dict(entry)}
        )
    if not semantic_possible:  # the exact statement counted the miss
        lookups.labels("miss").inc()
        return json_response({"hit": False, "semantic": "unavailable" if semantic else "skipped"})
    query_vector = client_vector
    if query_vector is None:
        query_vector = await _embed(embedder, body["query"], LOOKUP_EMBED_TIMEOUT)
    if query_vector is None:
        await cache.count_miss(pool)
        lookups.labels("miss").inc()
        return json_response({"hit": False, "semantic": "unavailable"})
    row = await cache.lookup_semantic(
        pool, key, body["kinds"], query_vector, body["min_similarity"]
    )
    if row["id"] is None:
        lookups.labels("miss").inc()
        return json_response(
            {"hit": False, "semantic": "ok", "best_similarity": row["best_similarity"]}
        )
    lookups.labels("hit").inc()
    return json_response(
        {
            "hit": True,
            "match": "semantic",
            "similarity": row["similarity"],
            "entry": cache.entry_dict(row),
        }
    )


async def store(request: web.Request) -> web.Response:
    body = validate(STORE_SCHEMA, await read_json(request))
    settings = request.app[SETTINGS]
    signature = body.get("signature")
    key = cache.cache_key(body["query"], body["language"], body["scope"], signature)
    # Entries are embedded like lookups (as queries, the text as said) so that the same text
    # scores 1.0; the lookup a moment before usually left this vector to reuse. A client's
    # vector is stored as given (with or without a signature, like the backfill).
    entry_vector = body.get("embedding")
    if entry_vector is not None:
        check_client_vector(request, entry_vector, "embedding")
    elif signature is not None:
        entry_vector = await _embed(
            request.app[EMBEDDER], body["query"], settings.embedding_timeout
        )
    row = await cache.store(
        request.app[POOL],
        key=key,
        query=body["query"],
        response=body["response"],
        kind=body["kind"],
        metadata=body["metadata"],
        signature=signature,
        dependencies=body["dependencies"],
        vector=entry_vector,
        ttl_seconds=body.get("ttl_seconds", settings.cache_ttl_seconds),
        max_entries=settings.cache_max_entries,
    )
    if not row["embedded"]:
        request.app[BACKFILL].wake()
    return json_response(
        {
            "id": row["id"],
            "expires_at": row["expires_at"],
            "embedding_status": "stored" if row["embedded"] else "pending",
        },
        status=201,
    )


async def invalidate(request: web.Request) -> web.Response:
    body = validate(INVALIDATE_SCHEMA, await read_json(request))
    if not (body["ids"] or body["dependencies"] or body["mentions"]):
        raise bad_request("give ids, dependencies or mentions")
    deleted = await cache.invalidate(
        request.app[POOL],
        ids=body["ids"],
        dependencies=body["dependencies"],
        mentions=body["mentions"],
        false_hit=body["false_hit"],
    )
    return json_response({"deleted": deleted})


async def cache_summary(app: web.Application) -> dict[str, object]:
    """Entries, hits, misses, false hits and rates; also part of `/stats`."""
    record = await cache.stats(app[POOL])
    settings = app[SETTINGS]
    lookups = record["hits"] + record["misses"]
    hits = record["hits"]
    return {
        **dict(record),
        "hit_rate": round(hits / lookups, 4) if lookups else 0.0,
        "false_hit_rate": round(record["false_hits"] / hits, 4) if hits else 0.0,
        "max_entries": settings.cache_max_entries,
        "ttl_seconds": settings.cache_ttl_seconds,
        "similarity_threshold": DEFAULT_SIMILARITY,
    }


async def stats(request: web.Request) -> web.Response:
    return json_response(await cache_summary(request.app))


async def clear(request: web.Request) -> web.Response:
    params = validate_query(CLEAR_QUERY_SCHEMA, request.query)
    deleted = await cache.clear(request.app[POOL], everything=params["all"])
    return json_response({"deleted": deleted, "cleared": "all" if params["all"] else "expired"})
