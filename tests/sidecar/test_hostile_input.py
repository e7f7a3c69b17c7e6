"""Hostile input on every string field and body: answered with a clean 4xx (nothing written) or
stored literally as data; never a 5xx, never executed, never slow.

Complements test_security.py (one bad value per rule) with the systematic sweep: SQL injection
and NUL in every string field and filter, invalid UTF-8, oversized and deeply nested bodies in
every JSON field, non-finite and out-of-range vectors, and the regressions the fuzzer found.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from sidecar.keys import SETTINGS

from .conftest import DATA_TABLES

SQL_INJECTIONS = [
    "'; DROP TABLE knowledge; --",
    "' OR '1'='1",
    "x'); DELETE FROM preferences; --",
    "1; SELECT pg_sleep(3); --",
    "' UNION SELECT key, value FROM preferences --",
    '") OR 1=1 --',
    "$1 $2 ::text %s {0}",
    "\\'; TRUNCATE conversations; --",
]

# Each target: method, path, a valid request, and where its string fields are (a body path or a
# query parameter name). Values are put into a copy of the valid request one at a time.
VALID_TURN = {"turn_id": "hostile-turn", "content": "hello", "response": "hi"}
TARGETS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    (
        "POST",
        "/memory/add",
        {"content": "the fact", "domain": "d", "tags": ["t"], "metadata": {"k": "v"}},
        ["content", "domain", "source", "tags.0", "scope_id", "metadata.k"],
    ),
    (
        "POST",
        "/memory/batch",
        {"items": [{"content": "fact"}]},
        ["items.0.content", "items.0.domain"],
    ),
    ("GET", "/memory/search", {"query": "lamp"}, ["?query", "?domain", "?tags", "?scope_id"]),
    ("POST", "/memory/search", {"query": "lamp"}, ["query", "domain", "tags.0", "scope_id"]),
    ("GET", "/memory/list", {}, ["?domain", "?tags", "?scope_id"]),
    ("POST", "/preferences/set", {"key": "k", "value": "v"}, ["key", "value", "category"]),
    ("GET", "/preferences/get", {"key": "k"}, ["?key"]),
    ("GET", "/preferences/list", {}, ["?category", "?prefix"]),
    ("DELETE", "/preferences/delete", {"key": "k"}, ["?key"]),
    (
        "POST",
        "/conversations/turns",
        {"turns": [dict(VALID_TURN)]},
        [
            f"turns.0.{field}"
            for field in (
                "turn_id",
                "session_id",
                "conversation_id",
                "content",
                "response",
                "language",
                "intent",
                "response_type",
                "user_id",
                "device_id",
                "satellite_id",
                "area_id",
                "agent_id",
            )
        ],
    ),
    (
        "GET",
        "/conversations/history",
        {"session_id": "s"},
        ["?session_id", "?conversation_id", "?device_id"],
    ),
    ("GET", "/conversations/search", {"query": "q"}, ["?query", "?device_id", "?language"]),
    ("POST", "/cache/lookup", {"query": "q"}, ["query", "language", "scope"]),
    (
        "POST",
        "/cache/store",
        {"query": "q", "response": "r"},
        ["query", "response", "language", "scope"],
    ),
    (
        "POST",
        "/training/feedback",
        {"interaction_id": "t", "score": 3},
        ["interaction_id", "comment", "source"],
    ),
    ("GET", "/training/export", {"mark_exported": "false"}, ["?language"]),
]


def _with(request: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """A copy of `request` with the field at a dotted path (list indexes as numbers) set."""
    changed = copy.deepcopy(request)
    node: Any = changed
    *parents, last = field.lstrip("?").split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return changed


async def _send(client: TestClient, method: str, path: str, request: dict[str, Any]) -> Any:
    if method in {"GET", "DELETE"}:
        return await client.request(method, path, params=request)
    return await client.request(method, path, json=request)


class Database:
    """One connection for the many reads a sweep makes."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def counts(self) -> dict[str, int]:
        columns = ", ".join(f"(SELECT count(*) FROM {table}) AS {table}" for table in DATA_TABLES)
        return dict(await self.conn.fetchrow(f"SELECT {columns}"))

    async def objects(self) -> list[str]:
        rows = await self.conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' ORDER BY 1"
        )
        return [row[0] for row in rows]

    async def empty(self) -> bool:
        return set((await self.counts()).values()) == {0}


@pytest.fixture
async def db(client: TestClient) -> AsyncIterator[Database]:
    conn = await asyncpg.connect(client.app[SETTINGS].database_url)
    yield Database(conn)
    await conn.close()


async def _plant_canaries(client: TestClient) -> None:
    turn = {"turn_id": "canary", "content": "c", "response": "r"}
    for path, body in (
        ("/memory/add", {"content": "canary memory"}),
        ("/preferences/set", {"key": "canary", "value": {"alive": True}}),
        ("/conversations/turns", {"turns": [turn]}),
        ("/cache/store", {"query": "canary question", "response": "canary answer"}),
    ):
        response = await client.post(path, json=body)
        assert response.status in {200, 201}, await response.text()


