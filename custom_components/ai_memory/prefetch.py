"""The sidecar's part of one turn — recall and cache lookup — sent as early as is useful.

HA's strict intent matching (local-first) runs hassil in the executor: 10+ ms of CPU for a
sentence it does not know. Neither the recall (memory search + preferences) nor the cache
lookup depends on it, so they are sent before it starts and their round trips overlap it.
What they return is used only if HA did not answer; otherwise they are cancelled. Every task
is awaited before the turn ends (async_close): nothing outlives the turn.

The recall is read-only and always sent early. The lookup is sent early only for requests
that mention nothing in the home (no device, area, state or number): HA's matcher seldom
answers those, while a lookup it made unnecessary would still count as a cache miss in the
sidecar's statistics. Requests that do mention the home wait for HA's answer first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant, callback

from .cache.check import CacheCheck
from .const import DOMAIN, HOME_ASSISTANT_AGENT
from .data import AiMemoryConfigEntry
from .memory_context import MemoryContext, async_build_memory_context


class TurnPrefetch:
    """The cache lookup and the recall of one turn, as tasks started on demand."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: AiMemoryConfigEntry,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        *,
        target: str,
        options: Mapping[str, Any],
    ) -> None:
        """Analyse the request for the cache (no I/O yet)."""
        cache = entry.runtime_data.cache
        assert cache is not None
        self._hass, self._entry, self._cache = hass, entry, cache
        self._user_input, self._chat_log = user_input, chat_log
        self._target, self._options = target, options
        self.check: CacheCheck = cache.async_analyze(user_input, chat_log, target=target)
        self._lookup: asyncio.Task[None] | None = None
        self._recall: asyncio.Task[MemoryContext] | None = None

    @callback
    def async_start(self, *, before_local: bool) -> None:
        """Send what is worth sending now; `before_local`: HA's matcher has yet to run."""
        analysis = self.check.analysis
        # The lookup goes first: on a hit its answer is all the turn waits for.
        if not before_local or (analysis is not None and analysis.answer_allowed):
            self._start_lookup()
        self._start_recall()

    async def async_cache(self, agent_id: str) -> CacheCheck:
        """The cache's answer (`.result`), now that HA did not answer the request itself."""
        if (lookup := self._start_lookup()) is not None:
            await lookup
        await self._cache.async_serve(self.check, self._user_input, self._chat_log, agent_id)
        return self.check

    async def async_memory(self) -> MemoryContext:
        """Memories for the target agent's prompt (none for HA's own agent)."""
        recall = self._start_recall()
        return MemoryContext() if recall is None else await recall

    async def async_close(self) -> None:
        """Cancel what the turn did not need and wait for it, so no task outlives the turn."""
        pending = [t for t in (self._lookup, self._recall) if t is not None and not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    def _start_lookup(self) -> asyncio.Task[None] | None:
        # Only with something to ask (not: the cache is off or backing off, or the request
        # is never cached).
        if self._lookup is None and (self.check.analysis is not None or self.check.pending):
            fetch = self._cache.async_fetch(self.check, self._user_input, self._chat_log)
            self._lookup = self._task(fetch, "cache lookup")
        return self._lookup

    def _start_recall(self) -> asyncio.Task[MemoryContext] | None:
        # HA's own agent takes no prompt: nothing to recall for it.
        if self._recall is None and self._target != HOME_ASSISTANT_AGENT:
            data = self._entry.runtime_data
            recall = async_build_memory_context(
                data.client, data.preferences, self._user_input.text, self._options
            )
            self._recall = self._task(recall, "recall")
        return self._recall

    def _task[T](self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        # Eager: the request is on its way before HA's matcher takes the CPU.
        return self._entry.async_create_task(self._hass, coro, f"{DOMAIN} {name}", eager_start=True)
