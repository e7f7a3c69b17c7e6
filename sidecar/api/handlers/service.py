"""Health, readiness, identity, counts, metrics and the OpenAPI document."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ... import __version__
from ...db import DATABASE_ERRORS
from ...db.migrate import migration_status
from ...keys import BACKFILL, EMBEDDER, INSTANCE_ID, METRICS, MIGRATIONS, POOL
from ...store import stats as stats_store
from ..openapi import build_openapi
from ..responses import json_response
from .cache import cache_summary


def _embeddings(app: web.Application) -> dict[str, object]:
    status = asdict(app[EMBEDDER].status())
    status["backlog"] = app[BACKFILL].backlog
    return status


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        async with request.app[POOL].acquire(timeout=2) as conn:
            migrations = await migration_status(conn, request.app[MIGRATIONS])
    except DATABASE_ERRORS as err:
        return json_response(
            {"status": "unavailable", "database": f"unreachable: {type(err).__name__}"}, status=503
        )
    ready = migrations.pending == 0
    return json_response(
        {
            "status": "ready" if ready else "migrations_pending",
            "database": "ok",
            "migrations": {"applied": migrations.applied, "pending": migrations.pending},
            "embeddings": _embeddings(request.app),
        },
        status=200 if ready else 503,
    )


async def info(request: web.Request) -> web.Response:
    return json_response(
        {
            "instance_id": request.app[INSTANCE_ID],
            "version": __version__,
            "embeddings": _embeddings(request.app),
        }
    )


async def stats(request: web.Request) -> web.Response:
    counts = dict(await stats_store.counts(request.app[POOL]))
    return json_response(
        {
            "version": __version__,
            "memories": counts["memories"],
            "turns": counts["turns"],
            "preferences": counts["preferences"],
            "aliases": counts["aliases"],
            "feedback": counts["feedback"],
            "training": {
                "examples": counts["training_examples"],
                "pending_export": counts["training_pending_export"],
                "with_feedback": counts["training_with_feedback"],
            },
            "cache": await cache_summary(request.app),
            "embeddings": _embeddings(request.app),
        }
    )


async def metrics(request: web.Request) -> web.Response:
    app_metrics = request.app[METRICS]
    embedder = request.app[EMBEDDER]
    app_metrics.embedding_backlog.set(request.app[BACKFILL].backlog)
    app_metrics.embedding_available.set(1 if embedder.healthy else 0)
    return web.Response(
        body=generate_latest(app_metrics.registry),
        headers={"Content-Type": CONTENT_TYPE_LATEST},
    )


async def openapi(request: web.Request) -> web.Response:
    return json_response(build_openapi())
