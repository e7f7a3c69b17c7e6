"""POST /memory/import: NDJSON streamed into one transaction; the HNSW index is rebuilt after
a large import and kept for a small one; a bad line anywhere leaves nothing behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
from aiohttp.test_utils import TestClient

from sidecar.keys import SETTINGS
from tests.support.embedding_server import embed_text

from .conftest import eventually, table_counts

NDJSON = {"Content-Type": "application/x-ndjson"}
INDEX_DEFINITION = "SELECT indexdef FROM pg_indexes WHERE indexname = 'knowledge_embedding_hnsw'"


def _line(content: str, **fields: Any) -> bytes:
    return orjson.dumps({"content": content, **fields}) + b"\n"


async def _streamed(lines: list[bytes], piece: int = 5000) -> AsyncIterator[bytes]:
    """The body in pieces that cut lines in the middle, as a network delivers it."""
    body = b"".join(lines)
    for start in range(0, len(body), piece):
        yield body[start : start + piece]


async def _database(client: TestClient) -> asyncpg.Connection:
    return await asyncpg.connect(client.app[SETTINGS].database_url)


async def test_a_large_import_is_stored_searchable_and_indexed_afresh(client: TestClient) -> None:
    await client.post("/memory/add", json={"content": "The boiler is in the basement"})
    facts = [f"Fact {n}: the {n}th lamp is a floor lamp by window {n}" for n in range(1500)]
    lines = [_line(fact, domain="devices", embedding=embed_text(fact, 384)) for fact in facts]
    lines[7] = _line(facts[7], domain="devices")  # no vector: embedded in the background
    lines.append(_line("the boiler is in the BASEMENT"))  # already stored
    lines.append(_line(facts[3], domain="devices"))  # the same fact twice in the import
    lines.insert(100, b"\n")  # blank lines are skipped

    response = await client.post("/memory/import", data=_streamed(lines), headers=NDJSON)

    assert response.status == 200, await response.text()
    assert await response.json() == {
        "received": 1502,
        "created": 1500,
        "duplicates": 2,
        "pending_embeddings": 1,
        "index_rebuilt": True,
    }
    assert (await table_counts(client))["knowledge"] == 1501
    conn = await _database(client)
    try:
        assert "halfvec_cosine_ops" in await conn.fetchval(INDEX_DEFINITION)
    finally:
        await conn.close()
    query = facts[1234]
    search = await client.post(
        "/memory/search",
        json={"query": query, "mode": "vector", "limit": 1, "embedding": embed_text(query, 384)},
    )
    assert [hit["content"] for hit in (await search.json())["results"]] == [query]

    async def embedded() -> bool:
        listed = await client.get("/memory/list", params={"domain": "devices", "limit": 500})
        return "pending" not in {m["embedding_status"] for m in (await listed.json())["memories"]}

    await eventually(embedded)


async def test_a_small_import_into_a_large_table_keeps_the_index(client: TestClient) -> None:
    items = [
        {"content": f"Stored fact {n}", "embedding": embed_text(f"s{n}", 384)} for n in range(70)
    ]
    await client.post("/memory/batch", json={"items": items})
    conn = await _database(client)
    try:
        await conn.execute("ANALYZE knowledge")  # the row estimate the import decides by
        index_oid = await conn.fetchval("SELECT 'knowledge_embedding_hnsw'::regclass::oid")
        lines = [_line(f"New fact {n}", embedding=embed_text(f"n{n}", 384)) for n in range(9)]

        response = await client.post("/memory/import", data=b"".join(lines), headers=NDJSON)

        assert (await response.json())["index_rebuilt"] is False  # 9 × 7 < 70 rows
        assert await conn.fetchval("SELECT 'knowledge_embedding_hnsw'::regclass::oid") == index_oid
        assert await conn.fetchval("SELECT count(*) FROM knowledge") == 79
    finally:
        await conn.close()


async def test_a_bad_line_anywhere_leaves_nothing_behind(client: TestClient) -> None:
    good = [_line(f"Fact {n}", embedding=embed_text(f"Fact {n}", 384)) for n in range(2500)]
    bad_lines = {
        "wrong dimension": (_line("x", embedding=[0.1, 0.2]), "line 2201: embedding: expected 384"),
        "not JSON": (b'{"content": "x",\n', "line 2201: not valid JSON"),
        "unknown field": (_line("x", colour="red"), "line 2201: colour: extra keys not allowed"),
        "too large": (_line("x", embedding=[7e4] * 384), "line 2201: embedding: numbers must fit"),
    }
    conn = await _database(client)
    try:
        index_oid = await conn.fetchval("SELECT 'knowledge_embedding_hnsw'::regclass::oid")
        for case, (bad, message) in bad_lines.items():
            lines = [*good[:2200], bad, *good[2200:]]
            response = await client.post("/memory/import", data=_streamed(lines), headers=NDJSON)
            assert response.status == 400, case
            assert message in (await response.json())["message"], case
        assert await conn.fetchval("SELECT count(*) FROM knowledge") == 0
        # By line 2201 the import had dropped the index and inserted 2000 rows: the rollback
        # brought back the same index.
        assert await conn.fetchval("SELECT 'knowledge_embedding_hnsw'::regclass::oid") == index_oid
    finally:
        await conn.close()


async def test_an_import_needs_ndjson_lines_of_bounded_length(client: TestClient) -> None:
    as_json = await client.post("/memory/import", json={"content": "x"})
    assert as_json.status == 415
    assert "application/x-ndjson" in (await as_json.json())["message"]
    empty = await client.post("/memory/import", data=b"\n \n", headers=NDJSON)
    assert empty.status == 400
    assert (await empty.json())["message"] == "the body has no lines"
    endless = _line("ok") + b'{"content": "' + b"x" * 300_000 + b'"}\n'
    too_long = await client.post("/memory/import", data=_streamed([endless]), headers=NDJSON)
    assert too_long.status == 400
    assert (await too_long.json())["message"] == "line 2: longer than 262144 bytes"
    assert (await table_counts(client))["knowledge"] == 0
