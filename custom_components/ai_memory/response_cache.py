"""The safe response cache around the target agent (PRODUCT.md §4).

Before the agent delegates, the request is reduced to its slot signature (cache/signature.py)
and the sidecar is asked for an exact or a semantic match with the same signature, language
and scope (where the speaker is). Questions about the live state of the home skip the cache
entirely. A lookup has three steps, so that the agent can send the request while HA's own
intent matching still runs and act on it only once HA did not answer:

* `async_analyze` — signature, scope, complaints; no I/O, nothing changed;
* `async_fetch` — the sidecar's answer; nothing changes in HA (the sidecar counts it);
* `async_serve` — on a hit: an *answer* (a reply that read and changed nothing) is spoken
  again; a *plan* (the tool calls an LLM agent made for a command) is executed again through
  HA's LLM API — the LLM is skipped, the action is not. If the replay fails the entry is
  dropped, counted as a false hit and the request goes to the agent as if nothing was cached.

After the agent answered, `async_store` keeps the result in the background when it is safe to
(cache/check.py). The cache is off for HA's own agent (it is fast and exact already), when
disabled in the options, and for a while after the sidecar failed to answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import intent

from .api import AiMemoryError
from .cache.check import CacheCheck, complains_about, scope_of, store_request
from .cache.invalidation import CacheInvalidator
from .cache.lexicon import Lexicon
from .cache.lexicons import async_built_lexicon, async_get_lexicon
from .cache.plan import ReplayError, ToolCall, async_replay
from .cache.signature import analyze
from .cache.vocabulary import VocabularyCache
from .const import (
    CACHE_BACKOFF,
    CACHE_TIMEOUT,
    CONF_CACHE_ENABLED,
    CONF_CACHE_SIMILARITY,
    CONF_TARGET_AGENT,
    DEFAULT_OPTIONS,
    DOMAIN,
    HOME_ASSISTANT_AGENT,
    LOGGER,
)
from .data import AiMemoryConfigEntry
from .recent_turns import RecentTurns

__all__ = ["CacheCheck", "ResponseCacheStep"]


class ResponseCacheStep:
    """Look up and store answers and plans around the target agent."""

    def __init__(self, hass: HomeAssistant, entry: AiMemoryConfigEntry) -> None:
        """Initialize the step."""
        self._hass = hass
        self._entry = entry
        self._vocabulary = VocabularyCache(hass)
        self.invalidator = CacheInvalidator(hass, entry.runtime_data.client)
        self._skip_until = 0.0

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow HA's registries (names for signatures, changes for invalidation) and
        build the lexicon of HA's language ahead of the first request."""
        stop_vocabulary = self._vocabulary.async_listen()
        stop_invalidator = self.invalidator.async_start()
        target = str(self._options[CONF_TARGET_AGENT])
        if self.enabled_for(target):
            self._entry.async_create_background_task(
                self._hass,
                async_get_lexicon(self._hass, self._hass.config.language),
                f"{DOMAIN} cache lexicon",
            )

        @callback
        def stop() -> None:
            stop_vocabulary()
            stop_invalidator()

        return stop

    @property
    def _options(self) -> Mapping[str, Any]:
        return {**DEFAULT_OPTIONS, **self._entry.options}

    @property
    def _recent(self) -> RecentTurns:
        return self._entry.runtime_data.recent_turns

    def enabled_for(self, target: str) -> bool:
        return bool(self._options[CONF_CACHE_ENABLED]) and target != HOME_ASSISTANT_AGENT

    @callback
    def async_analyze(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        *,
        target: str,
    ) -> CacheCheck:
        """What the cache makes of the request, without I/O. If the language's lexicon is
        still being built the analysis waits for async_fetch (`pending`)."""
        check = CacheCheck(language=user_input.language or self._hass.config.language)
        if not self.enabled_for(target):
            return check
        if time.monotonic() < self._skip_until:
            check.record = {"hit": False, "skipped": "sidecar_unavailable"}
            return check
        if (lexicon := async_built_lexicon(self._hass, check.language)) is None:
            check.pending = True
            return check
        self._analyze(check, lexicon, user_input, chat_log)
        return check

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
        previous = self._recent.last(
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
        """Ask the sidecar for a match. Changes nothing in HA: async_serve acts on a hit."""
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

    async def async_serve(
        self,
        check: CacheCheck,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        agent_id: str,
    ) -> None:
        """Act on the lookup once the request is the cache's to answer (HA did not answer
        it itself): drop an entry the speaker complained about, replay or speak a hit;
        `.result` stays None to go on to the agent."""
        if check.complaint is not None:
            self._async_drop(check.complaint, false_hit=False)
        if check.hit is None:
            return
        try:
            await self._async_use_hit(check, check.hit, user_input, chat_log, agent_id)
        except Exception:  # the cache must never cost the user an answer
            LOGGER.exception("Response cache lookup failed; asking the agent")
            check.result, check.analysis = None, None
            check.record = {"hit": False, "skipped": "error"}

    async def _async_use_hit(
        self,
        check: CacheCheck,
        answer: dict[str, Any],
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        agent_id: str,
    ) -> None:
        entry = answer["entry"]
        record = {
            "hit": True,
            "match": answer["match"],
            "entry_id": entry["id"],
            "similarity": answer.get("similarity"),
            "kind": entry["kind"],
        }
        if entry["kind"] == "plan":
            try:
                check.tool_calls = await async_replay(
                    self._hass, (entry.get("metadata") or {}).get("plan") or {}, user_input, DOMAIN
                )
            except ReplayError as err:
                LOGGER.info(
                    "Cached plan for %r failed (%s); asking the agent", user_input.text, err
                )
                self._async_drop(entry["id"], false_hit=True)
                check.record = {"hit": False, "replay_failed": True, "entry_id": entry["id"]}
                return
        response = intent.IntentResponse(language=check.language)
        response.async_set_speech(entry["response"])
        chat_log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(agent_id=agent_id, content=entry["response"])
        )
        check.result = conversation.ConversationResult(
            response=response, conversation_id=chat_log.conversation_id
        )
        check.record = record

    async def _async_ask(self, check: CacheCheck, text: str) -> dict[str, Any] | None:
        assert check.analysis is not None
        kinds = ["answer", "plan"] if check.analysis.answer_allowed else ["plan"]
        try:
            return await self._entry.runtime_data.client.async_cache_lookup(
                query=text,
                language=check.language,
                scope=check.scope,
                signature=check.analysis.signature,
                kinds=kinds,
                min_similarity=float(self._options[CONF_CACHE_SIMILARITY]),
                request_timeout=CACHE_TIMEOUT,
            )
        except AiMemoryError as err:
            LOGGER.debug("Response cache unavailable (%s); skipping it for a while", err)
            self._skip_until = time.monotonic() + CACHE_BACKOFF.total_seconds()
            check.analysis = None  # nothing to store either
            return None

    @callback
    def _async_drop(self, entry_id: int | None, *, false_hit: bool) -> None:
        if entry_id is None:
            return
        client = self._entry.runtime_data.client

        async def drop() -> None:
            try:
                await client.async_cache_invalidate(ids=[entry_id], false_hit=false_hit)
            except AiMemoryError as err:
                LOGGER.debug("Could not drop cache entry %s: %s", entry_id, err)

        self._entry.async_create_background_task(self._hass, drop(), f"{DOMAIN} cache drop")

    @callback
    def async_store(
        self,
        check: CacheCheck,
        user_input: conversation.ConversationInput,
        result: conversation.ConversationResult,
        calls: Sequence[ToolCall],
        *,
        target: str,
        api_id: str | None,
    ) -> None:
        """Offer the agent's result to the cache; decided and sent in the background."""
        payload = store_request(check, user_input, result, calls, target=target, api_id=api_id)
        if payload is None:
            return
        client = self._entry.runtime_data.client

        async def store() -> None:
            try:
                await client.async_cache_store(**payload, request_timeout=CACHE_TIMEOUT * 5)
            except AiMemoryError as err:
                LOGGER.debug("Could not store in the response cache: %s", err)

        # Not started eagerly: building and sending the request then happens after the
        # answer has been handed back, not before.
        self._entry.async_create_background_task(
            self._hass, store(), f"{DOMAIN} cache store", eager_start=False
        )
