"""The embedding round trip through the provider API, as its own figure.

The other benchmarks pass vectors in. Here a second sidecar uses an Ollama-compatible
provider (tests/support/embedding_server.py: Ollama's real HTTP API, hashed-feature vectors,
no model inference), so the figure is the cost of the round trip and batching, not of a model:
add real inference time (Ollama on a Pi 5: tens of ms per query) on top.
"""

from __future__ import annotations

import asyncio
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.embedding_server import embed_text

from ..config import TOP_K, Size
from ..data.extra import extra_memories
from ..stats import latency_summary
from .http_load import Call, Client, encode, run_load
from .sidecar_run import REPO_ROOT, running_sidecar

MODEL = "all-minilm"  # 384-d, no task prefixes
DIMENSIONS = 384
MEMORIES = 1000
VOICE_TURNS = 20
# A question with nothing of the home in it, as the integration's cache analysis signs it.
QUESTION_SIGNATURE = {"intent": "question", "slots": {}}


@contextmanager
def embedding_server() -> Iterator[str]:
    """The fake provider as a process on 127.0.0.1; yields its base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.embedding_server",
            "--port",
            "0",
            "--dimensions",
            str(DIMENSIONS),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=30):
            raise RuntimeError("embedding server did not start")
        line = process.stdout.readline().strip()
        yield line.rsplit(" ", 1)[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _provider_direct(client: Client, url: str, texts: list[str]) -> dict[str, Any]:
    latencies = []
    for text in texts:
        begin = time.perf_counter()
        async with client.session.post(
            f"{url}/api/embed", json={"model": MODEL, "input": text}
        ) as r:
            await r.read()
        latencies.append(time.perf_counter() - begin)
    return latency_summary(latencies)


async def _provider_texts(client: Client, provider_url: str) -> int:
    async with client.session.post(f"{provider_url}/control", json={}) as response:
        return int((await response.json())["texts"])


async def _voice_turns(client: Client, provider_url: str, questions: list[str]) -> dict[str, Any]:
    """What a voice turn sends on a cache miss: the recall and the lookup at once, then the
    answer to store. Texts the provider embedded per turn, and the recall + lookup time."""
    before = await _provider_texts(client, provider_url)
    latencies = []
    for question in questions:
        lookup = {"query": question, "language": "en", "signature": QUESTION_SIGNATURE}
        begin = time.perf_counter()
        await asyncio.gather(
            client.json("POST", "/memory/search", {"query": question, "limit": TOP_K}),
            client.json("POST", "/cache/lookup", lookup),
        )
        latencies.append(time.perf_counter() - begin)
        await client.json("POST", "/cache/store", {**lookup, "response": "An answer"})
    texts = await _provider_texts(client, provider_url) - before
    return {
        "provider_texts_per_turn": round(texts / len(questions), 2),
        "recall_and_lookup": latency_summary(latencies),
    }


async def embedding_round_trip(work_dir: Path, size: Size) -> dict[str, Any]:
    extra = extra_memories(size.seed, "embed", MEMORIES, DIMENSIONS)
    queries = [text[:160] for text in extra_memories(size.seed, "embedq", 200, 8).contents]
    count = size.embedding_round_trips
    with embedding_server() as url:
        env = {
            "EMBEDDING_PROVIDER": "ollama",
            "EMBEDDING_URL": url,
            "EMBEDDING_MODEL": MODEL,
            "LOG_LEVEL": "WARNING",
        }
        with running_sidecar(work_dir / "embedding-sidecar", env) as sidecar:
            client = Client(sidecar.url, sidecar.token)
            try:
                items = [
                    {"content": c, "domain": d}
                    for c, d in zip(extra.contents, extra.domains, strict=True)
                ]
                calls = [
                    Call("POST", "/memory/batch", encode({"items": items[i : i + 100]}))
                    for i in range(0, len(items), 100)
                ]
                ingest = await run_load(
                    client, calls, concurrency=1, deadline_seconds=size.phase_seconds
                )
                figures: dict[str, Any] = {
                    "provider": "fake Ollama /api/embed (tests/support/embedding_server.py)",
                    "ingest_embedded_by_sidecar_rows_per_s": round(MEMORIES / ingest.wall, 1),
                    "provider_direct": await _provider_direct(client, url, queries[:count]),
                }
                for label, with_vector in (
                    ("search_text_only", False),
                    ("search_vector_given", True),
                ):
                    search = []
                    for i in range(count + size.warmup):
                        query = queries[i % len(queries)]
                        body: dict[str, Any] = {"query": query, "mode": "hybrid", "limit": TOP_K}
                        if with_vector:
                            body["embedding"] = embed_text(query, DIMENSIONS)
                        search.append(Call("POST", "/memory/search", encode(body)))
                    await run_load(
                        client, search[: size.warmup], concurrency=1, deadline_seconds=60
                    )
                    result = await run_load(
                        client,
                        search[size.warmup :],
                        concurrency=1,
                        deadline_seconds=size.phase_seconds,
                    )
                    figures[label] = result.summary()
                turns = extra_memories(size.seed, "embedturn", VOICE_TURNS, 8).contents
                figures["voice_turn"] = await _voice_turns(
                    client, url, [text[:160] for text in turns]
                )
                figures["round_trip_p50_ms"] = round(
                    figures["search_text_only"]["p50_ms"]
                    - figures["search_vector_given"]["p50_ms"],
                    3,
                )
                return figures
            finally:
                await client.close()
