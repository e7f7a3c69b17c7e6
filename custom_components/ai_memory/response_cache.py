"""The safe response cache around the target agent (PRODUCT.md §4).

Before the agent delegates, the request is reduced to its slot signature (cache/signature.py)
and the sidecar is asked for an exact or a semantic match with the same signature, language
and scope (where the speaker is). Questions about the live state of the home skip the cache
entirely. A lookup has three steps, so that the agent can send the request while HA's own
intent matching still runs and act on it only once HA did not answer:

* `async_analyze` — signature, scope, complaints; no I/O, nothing changed (cache/lookup.py);
* `async_fetch` — the sidecar's answer; nothing changes in HA (the sidecar counts it);
* `async_serve` — on a hit: an *answer* (a reply that read and changed nothing) is spoken
  again, a *plan* (an LLM agent's tool calls for a command) is replayed (cache/serve.py). If
  the replay fails the entry is dropped, counted as a false hit and the request goes to the
  agent as if nothing was cached.

After the agent answered, `async_store` keeps the result in the background when it is safe to
(cache/check.py, cache/writer.py). The cache is off for HA's own agent (it is fast and exact
already), when disabled in the options, and for a while after the sidecar failed to answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

from .cache.check import CacheCheck, store_request
from .cache.invalidation import CacheInvalidator
from .cache.lexicons import async_get_lexicon
from .cache.lookup import CacheLookup
from .cache.plan import ReplayError, ToolCall
from .cache.serve import async_answer_from_hit
from .cache.vocabulary import VocabularyCache
from .cache.writer import CacheWriter
from .const import (
    CONF_CACHE_ENABLED,
    CONF_TARGET_AGENT,
    DEFAULT_OPTIONS,
    DOMAIN,
    HOME_ASSISTANT_AGENT,
    LOGGER,
)
from .data import AiMemoryConfigEntry

__all__ = ["CacheCheck", "ResponseCacheStep"]


class ResponseCacheStep:
    """Look up and store answers and plans around the target agent."""

    def __init__(self, hass: HomeAssistant, entry: AiMemoryConfigEntry) -> None:
        """Initialize the step."""
        self._hass = hass
        self._entry = entry
        self._vocabulary = VocabularyCache(hass)
        self._lookup = CacheLookup(hass, entry, self._vocabulary)
        self._writer = CacheWriter(hass, entry)
        self.invalidator = CacheInvalidator(hass, entry.runtime_data.client)

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
        if self.enabled_for(target):
            self._lookup.async_analyze(check, user_input, chat_log)
        return check

    async def async_fetch(
        self,
        check: CacheCheck,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> None:
        """Ask the sidecar for a match. Changes nothing in HA: async_serve acts on a hit."""
        await self._lookup.async_fetch(check, user_input, chat_log)

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
            self._writer.async_drop(check.complaint, false_hit=False)
        if (hit := check.hit) is None:
            return
        try:
            await async_answer_from_hit(
                self._hass, check, hit, user_input, chat_log, agent_id=agent_id
            )
        except ReplayError as err:
            entry_id = hit["entry"]["id"]
            LOGGER.info("Cached plan for %r failed (%s); asking the agent", user_input.text, err)
            self._writer.async_drop(entry_id, false_hit=True)
            check.record = {"hit": False, "replay_failed": True, "entry_id": entry_id}
        except Exception:  # the cache must never cost the user an answer
            LOGGER.exception("Response cache lookup failed; asking the agent")
            check.result, check.analysis = None, None
            check.record = {"hit": False, "skipped": "error"}

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
        if payload is not None:
            self._writer.async_store(payload)
