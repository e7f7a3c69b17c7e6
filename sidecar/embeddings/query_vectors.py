"""Query vectors shared between requests: one provider call per distinct query.

A voice turn sends its memory recall and its cache lookup at the same moment, for the same
words, and stores the answer in the cache a moment later: three vectors of one text. On a
Pi the provider (Ollama) embeds one text after another, tens of milliseconds each, so the
turn waited for the same vector twice. Now a request for a query that is being embedded
waits for that call, and the last RECENT_QUERIES vectors are kept, so a repeated question
("what's the weather") asks the provider nothing (and a search still finds it by vector
while the provider is down). A failed call is not kept. Keys include the space's dimension:
vectors of an old space are never served.
"""

from __future__ import annotations

import asyncio
from array import array
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

RECENT_QUERIES = 128  # 128 × 768 dimensions × 8 bytes: under 1 MB

type Vector = list[float]


class QueryVectors:
    """Recent query vectors and the provider calls in flight, by key (space + text)."""

    def __init__(self, size: int = RECENT_QUERIES) -> None:
        self._size = size
        self._recent: OrderedDict[Hashable, array[float]] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Task[Vector | None]] = {}

    async def get(
        self, key: Hashable, embed: Callable[[], Awaitable[Vector | None]]
    ) -> Vector | None:
        """The vector for `key`: kept, being embedded (shared), or embedded now by `embed`."""
        if (kept := self._recent.get(key)) is not None:
            self._recent.move_to_end(key)
            return kept.tolist()
        task = self._pending.get(key)
        if task is None:
            task = asyncio.create_task(self._embed(key, embed), name="embed query")
            self._pending[key] = task
        # Shielded: a request that stops waiting (its own deadline, a client gone) leaves
        # the call running for the others, and its vector is kept for the next one.
        return await asyncio.shield(task)

    async def _embed(
        self, key: Hashable, embed: Callable[[], Awaitable[Vector | None]]
    ) -> Vector | None:
        try:
            vector = await embed()
        finally:
            del self._pending[key]
        if vector is not None:
            self._recent[key] = array("d", vector)
            if len(self._recent) > self._size:
                self._recent.popitem(last=False)
        return vector

    async def close(self) -> None:
        """Cancel the calls in flight (shutdown)."""
        pending = list(self._pending.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