async def test_sql_injection_in_every_string_field_is_data_or_refused(
    client: TestClient, db: Database
) -> None:
    await _plant_canaries(client)
    objects = await db.objects()
    for method, path, valid, fields in TARGETS:
        for field in fields:
            for payload in SQL_INJECTIONS:
                where = (method, path, field, payload)
                before = await db.counts()
                started = time.monotonic()
                response = await _send(client, method, path, _with(valid, field, payload))
                assert time.monotonic() - started < 2, f"{where} ran slowly"
                assert response.status < 500, (where, await response.text())
                assert response.content_type in {"application/json", "application/x-ndjson"}
                if response.status >= 400:
                    assert await db.counts() == before, where
    assert await db.objects() == objects
    canary = await client.get("/preferences/get", params={"key": "canary"})
    assert (await canary.json())["value"] == {"alive": True}
    counts = await db.counts()
    assert counts["knowledge"] >= 1
    assert counts["conversations"] >= 1


async def test_injected_text_round_trips_literally(client: TestClient) -> None:
    payload = SQL_INJECTIONS[0] + " ä ł 🙂"
    added = await (await client.post("/memory/add", json={"content": payload})).json()
    assert (await (await client.get(f"/memory/{added['id']}")).json())["content"] == payload
    await client.post("/preferences/set", json={"key": payload, "value": payload})
    stored = await (await client.get("/preferences/get", params={"key": payload})).json()
    assert stored["value"] == payload
    turn = {"turn_id": payload, "session_id": payload, "content": payload}
    assert (await client.post("/conversations/turns", json={"turns": [turn]})).status == 200
    history = await client.get("/conversations/history", params={"session_id": payload})
    assert [t["content"] for t in (await history.json())["turns"]] == [payload]


async def test_nul_in_every_string_field_is_refused(client: TestClient, db: Database) -> None:
    for method, path, valid, fields in TARGETS:
        for field in fields:
            response = await _send(client, method, path, _with(valid, field, "a\u0000b"))
            assert response.status == 400, (method, path, field, await response.text())
            assert (await response.json())["error"] == "invalid_request"
    assert await db.empty()


BODY_ENDPOINTS = [
    ("POST", "/memory/add"),
    ("POST", "/memory/batch"),
    ("POST", "/memory/search"),
    ("POST", "/preferences/set"),
    ("POST", "/conversations/turns"),
    ("POST", "/cache/lookup"),
    ("POST", "/cache/store"),
    ("POST", "/training/feedback"),
    ("PATCH", "/memory/1"),
]
BROKEN_BODIES = [
    b'{"content": "\xc3\x28"}',  # invalid UTF-8
    b'{"query": "x", "embedding": [NaN]}',
    b'{"query": "x", "embedding": [1e999]}',
    b"[" * 3000 + b"]" * 3000,
    b"\x00\x00\x00",
    b"",
]


