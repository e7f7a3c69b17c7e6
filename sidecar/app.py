"""The application factory: one cleanup context per resource, middlewares, routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from .api.middleware import auth_middleware, error_middleware, metrics_middleware
from .api.routes import add_routes
from .db import DATABASE_ERRORS
from .db.embedding_space import ensure_space
from .db.migrate import default_migrations_dir, load_migrations, migrate
from .db.pool import create_pool
from .embeddings.backfill import BackfillWorker
from .embeddings.providers import EmbeddingProvider, OllamaProvider, OpenAIProvider
from .embeddings.service import Embedder
from .keys import (
    BACKFILL,
    BACKFILL_TASK,
    EMBEDDER,
    HTTP_SESSION,
    INSTANCE_ID,
    METRICS,
    MIGRATIONS,
    POOL,
    SETTINGS,
    TOKEN,
    TRIGRAM,
)
from .metrics import Metrics
from .retention import RetentionPolicy, RetentionWorker
from .settings import Settings
from .store.stats import instance_id

_LOGGER = logging.getLogger(__name__)

DATABASE_WAIT_SECONDS = 60
# A pass may be waiting on the embedding provider, whose calls time out on their own.
BACKFILL_STOP_SECONDS = 15
HAS_TRIGRAM = "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')"


async def http_session_ctx(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[HTTP_SESSION] = session
        yield


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Apply migrations (waiting for a database that is still starting), then open the pool."""
    settings = app[SETTINGS]
    assert settings.database_url, "the CLI resolves the embedded database before create_app"
    # Read once: /readyz compares the database with them on every probe.
    app[MIGRATIONS] = await asyncio.to_thread(load_migrations, default_migrations_dir())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DATABASE_WAIT_SECONDS
    while True:
        try:
            status = await migrate(settings.database_url, migrations=app[MIGRATIONS])
            break
        except DATABASE_ERRORS as err:
            if loop.time() > deadline:
                raise
            _LOGGER.warning("Database not reachable yet (%s); retrying", err)
            await asyncio.sleep(2)
    if status.newly_applied:
        _LOGGER.info("Applied migrations: %s", ", ".join(status.newly_applied))
    pool = await create_pool(
        settings.database_url, min_size=settings.pool_min_size, max_size=settings.pool_max_size
    )
    app[POOL] = pool
    app[INSTANCE_ID] = await instance_id(pool)
    app[TRIGRAM] = await pool.fetchval(HAS_TRIGRAM)
    try:
        yield
    finally:
        await asyncio.wait_for(pool.close(), timeout=10)


def build_provider(settings: Settings, session: aiohttp.ClientSession) -> EmbeddingProvider | None:
    common = {"model": settings.embedding_model, "timeout": settings.embedding_timeout}
    if settings.embedding_provider == "ollama":
        return OllamaProvider(session, base_url=settings.embedding_url, **common)
    if settings.embedding_provider == "openai":
        return OpenAIProvider(
            session,
            base_url=settings.embedding_url,
            api_key=settings.embedding_api_key,
            dimensions=settings.embedding_dimensions,
            **common,
        )
    return None


async def embeddings_ctx(app: web.Application) -> AsyncIterator[None]:
    """Learn the embedding space, then keep vectors filled in from a background task."""
    settings = app[SETTINGS]
    provider = build_provider(settings, app[HTTP_SESSION])
    embedder = Embedder(
        provider,
        provider_name=settings.embedding_provider,
        query_prefix=settings.embedding_query_prefix,
        document_prefix=settings.embedding_document_prefix,
    )
    worker = BackfillWorker(app[POOL], embedder, interval=settings.backfill_interval)
    if provider is None and settings.embedding_dimensions:
        # Vectors come only from clients: the configured dimension defines the space.
        await ensure_space(app[POOL], embedder.model, settings.embedding_dimensions)
        embedder.dimensions = settings.embedding_dimensions
    else:
        await worker.establish_space()
    app[EMBEDDER] = embedder
    app[BACKFILL] = worker
    app[BACKFILL_TASK] = asyncio.create_task(worker.run(), name="embedding-backfill")
    try:
        yield
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(app[BACKFILL_TASK], timeout=BACKFILL_STOP_SECONDS)
        except TimeoutError:
            _LOGGER.warning("Embedding backfill did not stop in time; cancelled")
        await embedder.close()


async def retention_ctx(app: web.Application) -> AsyncIterator[None]:
    """Delete old conversation history and training data in the background (retention.py)."""
    settings = app[SETTINGS]
    policy = RetentionPolicy(
        settings.retention_conversations_days, settings.retention_training_days
    )
    if not policy.enabled:
        yield
        return
    worker = RetentionWorker(app[POOL], policy, interval=settings.retention_interval)
    task = asyncio.create_task(worker.run(), name="retention")
    try:
        yield
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(task, timeout=BACKFILL_STOP_SECONDS)
        except TimeoutError:
            _LOGGER.warning("Retention sweep did not stop in time; cancelled")


def create_app(settings: Settings, *, token: str) -> web.Application:
    """The sidecar as an aiohttp application; `settings.database_url` must be set."""
    app = web.Application(
        middlewares=[metrics_middleware, error_middleware, auth_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[TOKEN] = token
    app[METRICS] = Metrics()
    app.cleanup_ctx.extend([http_session_ctx, database_ctx, embeddings_ctx, retention_ctx])
    add_routes(app)
    return app
