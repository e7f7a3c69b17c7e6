"""The "AI Memory" conversation agent: wraps a target agent with memory.

Per turn: spoken feedback ("that was wrong") → HA's local intents (optional) → response
cache → memories for LLM targets → the target agent (its result offered to the cache) →
record the turn in the background. The cache lookup and the memory recall are sent to the
sidecar while HA's intents are still being matched (prefetch.py). Nothing the sidecar does
(slow, down, rejecting) can stop the target agent from answering.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal

from homeassistant.components import conversation
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from . import compat
from .cache.check import CacheCheck
from .cache.plan import tool_calls_of
from .const import (
    CONF_LOCAL_FIRST,
    CONF_RECORD_TURNS,
    CONF_TARGET_AGENT,
    CONF_TRAINING_CAPTURE,
    DEFAULT_OPTIONS,
    DOMAIN,
    HOME_ASSISTANT_AGENT,
    LOGGER,
)
from .data import AiMemoryConfigEntry
from .entity import sidecar_device_info
from .memory_context import MemoryContext, merge_prompts
from .prefetch import TurnPrefetch
from .turn_recording import async_record_turn
from .turns import TurnOutcome, speech_of
from .voice_feedback import async_answer_voice_feedback

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AiMemoryConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the agent."""
    async_add_entities([AiMemoryConversationEntity(entry)])


class AiMemoryConversationEntity(conversation.ConversationEntity):
    """Conversation agent that adds memory to another agent.

    Deliberately not a CoordinatorEntity: it must stay available while the
    sidecar is down so that Assist keeps working.
    """

    _attr_has_entity_name = True
    _attr_name = None

    def __init__(self, entry: AiMemoryConfigEntry) -> None:
        """Initialize the agent."""
        self._entry = entry
        self._attr_unique_id = f"{entry.unique_id}_conversation"
        self._attr_device_info = sidecar_device_info(entry)

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Every language the target agent supports."""
        return MATCH_ALL

    @property
    def _options(self) -> Mapping[str, Any]:
        return {**DEFAULT_OPTIONS, **self._entry.options}

    def _target_agent(self) -> str:
        target = str(self._options[CONF_TARGET_AGENT])
        # Pointing the wrapper at itself would recurse forever.
        return HOME_ASSISTANT_AGENT if target == self.entity_id else target

    async def _async_handle_message(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> conversation.ConversationResult:
        """Answer through local intents, the cache or the target agent."""
        started_at, started = dt_util.utcnow(), time.monotonic()
        if feedback := await async_answer_voice_feedback(
            self.hass, self._entry, user_input, chat_log, self.entity_id
        ):
            return feedback  # "that was wrong": rated the last turn, not a turn itself
        options, target = self._options, self._target_agent()
        local_first = target != HOME_ASSISTANT_AGENT and bool(options[CONF_LOCAL_FIRST])
        prefetch = TurnPrefetch(
            self.hass, self._entry, user_input, chat_log, target=target, options=options
        )
        memory, check = MemoryContext(), CacheCheck()
        handled_by, agent_id = "local_intent", HOME_ASSISTANT_AGENT
        try:
            # The sidecar's round trips overlap HA's matching (see prefetch.py).
            prefetch.async_start(before_local=local_first)
            result = await self._async_try_local(user_input, chat_log) if local_first else None
            # What HA answers locally is fast and exact already; the rest may be cached.
            if result is None:
                handled_by, agent_id = "cache", target
                check = await prefetch.async_cache(self.entity_id)
                result = check.result
            tool_calls = check.tool_calls
            if result is None:
                memory = await prefetch.async_memory()
                handled_by, agent_id = "target_agent", target
                seen = len(chat_log.content)
                result = await self._async_delegate(user_input, chat_log, target, memory)
                tool_calls = tool_calls_of(chat_log.content[seen:])
                api_id = chat_log.llm_api.api.id if chat_log.llm_api else None
                cache = self._entry.runtime_data.cache
                assert cache is not None
                cache.async_store(
                    check, user_input, result, tool_calls, target=target, api_id=api_id
                )
        finally:
            await prefetch.async_close()  # a hit or HA's own answer leaves nothing running

        if options[CONF_RECORD_TURNS]:
            outcome = TurnOutcome(
                user_input=user_input,
                result=result,
                conversation_id=chat_log.conversation_id,
                agent_id=agent_id,
                handled_by=handled_by,
                started_at=started_at,
                latency_ms=round((time.monotonic() - started) * 1000),
                memory_ids=memory.memory_ids,
                used_tools=bool(tool_calls),
                cache=check.record,
                tool_calls=[call.as_dict() for call in tool_calls],
            )
            # Not started eagerly: the turn is built and queued after the answer went back.
            self.hass.async_create_background_task(
                self._async_record(outcome), name=f"{DOMAIN} record turn", eager_start=False
            )
        return conversation.ConversationResult(
            response=result.response,
            conversation_id=chat_log.conversation_id,
            continue_conversation=result.continue_conversation,
        )

    async def _async_try_local(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> conversation.ConversationResult | None:
        """Let HA's own matcher answer commands it understands exactly."""
        try:
            response = await compat.async_handle_local_intents(self.hass, user_input, chat_log)
        except Exception:  # a broken local matcher must not break Assist
            LOGGER.exception("Local intent matching failed; using the target agent")
            return None
        if response is None:
            return None
        chat_log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(
                agent_id=HOME_ASSISTANT_AGENT, content=speech_of(response)
            )
        )
        return conversation.ConversationResult(
            response=response, conversation_id=chat_log.conversation_id
        )

    async def _async_delegate(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        target: str,
        memory: MemoryContext,
    ) -> conversation.ConversationResult:
        """Hand the turn to the target agent, sharing our chat log (same id)."""
        arguments: dict[str, Any] = {
            "text": user_input.text,
            "conversation_id": chat_log.conversation_id,
            "context": user_input.context,
            "language": user_input.language,
            "device_id": user_input.device_id,
            "satellite_id": compat.satellite_id_of(user_input),
            "extra_system_prompt": merge_prompts(user_input.extra_system_prompt, memory.prompt),
        }
        try:
            return await compat.async_converse(self.hass, agent_id=target, **arguments)
        except ValueError:
            # The target agent was removed: answer with HA's own agent instead.
            LOGGER.warning("Target agent %s not found, using Home Assistant", target)
            return await compat.async_converse(
                self.hass, agent_id=HOME_ASSISTANT_AGENT, **arguments
            )

    async def _async_record(self, outcome: TurnOutcome) -> None:
        """Queue the turn; runs as a background task, off the voice path."""
        async_record_turn(
            self.hass,
            self._entry.runtime_data.outbox,
            outcome,
            training=bool(self._options[CONF_TRAINING_CAPTURE]),
            recent=self._entry.runtime_data.recent_turns,
        )