async def test_broken_and_oversized_bodies_are_refused_everywhere(
    client: TestClient, db: Database
) -> None:
    json_headers = {"Content-Type": "application/json"}
    limit = client.app[SETTINGS].max_body_bytes
    too_big = b'{"content": "' + b"x" * limit + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"x" * (limit // 32)

    for method, path in BODY_ENDPOINTS:
        for raw in BROKEN_BODIES:
            response = await client.request(method, path, data=raw, headers=json_headers)
            assert response.status == 400, (method, path, raw[:20], await response.text())
            assert (await response.json())["error"] == "invalid_json"
        response = await client.request(method, path, data=too_big, headers=json_headers)
        assert response.status == 413, (method, path)
        chunked = await client.request(method, path, data=chunks(), headers=json_headers)
        assert chunked.status == 413, (method, path)
    assert await db.empty()


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


JSON_FIELDS = [
    ("POST", "/memory/add", {"content": "x"}, "metadata"),
    ("POST", "/preferences/set", {"key": "k"}, "value"),
    ("POST", "/conversations/turns", {"turns": [dict(VALID_TURN)]}, "turns.0.metadata"),
    ("POST", "/cache/store", {"query": "q", "response": "r"}, "metadata"),
    ("POST", "/training/feedback", {"interaction_id": "t", "score": 3}, "metadata"),
]


async def test_deep_json_in_every_json_field_is_refused(client: TestClient, db: Database) -> None:
    for method, path, valid, field in JSON_FIELDS:
        for depth in (17, 200):
            response = await _send(client, method, path, _with(valid, field, _nested(depth)))
            assert response.status == 400, (path, field, await response.text())
            assert "nested deeper than 16" in (await response.json())["message"]
    assert await db.empty()


UNUSABLE_VECTORS = [
    ([0.0] * 384, "zeros"),
    ([1e-8] + [0.0] * 383, "zeros"),  # zero once stored as half-precision floats
    ([1e300] + [0.1] * 383, "16-bit"),
    ([70_000.0] + [0.1] * 383, "16-bit"),  # a float32, beyond half precision
    ([True] * 384, "finite numbers"),
    (["0.1"] * 384, "finite numbers"),
    ([0.1] * 2001, "1-2000"),
]


async def test_unusable_vectors_are_refused_before_the_database(
    client: TestClient, db: Database
) -> None:
    for vector, message in UNUSABLE_VECTORS:
        for path, body in (
            ("/memory/add", {"content": "x", "embedding": vector}),
            ("/memory/batch", {"items": [{"content": "x", "embedding": vector}]}),
            ("/memory/search", {"query": "x", "embedding": vector}),
        ):
            response = await client.post(path, json=body)
            assert response.status == 400, (path, message, await response.text())
            assert message in (await response.json())["message"]
    assert await db.empty()


OVERSIZED = [
    ("/memory/batch", {"items": [{"content": f"f{n}"} for n in range(1001)]}),
    ("/conversations/turns", {"turns": [{"turn_id": f"t{n}", "content": "x"} for n in range(501)]}),
    ("/memory/add", {"content": "x" * 32_001}),
    ("/memory/add", {"content": "x", "tags": [f"t{n}" for n in range(33)]}),
]


async def test_oversized_collections_are_refused_whole(client: TestClient, db: Database) -> None:
    for path, body in OVERSIZED:
        response = await client.post(path, json=body)
        assert response.status == 400, path
    assert await db.empty()


BAD_QUERY_NUMBERS = [
    "limit= 5",
    "limit=1_0",
    "limit=%EF%BC%95",  # fullwidth digit five
    "limit=5.5",
    "limit=true",
    "min_similarity=nan",
    "min_similarity=inf",
    "min_similarity=0x1",
    "tags=a,b%00c",
]


async def test_query_numbers_are_plain_ascii_decimals(client: TestClient) -> None:
    for query in BAD_QUERY_NUMBERS:
        response = await client.get(f"/memory/search?query=x&{query}")
        assert response.status == 400, (query, await response.text())
    plain = await client.get("/memory/search?query=x&limit=%2B5&min_similarity=-.5e-1")
    assert plain.status == 200, await plain.text()


NOT_JSON_NUMBERS = [
    ("/memory/add", {"content": "x", "importance": "0.5"}),
    ("/memory/add", {"content": "x", "importance": True}),
    ("/memory/add", {"content": "x", "ttl_seconds": "60"}),
    ("/conversations/turns", {"turns": [{**VALID_TURN, "latency_ms": "12"}]}),
    ("/conversations/turns", {"turns": [{**VALID_TURN, "memories_used": [True]}]}),
    ("/cache/store", {"query": "q", "response": "r", "ttl_seconds": False}),
]


async def test_body_numbers_must_be_json_numbers(client: TestClient, db: Database) -> None:
    for path, body in NOT_JSON_NUMBERS:
        response = await client.post(path, json=body)
        assert response.status == 400, (path, body, await response.text())
    assert await db.empty()


async def test_unicode_digits_and_odd_ids_are_404_not_500(client: TestClient) -> None:
    for memory_id in ["¹", "٣", "1²", "0x1", "-1", "99999999999999999999"]:
        for method in ("GET", "PATCH", "DELETE"):
            response = await client.request(method, f"/memory/{memory_id}", json={"content": "x"})
            assert response.status == 404, (memory_id, method, await response.text())
            assert (await response.json())["error"] == "not_found"


async def test_wrong_method_on_an_existing_path_is_405_with_allow(client: TestClient) -> None:
    for method, path in (("PATCH", "/memory/add"), ("PUT", "/memory/1"), ("POST", "/cache/stats")):
        response = await client.request(method, path)
        assert response.status == 405, (method, path)
        assert response.headers["Allow"]
        assert (await response.json())["error"] == "method_not_allowed"


async def _raw(client: TestClient, head: bytes) -> tuple[int, bytes]:
    """Send bytes exactly as given (no client-side encoding), return status and body."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(head)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(65536), timeout=10)
    finally:
        writer.close()
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


async def test_undecodable_authorization_headers_are_401(client: TestClient) -> None:
    for authorization in (
        b"Bearer \xff\xfe",
        b"Bearer \xc3\x28",
        b"\xff\xfe",
        b"Bearer " + b"\x80" * 4000,
    ):
        status, body = await _raw(
            client,
            b"GET /stats HTTP/1.1\r\nHost: x\r\nAuthorization: "
            + authorization
            + b"\r\nConnection: close\r\n\r\n",
        )
        assert status == 401, (authorization[:20], body)
        assert b'"unauthorized"' in body
