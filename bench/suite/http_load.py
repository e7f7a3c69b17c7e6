"""Closed-loop HTTP load: `concurrency` workers send pre-encoded requests back to back.

Bodies are encoded before the clock starts, so the figures are the sidecar's (plus one
aiohttp client, as HA's integration would use), not JSON encoding in the benchmark. Every
phase is bounded by its request count and by a deadline.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from ..stats import latency_summary


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    body: bytes | None = None


@dataclass(slots=True)
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)  # parsed JSON bodies, in request order
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    truncated: bool = False

    def summary(self) -> dict[str, Any]:
        result = latency_summary(self.latencies, self.wall)
        result["errors"] = len(self.errors)
        if self.errors:
            result["first_error"] = self.errors[0][:300]
        if self.truncated:
            result["truncated_by_deadline"] = True
        return result


class Client:
    """One keep-alive session to the sidecar with its bearer token."""

    def __init__(self, base_url: str, token: str, concurrency: int = 8) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._connector = aiohttp.TCPConnector(limit=max(concurrency, 1), force_close=False)
        self.session = aiohttp.ClientSession(
            connector=self._connector, timeout=aiohttp.ClientTimeout(total=120)
        )

    async def close(self) -> None:
        await self.session.close()

    async def call(self, call: Call) -> tuple[int, bytes]:
        async with self.session.request(
            call.method, self.base_url + call.path, data=call.body, headers=self.headers
        ) as response:
            return response.status, await response.read()

    async def json(self, method: str, path: str, payload: Any = None) -> Any:
        body = None if payload is None else orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
        status, raw = await self.call(Call(method, path, body))
        if status >= 400:
            raise RuntimeError(f"{method} {path} -> {status}: {raw[:300]!r}")
        return orjson.loads(raw)


async def run_load(
    client: Client,
    calls: list[Call],
    *,
    concurrency: int,
    deadline_seconds: float,
    keep_answers: bool = False,
) -> LoadResult:
    """Send every call (in order, `concurrency` at a time); latency per call in seconds."""
    result = LoadResult()
    slots: list[Any] = [None] * len(calls)
    latencies: list[float | None] = [None] * len(calls)
    next_index = 0
    started = time.perf_counter()
    stop_at = started + deadline_seconds

    async def worker() -> None:
        nonlocal next_index
        while next_index < len(calls):
            if time.perf_counter() > stop_at:
                result.truncated = True
                return
            index = next_index
            next_index += 1
            begin = time.perf_counter()
            try:
                status, raw = await client.call(calls[index])
            except (aiohttp.ClientError, TimeoutError) as err:
                result.errors.append(f"{calls[index].path}: {err!r}")
                continue
            latencies[index] = time.perf_counter() - begin
            if status >= 400:
                result.errors.append(f"{calls[index].path} -> {status}: {raw[:200]!r}")
            elif keep_answers:
                slots[index] = raw

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.wall = time.perf_counter() - started
    result.latencies = [x for x in latencies if x is not None]
    if keep_answers:
        result.answers = [orjson.loads(raw) if raw is not None else None for raw in slots]
    return result


def encode(payload: Any) -> bytes:
    """JSON as a client would send it (numpy float32 vectors in their shortest form)."""
    return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
