"""POST /memory/import: many memories as NDJSON, streamed, all or nothing.

For loads that /memory/batch (1,000 items, one request body) is not made for: moving from
another memory store, restoring an export, seeding a household's documents. Each line is one
memory in /memory/add's shape. The body is read as it arrives, a thousand lines at a time,
so memory stays flat however large the import; the whole import is one transaction, so a bad
line anywhere leaves nothing behind. Lines without an `embedding` are stored pending and
embedded in the background (an import never waits for the provider).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web
from pgvector import HalfVector

from ...keys import BACKFILL, POOL
from ...store.knowledge_import import MemoryImport
from ..errors import ApiError, bad_request
from ..responses import json_response
from ..validation import validate
from .memory import ADD_SCHEMA, check_client_vector, new_memory

CONTENT_TYPE = "application/x-ndjson"
CHUNK_LINES = 1000
MAX_LINE_BYTES = 256 * 1024  # a 2,000-d vector and the longest content fit several times
MAX_LINES = 1_000_000
READ_SIZE = 64 * 1024


def _too_long(number: int) -> ApiError:
    return bad_request(f"line {number}: longer than {MAX_LINE_BYTES} bytes")


async def _lines(request: web.Request) -> AsyncIterator[tuple[int, bytes]]:
    """(line number, line) for every non-blank line of the body, as it arrives."""
    pending = b""
    number = 0
    async for block in request.content.iter_chunked(READ_SIZE):
        pending += block
        *complete, pending = pending.split(b"\n")
        for line in complete:
            number += 1
            if len(line) > MAX_LINE_BYTES:
                raise _too_long(number)
            if line.strip():
                yield number, line
        if len(pending) > MAX_LINE_BYTES:  # no need to wait for the end of this one
            raise _too_long(number + 1)
    if pending.strip():
        yield number + 1, pending


def _parse(request: web.Request, number: int, line: bytes) -> tuple[Any, ...]:
    """One line as a row for the staging table, or a 400 naming the line."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as err:
        raise bad_request(f"line {number}: not valid JSON: {err}") from err
    try:
        body = validate(ADD_SCHEMA, data)
        vector = body.get("embedding")
        if vector is not None:
            check_client_vector(request, vector, "embedding")
    except ApiError as err:
        raise bad_request(f"line {number}: {err.message}", err.details) from err
    # Kept as its 2-byte stored form until the COPY: a list of Python floats takes 16× the
    # memory, and two chunks of them are alive at a time.
    return new_memory(body).row(HalfVector(vector) if vector is not None else None)


async def _chunks(request: web.Request) -> AsyncIterator[list[tuple[Any, ...]]]:
    rows: list[tuple[Any, ...]] = []
    count = 0
    async for number, line in _lines(request):
        count += 1
        if count > MAX_LINES:
            raise ApiError(413, "payload_too_large", f"an import takes at most {MAX_LINES} lines")
        rows.append(_parse(request, number, line))
        if len(rows) == CHUNK_LINES:
            yield rows
            rows = []
    if rows:
        yield rows


async def _add_all(request: web.Request, memory_import: MemoryImport) -> None:
    """Parse the next chunk while PostgreSQL inserts the previous one: the two cores both
    work (at 100k rows parsing and inserting each take ~12 s)."""
    in_flight: asyncio.Task[None] | None = None
    try:
        async for rows in _chunks(request):
            if in_flight is not None:
                await in_flight
            in_flight = asyncio.create_task(memory_import.add(rows))
    except BaseException:
        if in_flight is not None:  # the connection must be idle before the rollback
            await asyncio.gather(in_flight, return_exceptions=True)
        raise
    if in_flight is not None:
        await in_flight


async def import_memories(request: web.Request) -> web.Response:
    if request.content_type != CONTENT_TYPE:
        raise ApiError(415, "unsupported_media_type", f"send the body as {CONTENT_TYPE}")
    async with request.app[POOL].acquire() as conn, conn.transaction():
        memory_import = MemoryImport(conn)
        await memory_import.start()
        await _add_all(request, memory_import)
        result = await memory_import.finish()
        if result.received == 0:
            raise bad_request("the body has no lines")
    if result.pending:
        request.app[BACKFILL].wake()
    return json_response(result.as_json())
