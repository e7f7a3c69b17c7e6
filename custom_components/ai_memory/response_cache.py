"""The safe response cache around the target agent (PRODUCT.md §4).

Before the agent delegates, `async_lookup` reduces the request to its slot signature
(cache/signature.py) and asks the sidecar for an exact or a semantic match with the same
signature, language and scope (where the speaker is). Questions about the live state of the
home skip the cache entirely. On a hit:

* an *answer* (a reply that read and changed nothing) is spoken again;
* a *plan* (the tool calls an LLM agent made for a command) is executed again through HA's
  LLM API — the LLM is skipped, the action is not. If the replay fails the entry is dropped,
  counted as a false hit and the request goes to the agent as if nothing was cached.

After the agent answered, `async_store` keeps the result in the background when it is safe to
(see `_cacheable`). The cache is off for HA's own agent (it is fast and exact already), when
disabled in the options, and for a while after the sidecar failed to answer.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import intent

from .api import AiMemoryError
from .cache.invalidation import CacheInvalidator
from .cache.lexicons import async_get_lexicon
from .cache.plan import ReplayError, ToolCall, async_replay, plan_of, targets_of
from .cache.signature import Analysis, analyze
from .cache.vocabulary import VocabularyCache
from .compat import satellite_id_of
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
from .recent_turns import RecentTurn, RecentTurns
from .turns import async_resolve_area_id, speech_of

# A request right after an answer from the cache that repeats or corrects it says the cached
# answer was wrong: it goes to the agent, and the entry is dropped.
COMPLAINT_WINDOW = 60.0
_NEGATIONS = frozenset({"no", "nope", "wrong", "nie", "nein", "non", "nee", "nej", "ne", "нет"})
_DIGITS = re.compile(r"\d+")


@dataclass(slots=True)
class CacheCheck:
    """What the cache made of one request."""

    analysis: Analysis | None = None  # None: this request is not cached at all
    language: str = ""
    scope: str = "household"
    result: conversation.ConversationResult | None = None
    # For the recorded turn: {"hit", "match", "entry_id", "similarity", "kind"} or why not.
    record: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[ToolCall] = field(default_factory=list)


def scope_of(hass: HomeAssistant, user_input: conversation.ConversationInput) -> str:
    """Where the request was made: commands like "turn on the lights" depend on it."""
    satellite_id = satellite_id_of(user_input)
    if area_id := async_resolve_area_id(hass, user_input.device_id, satellite_id):
        return f"area:{area_id}"
    if user_input.device_id:
        return f"device:{user_input.device_id}"
    return "household"


def complains_about(previous: RecentTurn, text: str) -> bool:
    """Does `text`, said right after `previous` was answered from the cache, reject it?"""
    if previous.cache_entry_id is None or previous.age() > COMPLAINT_WINDOW:
        return False
    before, after = (" ".join(_words(t)) for t in (previous.text, text))
    return before == after or (after.split(" ", 1)[0] in _NEGATIONS)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _new_numbers(speech: str, text: str) -> bool:
    """An answer with numbers the question did not have (a time, a temperature, a count) is
    about the moment it was given."""
    return bool(set(_DIGITS.findall(speech)) - set(_DIGITS.findall(text)))


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

    async def async_lookup(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        *,
        target: str,
        agent_id: str,
    ) -> CacheCheck:
        """Answer from the cache if it is safe; `.result` is None to go on normally."""
        check = CacheCheck()
        if not self.enabled_for(target):
            return check
        if time.monotonic() < self._skip_until:
            check.record = {"hit": False, "skipped": "sidecar_unavailable"}
            return check
        try:
            await self._async_match(check, user_input, chat_log, agent_id)
        except Exception:  # the cache must never cost the user an answer
            LOGGER.exception("Response cache lookup failed; asking the agent")
            check.result, check.analysis = None, None
            check.record = {"hit": False, "skipped": "error"}
        return check

    async def _async_match(
        self,
        check: CacheCheck,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        agent_id: str,
    ) -> None:
        check.language = user_input.language or self._hass.config.language
        try:
            async with asyncio.timeout(CACHE_TIMEOUT):
                lexicon = await async_get_lexicon(self._hass, check.language)
        except TimeoutError:
            check.record = {"hit": False, "skipped": "warming_up"}
            return
        analysis = analyze(user_input.text, lexicon, self._vocabulary.async_get())
        if analysis.live:
            check.record = {"hit": False, "skipped": "live"}
            return
        previous = self._recent.last(
            device_id=user_input.device_id, conversation_id=chat_log.conversation_id
        )
        if previous is not None and complains_about(previous, user_input.text):
            check.record = {"hit": False, "skipped": "complaint"}
            self._async_drop(previous.cache_entry_id, false_hit=False)
            return
        check.analysis = analysis
        check.scope = scope_of(self._hass, user_input)
        answer = await self._async_ask(check, user_input.text)
        if answer is None or not answer.get("hit"):
            check.record = {"hit": False}
            if answer and answer.get("semantic"):  # "ok", "skipped" or "unavailable"
                check.record["semantic"] = answer["semantic"]
            return
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
        payload = self._cacheable(check, user_input, result, calls, target=target, api_id=api_id)
        if payload is None:
            return
        client = self._entry.runtime_data.client

        async def store() -> None:
            try:
                await client.async_cache_store(**payload, request_timeout=CACHE_TIMEOUT * 5)
            except AiMemoryError as err:
                LOGGER.debug("Could not store in the response cache: %s", err)

        self._entry.async_create_background_task(self._hass, store(), f"{DOMAIN} cache store")

    def _cacheable(
        self,
        check: CacheCheck,
        user_input: conversation.ConversationInput,
        result: conversation.ConversationResult,
        calls: Sequence[ToolCall],
        *,
        target: str,
        api_id: str | None,
    ) -> dict[str, Any] | None:
        """The store request for a safe result, or None.

        * a plan: every tool call was an intent that acted (`action_done`) without failures;
        * an answer: no tool call at all, a request about nothing in the home, a reply that
          does not ask back, and no number in the reply that the request did not have;
        * never: errors, empty replies, questions about the live state (not analysed).
        """
        analysis = check.analysis
        response = result.response
        speech = speech_of(response).strip()
        if analysis is None or response.response_type is intent.IntentResponseType.ERROR:
            return None
        if not speech:
            return None
        metadata: dict[str, Any] = {"agent_id": target}
        dependencies = set(analysis.dependencies)
        if calls:
            plan = plan_of(calls, api_id)
            if plan is None:
                return None
            kind = "plan"
            metadata["plan"] = plan
            dependencies |= targets_of(calls)
        else:
            # A reply that asks back ("Which light?") waits for an answer: not reusable.
            asks_back = result.continue_conversation or speech.endswith(("?", ";", "？"))
            if not analysis.answer_allowed or asks_back:
                return None
            if _new_numbers(speech, user_input.text):
                return None
            kind = "answer"
        return {
            "query": user_input.text,
            "response": speech,
            "language": check.language,
            "scope": check.scope,
            "kind": kind,
            "signature": analysis.signature,
            "dependencies": sorted(dependencies)[:100],
            "metadata": metadata,
        }
