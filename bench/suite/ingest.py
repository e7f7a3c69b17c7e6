"""Ingest benchmarks: the data set loaded by one bulk import (POST /memory/import, NDJSON,
vectors given; the HNSW index is built after), batches into the loaded table
(/memory/batch, the index kept up row by row) and single adds."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import numpy as np

from sidecar.text import normalize, sha256

from ..config import Size
from ..data.extra import extra_memories
from .http_load import Call, Client, encode, run_load

IMPORT_TIMEOUT = 3600.0
IMPORT_PIECE = 1024 * 1024  # the body is sent as the client encodes it, a MiB at a time
DEFAULT_BODY_LIMIT = 1024 * 1024  # the sidecar's MAX_BODY_BYTES default
MAX_BATCH = 1000  # POST /memory/batch accepts up to 1000 items


def batch_bodies(
    contents: list[str],
    domains: list[str],
    vectors: np.ndarray,
    *,
    max_items: int = MAX_BATCH,
    max_bytes: int = DEFAULT_BODY_LIMIT,
) -> list[tuple[bytes, int]]:
    """Requests as a careful client builds them: as many items as fit the body limit."""
    bodies: list[tuple[bytes, int]] = []
    items: list[bytes] = []
    size = 12
    for content, domain, vector in zip(contents, domains, vectors, strict=True):
        item = encode({"content": content, "domain": domain, "embedding": vector})
        if items and (len(items) >= max_items or size + len(item) + 1 > max_bytes - 64):
            bodies.append((b'{"items":[' + b",".join(items) + b"]}", len(items)))
            items, size = [], 12
        items.append(item)
        size += len(item) + 1
    if items:
        bodies.append((b'{"items":[' + b",".join(items) + b"]}", len(items)))
    return bodies


async def bulk_load(
    client: Client, bodies: list[tuple[bytes, int]], deadline: float, concurrency: int = 1
) -> tuple[dict[str, Any], list[int]]:
    """Send the batches (one after another by default); (figures, database id of every row
    in order)."""
    calls = [Call("POST", "/memory/batch", body) for body, _ in bodies]
    result = await run_load(
        client, calls, concurrency=concurrency, deadline_seconds=deadline, keep_answers=True
    )
    ids: list[int] = []
    for answer in result.answers:
        if answer is None:
            raise RuntimeError(f"bulk load failed: {result.errors[:1]}")
        ids.extend(item["id"] for item in answer["results"])
    rows = sum(count for _, count in bodies)
    figures = {
        "rows": rows,
        "requests": len(bodies),
        "items_per_request": round(rows / len(bodies), 1),
        "request_bytes": max(len(body) for body, _ in bodies),
        "seconds": round(result.wall, 2),
        "rows_per_s": round(rows / result.wall, 1),
        "request": result.summary(),
    }
    return figures, ids


async def single_adds(client: Client, size: Size, dim: int, concurrency: int) -> dict[str, Any]:
    """POST /memory/add, one memory with its vector per request."""
    extra = extra_memories(size.seed, f"single{concurrency}-{dim}", size.single_adds, dim)
    calls = [
        Call("POST", "/memory/add", encode({"content": c, "domain": d, "embedding": v}))
        for c, d, v in zip(extra.contents, extra.domains, extra.vectors, strict=True)
    ]
    result = await run_load(
        client, calls, concurrency=concurrency, deadline_seconds=size.phase_seconds
    )
    summary = result.summary()
    summary["rows_per_s"] = round(len(result.latencies) / result.wall, 1)
    return summary


def import_lines(contents: list[str], domains: list[str], vectors: np.ndarray) -> list[bytes]:
    """The NDJSON lines of an import, encoded before the clock starts."""
    return [
        encode({"content": c, "domain": d, "embedding": v}) + b"\n"
        for c, d, v in zip(contents, domains, vectors, strict=True)
    ]


async def _pieces(lines: list[bytes]) -> AsyncIterator[bytes]:
    piece: list[bytes] = []
    size = 0
    for line in lines:
        piece.append(line)
        size += len(line)
        if size >= IMPORT_PIECE:
            yield b"".join(piece)
            piece, size = [], 0
    if piece:
        yield b"".join(piece)


async def bulk_import(client: Client, lines: list[bytes]) -> dict[str, Any]:
    """One POST /memory/import of every line: the wall time includes the index build."""
    begin = time.perf_counter()
    async with client.session.post(
        f"{client.base_url}/memory/import",
        data=_pieces(lines),
        headers={**client.headers, "Content-Type": "application/x-ndjson"},
        timeout=aiohttp.ClientTimeout(total=IMPORT_TIMEOUT),
    ) as response:
        answer = await response.json()
        if response.status != 200:
            raise RuntimeError(f"import failed: {response.status} {answer}")
    wall = time.perf_counter() - begin
    return {**answer, "seconds": round(wall, 2), "rows_per_s": round(len(lines) / wall, 1)}


async def database_ids(
    conn: asyncpg.Connection, contents: list[str], domains: list[str]
) -> list[int]:
    """The database id of each data set row, found as the sidecar dedups (domain + hash of
    the normalised content; scope is the default for every row)."""
    stored = {
        (row["domain"], bytes(row["content_hash"])): row["id"]
        for row in await conn.fetch("SELECT id, domain, content_hash FROM knowledge")
    }
    return [
        stored[(domain, sha256(normalize(content)))]
        for content, domain in zip(contents, domains, strict=True)
    ]
