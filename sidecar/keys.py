"""Typed application state keys (aiohttp `web.AppKey`)."""

from __future__ import annotations

import asyncio

import aiohttp
import asyncpg
from aiohttp import web

from .db.migrate import Migration
from .embeddings.backfill import BackfillWorker
from .embeddings.service import Embedder
from .metrics import Metrics
from .settings import Settings

SETTINGS = web.AppKey("settings", Settings)
TOKEN = web.AppKey("token", str)
POOL = web.AppKey("pool", asyncpg.Pool)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
EMBEDDER = web.AppKey("embedder", Embedder)
BACKFILL = web.AppKey("backfill", BackfillWorker)
BACKFILL_TASK = web.AppKey("backfill_task", asyncio.Task)
METRICS = web.AppKey("metrics", Metrics)
INSTANCE_ID = web.AppKey("instance_id", str)
# The shipped migrations, read at start-up (what /readyz compares the database with).
MIGRATIONS = web.AppKey("migrations", list[Migration])
# pg_trgm is installed: lexical search also matches by trigrams (typo tolerance).
TRIGRAM = web.AppKey("trigram", bool)
