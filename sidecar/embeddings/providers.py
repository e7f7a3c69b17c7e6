"""HTTP clients for the embedding APIs; each returns one vector per input text."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import aiohttp

_LOGGER = logging.getLogger(__name__)


class EmbeddingError(Exception):
    """The provider could not embed (unreachable, timed out, refused or answered nonsense)."""


class EmbeddingProvider(Protocol):
    model: str

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order."""


class _HttpProvider:
    """Shared transport: a JSON POST with a timeout, retried with backoff when overloaded."""

    # Ollama answers 503 when its queue is full; 429 is the OpenAI equivalent.
    _RETRY_STATUSES = frozenset({429, 502, 503, 504})

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        url: str,
        model: str,
        timeout: float,
        batch_size: int = 32,
        retries: int = 2,
    ) -> None:
        self.model = model
        self._session = session
        self._url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._batch_size = batch_size
        self._retries = retries

    def _headers(self) -> dict[str, str]:
        return {}

    async def _post(self, payload: dict[str, Any]) -> Any:
        for attempt in range(self._retries + 1):
            try:
                async with self._session.post(
                    self._url, json=payload, headers=self._headers(), timeout=self._timeout
                ) as response:
                    if response.status in self._RETRY_STATUSES and attempt < self._retries:
                        await asyncio.sleep(0.2 * 2**attempt)
                        continue
                    if response.status != 200:
                        text = (await response.text())[:200]
                        raise EmbeddingError(f"{self._url} answered {response.status}: {text}")
                    return await response.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as err:
                if attempt < self._retries and not isinstance(err, TimeoutError):
                    await asyncio.sleep(0.2 * 2**attempt)
                    continue
                raise EmbeddingError(f"{self._url}: {type(err).__name__}: {err}") from err
        raise EmbeddingError(f"{self._url}: still overloaded after {self._retries + 1} attempts")

    async def embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            batch_vectors = await self._embed_batch(batch)
            if len(batch_vectors) != len(batch):
                raise EmbeddingError(f"asked for {len(batch)} embeddings, got {len(batch_vectors)}")
            vectors.extend(batch_vectors)
        return vectors

    async def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError


class OllamaProvider(_HttpProvider):
    """Ollama's batched `POST /api/embed` (Ollama >= 0.3)."""

    def __init__(self, session: aiohttp.ClientSession, *, base_url: str, **kwargs: Any) -> None:
        super().__init__(session, url=f"{base_url}/api/embed", **kwargs)

    async def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        body = await self._post(
            {"model": self.model, "input": texts, "truncate": True, "keep_alive": "30m"}
        )
        try:
            return list(body["embeddings"])
        except (KeyError, TypeError) as err:
            raise EmbeddingError("Ollama answer has no 'embeddings' list") from err


class OpenAIProvider(_HttpProvider):
    """Any OpenAI-compatible `POST /v1/embeddings` (OpenAI, LocalAI, vLLM, llama.cpp…)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str | None,
        dimensions: int | None = None,
        **kwargs: Any,
    ) -> None:
        url = f"{base_url}/embeddings" if base_url.endswith("/v1") else f"{base_url}/v1/embeddings"
        super().__init__(session, url=url, **kwargs)
        self._api_key = api_key
        self._dimensions = dimensions

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    async def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        payload: dict[str, Any] = {"model": self.model, "input": texts}
        if self._dimensions:
            payload["dimensions"] = self._dimensions
        body = await self._post(payload)
        try:
            items = sorted(body["data"], key=lambda item: item["index"])
            return [item["embedding"] for item in items]
        except (KeyError, TypeError) as err:
            raise EmbeddingError("OpenAI answer has no 'data[].embedding'") from err
