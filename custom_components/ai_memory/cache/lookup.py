"""The read side of the response cache: what a request is, and what the sidecar has for it.

`async_analyze` reduces the request to its slot signature and scope without I/O (or marks it
pending while the language's lexicon is still being built); `async_fetch` asks the sidecar
for an exact or a semantic match. When the sidecar fails to answer, the cache is skipped for
CACHE_BACKOFF so that every following turn does not wait for it too.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant, callback

from ..api import AiMemoryError
from ..const import CACHE_BACKOFF, CACHE_TIMEOUT, CONF_CACHE_SIMILARITY, DEFAULT_OPTIONS, LOGGER
from ..data import AiMemoryConfigEntry
from .check import CacheCheck, complains_about, scope_of
from .lexicon import Lexicon
from .lexicons import async_built_lexicon, async_get_lexicon
from .signature import analyze
from .vocabulary import VocabularyCache


class CacheLookup:
    """Analyse requests and ask the sidecar, backing off while it does not answer."""

    def __init__(
        self, hass: HomeAssistant, entry: AiMemoryConfigEntry, vocabulary: VocabularyCache
    ) -> None:
        """Initialize the lookup."""
        self._hass = hass
        self._entry = entry
        self._vocabulary = vocabulary
        self._skip_until = 0.0

    @callback
    def async_analyze(
        self,
        check: CacheCheck,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> None:
        """Fill in `check` without I/O; `pending` while the lexicon is being built."""
        if time.monotonic() < self._skip_until:
            check.record = {"hit": False, "skipped": "sidecar_unavailable"}
            return
        if (lexicon := async_built_lexicon(self._hass, check.language)) is None:
            check.pending = True
            return
        self._analyze(check, lexicon, user_input, chat_log)

    def _analyze(
        self,
        check: CacheCheck,
        lexicon: Lexicon,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> None:
        try:
            analysis = analyze(user_input.text, lexicon, self._vocabulary.async_get())
        except Exception:  # the cache must never cost the user an answer
            LOGGER.exception("Response cache analysis failed; asking the agent")
            check.record = {"hit": False, "skipped": "error"}
            return
        if analysis.live:
            check.record = {"hit": False, "skipped": "live"}
            return
        previous = self._entry.runtime_data.recent_turns.last(
            device_id=user_input.device_id, conversation_id=chat_log.conversation_id
        )
        if previous is not None and complains_about(previous, user_input.text):
            check.record = {"hit": False, "skipped": "complaint"}
            check.complaint = previous.cache_entry_id  # dropped by async_serve
            return
        check.analysis = analysis
        check.scope = scope_of(self._hass, user_input)

    async def async_fetch(
        self,
        check: CacheCheck,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> None:
        """Ask the sidecar for a match (`check.hit`); changes nothing in HA."""
        if check.pending:
            check.pending = False
            try:
                async with asyncio.timeout(CACHE_TIMEOUT):
                    lexicon = await async_get_lexicon(self._hass, check.language)
            except TimeoutError:
                check.record = {"hit": False, "skipped": "warming_up"}
                return
            except Exception:  # the cache must never cost the user an answer
                LOGGER.exception("Response cache lexicon failed; asking the agent")
                check.record = {"hit": False, "skipped": "error"}
                return
            self._analyze(check, lexicon, user_input, chat_log)
        if check.analysis is None:
            return
        try:
            answer = await self._async_ask(check, user_input.text)
        except Exception:  # the cache must never cost the user an answer
            LOGGER.exception("Response cache lookup failed; asking the agent")
            check.analysis = None
            check.record = {"hit": False, "skipped": "error"}
            return
        if answer is None or not answer.get("hit"):
            check.record = {"hit": False}
            if answer and answer.get("semantic"):  # "ok", "skipped" or "unavailable"
                check.record["semantic"] = answer["semantic"]
            return
        check.hit = answer

    async def _async_ask(self, check: CacheCheck, text: str) -> dict[str, Any] | None:
        assert check.analysis is not None
        kinds = ["answer", "plan"] if check.analysis.answer_allowed else ["plan"]
        options = {**DEFAULT_OPTIONS, **self._entry.options}
        try:
            return await self._entry.runtime_data.client.async_cache_lookup(
                query=text,
                language=check.language,
                scope=check.scope,
                signature=check.analysis.signature,
                kinds=kinds,
                min_similarity=float(options[CONF_CACHE_SIMILARITY]),
                request_timeout=CACHE_TIMEOUT,
            )
        except AiMemoryError as err:
            LOGGER.debug("Response cache unavailable (%s); skipping it for a while", err)
            self._skip_until = time.monotonic() + CACHE_BACKOFF.total_seconds()
            check.analysis = None  # nothing to store either
            return None
