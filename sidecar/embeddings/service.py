"""The embedder the handlers use: prefixes, vector checks and a short-circuit while down.

Handlers never wait on a provider that is known to be down: after a failure the embedder
answers "unavailable" at once for `COOLDOWN_SECONDS`, writes store their rows as pending, and
the backfill worker (embeddings/backfill.py) probes the provider and catches up.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from ..db.embedding_space import HALF_OVERFLOW, HALF_ZERO
from .providers import EmbeddingError, EmbeddingProvider
from .query_vectors import QueryVectors

_LOGGER = logging.getLogger(__name__)

COOLDOWN_SECONDS = 30.0
# pgvector's HNSW index handles up to 2,000 dimensions of `vector` (4,000 of the `halfvec`
# stored now); the instance table's CHECK keeps 2,000.
MAX_DIMENSIONS = 2000

# Models that were trained with task prefixes and lose quality without them (Ollama does not
# add them): (query prefix, document prefix).
MODEL_PREFIXES: dict[str, tuple[str, str]] = {
    "nomic-embed-text": ("search_query: ", "search_document: "),
    "nomic-embed-text-v2-moe": ("search_query: ", "search_document: "),
    "mxbai-embed-large": ("Represent this sentence for searching relevant passages: ", ""),
    "snowflake-arctic-embed": ("Represent this sentence for searching relevant passages: ", ""),
}


def default_prefixes(model: str) -> tuple[str, str]:
    """Prefixes for a model name, ignoring an Ollama tag such as `:latest` or `:v1.5`."""
    return MODEL_PREFIXES.get(model.split(":", 1)[0], ("", ""))


@dataclass(slots=True)
class EmbedderStatus:
    provider: str
    model: str
    dimensions: int | None
    available: bool
    reason: str | None


class Embedder:
    """Turns text into checked vectors of the current dimension, or None when it can't."""

    def __init__(
        self,
        provider: EmbeddingProvider | None,
        *,
        provider_name: str,
        dimensions: int | None = None,
        query_prefix: str | None = None,
        document_prefix: str | None = None,
        max_concurrency: int = 2,
    ) -> None:
        self.provider = provider
        self.provider_name = provider_name
        self.model = provider.model if provider else "external"
        defaults = default_prefixes(self.model)
        self.query_prefix = defaults[0] if query_prefix is None else query_prefix
        self.document_prefix = defaults[1] if document_prefix is None else document_prefix
        # The dimension of the stored vectors (the embedding space); set by the space manager.
        self.dimensions = dimensions
        self._down_until = 0.0
        self.reason: str | None = None if provider else "no embedding provider configured"
        # Bounded: a burst of writes must not flood Ollama's queue.
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._queries = QueryVectors()

    @property
    def available(self) -> bool:
        """Worth asking now: after a failure, not before COOLDOWN_SECONDS have passed."""
        return (
            self.provider is not None
            and self.dimensions is not None
            and time.monotonic() >= self._down_until
        )

    @property
    def healthy(self) -> bool:
        """The provider gave usable vectors the last time it was asked. What clients see as
        `available`: unlike the cooldown above it does not turn true again between attempts
        while the provider stays down (HA times an outage by it)."""
        return self.provider is not None and self.dimensions is not None and self.reason is None

    def status(self) -> EmbedderStatus:
        return EmbedderStatus(
            self.provider_name, self.model, self.dimensions, self.healthy, self.reason
        )

    def mark_down(self, reason: str) -> None:
        if self._down_until <= time.monotonic():
            _LOGGER.warning("Embedding provider unavailable: %s", reason)
        self.reason = reason
        self._down_until = time.monotonic() + COOLDOWN_SECONDS

    def mark_up(self) -> None:
        if self.reason:
            _LOGGER.info("Embedding provider available again")
        self.reason = None
        self._down_until = 0.0

    async def probe(self) -> int:
        """Ask the provider for one vector and return its dimension (raises EmbeddingError)."""
        if self.provider is None:
            raise EmbeddingError("no embedding provider configured")
        async with self._semaphore:
            vectors = await self.provider.embed([f"{self.query_prefix}dimension probe"])
        dimension = len(vectors[0]) if vectors and isinstance(vectors[0], list) else 0
        if not 1 <= dimension <= MAX_DIMENSIONS:
            raise EmbeddingError(
                f"model {self.model} returned {dimension}-dimensional vectors; "
                f"1..{MAX_DIMENSIONS} are supported"
            )
        return dimension

    def check_vector(self, vector: object) -> list[float]:
        """A finite vector of the current dimension, or EmbeddingError."""
        if not isinstance(vector, list) or len(vector) != self.dimensions:
            size = len(vector) if isinstance(vector, list) else type(vector).__name__
            raise EmbeddingError(f"expected {self.dimensions} dimensions, got {size}")
        if not all(isinstance(x, int | float) and math.isfinite(x) for x in vector):
            raise EmbeddingError("vector contains a non-finite or non-numeric value")
        largest = max(map(abs, vector))
        if largest >= HALF_OVERFLOW:
            raise EmbeddingError("vector has numbers beyond half precision (|x| > 65504)")
        if largest <= HALF_ZERO:
            raise EmbeddingError("vector is all zeros at half precision")
        return vector

    async def _embed(self, texts: list[str]) -> list[list[float]] | None:
        if not self.available or not texts:
            return None
        assert self.provider is not None
        try:
            async with self._semaphore:
                vectors = await self.provider.embed(texts)
            checked = [self.check_vector(vector) for vector in vectors]
        except EmbeddingError as err:
            # A wrong dimension means the model changed under the same name: the backfill
            # worker's next probe re-establishes the space and re-embeds.
            self.mark_down(str(err))
            return None
        self.mark_up()
        return checked

    async def embed_documents(self, texts: list[str]) -> list[list[float]] | None:
        return await self._embed([f"{self.document_prefix}{text}" for text in texts])

    async def embed_queries(self, texts: list[str]) -> list[list[float]] | None:
        return await self._embed([f"{self.query_prefix}{text}" for text in texts])

    async def embed_query(self, text: str) -> list[float] | None:
        """One query's vector, shared with the requests for the same text (query_vectors.py).
        Callers must not change the list: others may hold the same one."""
        prefixed = f"{self.query_prefix}{text}"

        async def embed() -> list[float] | None:
            vectors = await self._embed([prefixed])
            return vectors[0] if vectors else None

        return await self._queries.get((self.dimensions, prefixed), embed)

    async def close(self) -> None:
        """Cancel query embeddings still in flight (shutdown)."""
        await self._queries.close()
