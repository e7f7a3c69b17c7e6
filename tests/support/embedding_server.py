"""A small local embedding server speaking Ollama's and OpenAI's real embedding APIs.

Ollama and OpenAI cannot run here; this stands in for them over real HTTP. Vectors are a
deterministic bag of hashed words and character trigrams, normalised: texts that share
words are close, unrelated texts are far, so ranking tests mean something.

In-process (sidecar tests):  `server = EmbeddingServer(); await server.start(); server.url`
As a process (HA tests, whose harness forbids extra threads):
    python -m tests.support.embedding_server --port 0 --dimensions 384
prints `listening on http://127.0.0.1:PORT` once ready.

Behaviour knobs (also settable over HTTP with `POST /control {"mode": …, "dimensions": …,
"delay": …}`, which answers with them and the counts `calls` and `texts`):
`mode` = "ok" | "down" (503) | "error" (500) | "slow" (sleeps past any client timeout) |
"garbage" (malformed JSON body) | "unscaled" (well-formed vectors with numbers too large
to store); `dimensions` per model via `model_dimensions`; `delay` seconds before every
answer (a model's inference time).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import re
from typing import Any

from aiohttp import web

_WORD = re.compile(r"\w+", re.UNICODE)
# The task prefixes nomic-embed-text expects; they carry no meaning for similarity here.
_PREFIXES = ("search_query: ", "search_document: ")


def embed_text(text: str, dimensions: int) -> list[float]:
    """Feature hashing of words (weight 1) and character trigrams (weight 0.5), L2-normalised."""
    for prefix in _PREFIXES:
        text = text.removeprefix(prefix)
    vector = [0.0] * dimensions
    words = [word.casefold() for word in _WORD.findall(text)]
    features = [(word, 1.0) for word in words]
    for word in words:
        padded = f" {word} "
        features.extend((padded[i : i + 3], 0.5) for i in range(len(padded) - 2))
    for feature, weight in features:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        sign = 1.0 if digest[4] & 1 else -1.0
        vector[index] += sign * weight
    if not any(vector):  # no words at all: any fixed unit vector keeps cosine defined
        vector[0] = 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


class EmbeddingServer:
    """The fake provider; `requests` counts texts embedded, for batching assertions."""

    def __init__(self, dimensions: int = 384, host: str = "127.0.0.1", port: int = 0) -> None:
        self.default_dimensions = dimensions
        self.model_dimensions: dict[str, int] = {}
        self.mode = "ok"
        self.delay = 0.0  # seconds before every answer (a model's inference time)
        self.calls = 0
        self.texts = 0
        # Every input text as received (prefixes included) and the last request's headers.
        self.received: list[str] = []
        self.last_headers: dict[str, str] = {}
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.url = ""

    def dimensions_for(self, model: str) -> int:
        return self.model_dimensions.get(model, self.default_dimensions)

    def _vector(self, text: str, dimensions: int) -> list[float]:
        vector = embed_text(text, dimensions)
        return [x * 1e6 for x in vector] if self.mode == "unscaled" else vector

    def _record(self, request: web.Request, inputs: list[str]) -> None:
        self.texts += len(inputs)
        self.received.extend(inputs)
        self.last_headers = dict(request.headers)

    async def _misbehave(self) -> web.Response | None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.mode == "down":
            return web.json_response({"error": "server busy"}, status=503)
        if self.mode == "error":
            return web.json_response({"error": "model crashed"}, status=500)
        if self.mode == "slow":
            await asyncio.sleep(30)
        if self.mode == "garbage":
            return web.Response(text="{not json", content_type="application/json")
        return None

    async def _ollama_embed(self, request: web.Request) -> web.Response:
        self.calls += 1
        if (failure := await self._misbehave()) is not None:
            return failure
        body = await request.json()
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        self._record(request, inputs)
        dimensions = self.dimensions_for(body["model"])
        return web.json_response(
            {
                "model": body["model"],
                "embeddings": [self._vector(text, dimensions) for text in inputs],
                "total_duration": 1000,
                "load_duration": 0,
                "prompt_eval_count": len(inputs),
            }
        )

    async def _openai_embed(self, request: web.Request) -> web.Response:
        self.calls += 1
        if (failure := await self._misbehave()) is not None:
            return failure
        body = await request.json()
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        self._record(request, inputs)
        dimensions = body.get("dimensions") or self.dimensions_for(body["model"])
        return web.json_response(
            {
                "object": "list",
                "model": body["model"],
                "data": [
                    {
                        "object": "embedding",
                        "index": index,
                        "embedding": self._vector(text, dimensions),
                    }
                    for index, text in enumerate(inputs)
                ],
                "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
            }
        )

    async def _control(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        self.mode = body.get("mode", self.mode)
        if "dimensions" in body:
            self.default_dimensions = int(body["dimensions"])
        self.delay = float(body.get("delay", self.delay))
        return web.json_response(
            {
                "mode": self.mode,
                "dimensions": self.default_dimensions,
                "delay": self.delay,
                "calls": self.calls,
                "texts": self.texts,
            }
        )

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/embed", self._ollama_embed)
        app.router.add_post("/v1/embeddings", self._openai_embed)
        app.router.add_post("/control", self._control)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self._host}:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _serve(port: int, dimensions: int) -> None:
    server = EmbeddingServer(dimensions=dimensions, port=port)
    url = await server.start()
    print(f"listening on {url}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dimensions", type=int, default=384)
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.dimensions))


if __name__ == "__main__":
    main()
