"""Background upkeep of vectors: establish the space, re-probe a down provider, backfill.

One loop per sidecar. It wakes every `interval` seconds or when a write left rows pending,
and embeds pending rows in batches until none are left or the provider fails again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from ..db import DATABASE_ERRORS
from ..db.embedding_space import EMBEDDED_TABLES, current_space, ensure_space
from .providers import EmbeddingError
from .service import Embedder

_LOGGER = logging.getLogger(__name__)

BATCH_SIZE = 64
# The text that represents each row; UPDATE only if that text is unchanged since it was read.
SELECT_PENDING = {
    "knowledge": (
        "SELECT id, content AS text FROM knowledge WHERE embedding IS NULL ORDER BY id LIMIT $1"
    ),
    "conversations": (
        "SELECT id, content || coalesce(E'\\n' || response, '') AS text FROM conversations "
        "WHERE embedding IS NULL ORDER BY id LIMIT $1"
    ),
    "response_cache": (
        "SELECT id, query_text AS text FROM response_cache "
        "WHERE embedding IS NULL ORDER BY id LIMIT $1"
    ),
}
UPDATE_VECTOR = {
    "knowledge": "UPDATE knowledge SET embedding = $2 WHERE id = $1 AND content = $3",
    "conversations": (
        "UPDATE conversations SET embedding = $2 WHERE id = $1 "
        "AND content || coalesce(E'\\n' || response, '') = $3"
    ),
    "response_cache": (
        "UPDATE response_cache SET embedding = $2 WHERE id = $1 AND query_text = $3"
    ),
}
# Cache entries are compared with incoming requests (query against query), so they are
# embedded with the query prefix and from the text as said, as POST /cache/store and
# /cache/lookup do.
EMBEDDED_AS_QUERIES = frozenset({"response_cache"})
COUNT_PENDING = "SELECT " + " + ".join(
    f"(SELECT count(*) FROM {table} WHERE embedding IS NULL)" for table in EMBEDDED_TABLES
)


class BackfillWorker:
    """Owns the embedding space at run time and fills in missing vectors."""

    def __init__(self, pool: asyncpg.Pool, embedder: Embedder, *, interval: float) -> None:
        self._pool = pool
        self._embedder = embedder
        self._interval = interval
        self._wake = asyncio.Event()
        self._stopping = False
        self.backlog = 0
        self.last_error: str | None = None

    def wake(self) -> None:
        """Called by writes that stored rows without a vector."""
        self._wake.set()

    async def establish_space(self) -> None:
        """Probe the provider and make the schema match its model, or fall back to what's stored."""
        embedder = self._embedder
        if embedder.provider is None:
            return
        try:
            dimensions = await embedder.probe()
        except EmbeddingError as err:
            embedder.mark_down(str(err))
            stored = await current_space(self._pool)
            if stored.model == embedder.model and embedder.dimensions is None:
                # Searches can use stored vectors as soon as the provider answers a query.
                embedder.dimensions = stored.dimensions
            return
        await ensure_space(self._pool, embedder.model, dimensions)
        embedder.dimensions = dimensions
        embedder.mark_up()

    async def run_once(self) -> int:
        """One pass: re-probe if needed, then embed pending rows. Returns rows embedded."""
        embedder = self._embedder
        if embedder.provider is not None and not embedder.available:
            await self.establish_space()
        embedded = 0
        if embedder.available:
            for table in EMBEDDED_TABLES:
                embedded += await self._backfill_table(table)
        self.backlog = await self._pool.fetchval(COUNT_PENDING)
        return embedded

    async def _backfill_table(self, table: str) -> int:
        done = 0
        while True:
            rows = await self._pool.fetch(SELECT_PENDING[table], BATCH_SIZE)
            if not rows:
                return done
            texts = [row["text"] for row in rows]
            if table in EMBEDDED_AS_QUERIES:
                vectors = await self._embedder.embed_queries(texts)
            else:
                vectors = await self._embedder.embed_documents(texts)
            if vectors is None:
                return done
            await self._pool.executemany(
                UPDATE_VECTOR[table],
                [
                    (row["id"], vector, row["text"])
                    for row, vector in zip(rows, vectors, strict=True)
                ],
            )
            done += len(rows)
            if len(rows) < BATCH_SIZE:
                return done

    def stop(self) -> None:
        """Finish the current pass, then leave `run` (cancelling mid-query would leave an
        asyncpg connection in an unusable state)."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Loop until stopped; never lets an error end the loop."""
        while not self._stopping:
            try:
                await self.run_once()
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except (asyncpg.PostgresError, *DATABASE_ERRORS) as err:
                self.last_error = str(err)
                _LOGGER.warning("Embedding backfill failed, retrying later: %s", err)
            except Exception as err:  # a bug must not stop vectors from ever being filled in
                self.last_error = str(err)
                _LOGGER.exception("Embedding backfill crashed, retrying later")
            if self._stopping:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
