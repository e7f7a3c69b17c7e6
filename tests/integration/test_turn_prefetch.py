"""The sidecar's requests overlap HA's local intent matching (prefetch.py), without changing
what a turn does: memories still reach the target agent, a cache hit or HA's own answer
never reaches it, and nothing started for the turn outlives it."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from unittest.mock import patch

from homeassistant.components import conversation
from homeassistant.const import STATE_ON
from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)

from custom_components.ai_memory import compat
from custom_components.ai_memory.cache.lexicons import async_get_lexicon
from custom_components.ai_memory.const import CONF_TARGET_AGENT, DEFAULT_OPTIONS

from .conftest import SIDECAR_URL, mock_healthy_sidecar
from .helpers import RecordingAgent, async_setup_light, register_llm_agent

AGENT = "conversation.ai_memory"
MEMORY = {"results": [{"id": "m-1", "content": "Anna likes jokes about cats"}]}
HIT = {
    "hit": True,
    "match": "exact",
    "similarity": 1.0,
    "entry": {"id": 3, "kind": "answer", "response": "Knock knock.", "metadata": {}},
}


async def _converse(hass: HomeAssistant, text: str) -> conversation.ConversationResult:
    return await conversation.async_converse(
        hass=hass, text=text, conversation_id=None, context=Context(), agent_id=AGENT
    )


def _llm(hass: HomeAssistant, entry: MockConfigEntry) -> RecordingAgent:
    """An LLM target with AI Memory's defaults (local intents first, cache, recall)."""
    agent_id, agent = register_llm_agent(hass)
    hass.config_entries.async_update_entry(
        entry, options={**DEFAULT_OPTIONS, CONF_TARGET_AGENT: agent_id}
    )
    return agent


def _paths(mock: AiohttpClientMocker) -> list[str]:
    return [url.path for _, url, _, _ in mock.mock_calls]


async def test_requests_are_sent_before_local_matching_and_memories_still_arrive(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """A slow recall is sent first and still awaited before the target is asked."""

    async def slow_search(method: str, url: Any, data: Any) -> AiohttpClientMockResponse:
        await asyncio.sleep(0.05)  # longer than HA's matching of this sentence
        return AiohttpClientMockResponse(method, url, json=MEMORY)

    aioclient_mock.clear_requests()
    aioclient_mock.get(f"{SIDECAR_URL}/memory/search", side_effect=slow_search)
    mock_healthy_sidecar(aioclient_mock)
    agent = _llm(hass, init_integration)
    # Built at start-up when the cache is on for the target; here the target just changed.
    await async_get_lexicon(hass, hass.config.language)
    sent_before_local: list[str] = []
    handle_local = compat.async_handle_local_intents

    async def local(*args: Any, **kwargs: Any) -> Any:
        sent_before_local.extend(_paths(aioclient_mock))
        return await handle_local(*args, **kwargs)

    with patch.object(compat, "async_handle_local_intents", local):
        result = await _converse(hass, "tell me a joke")
    await hass.async_block_till_done(wait_background_tasks=True)

    assert {"/memory/search", "/preferences/list", "/cache/lookup"} <= set(sent_before_local)
    assert result.response.speech["plain"]["speech"] == "LLM answer"
    assert "- Anna likes jokes about cats" in agent.inputs[0].extra_system_prompt


async def test_a_cache_hit_answers_without_waiting_for_the_recall(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """The recall the hit made useless is cancelled (and finished) before the answer."""
    cancelled = asyncio.Event()

    async def hang(method: str, url: Any, data: Any) -> AiohttpClientMockResponse:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("not cancelled")

    aioclient_mock.clear_requests()
    aioclient_mock.post(f"{SIDECAR_URL}/cache/lookup", json=HIT)
    aioclient_mock.get(f"{SIDECAR_URL}/memory/search", side_effect=hang)
    mock_healthy_sidecar(aioclient_mock)
    agent = _llm(hass, init_integration)

    started = time.monotonic()
    with patch("custom_components.ai_memory.memory_context.RECALL_TIMEOUT", 20):
        result = await _converse(hass, "tell me a joke")
    assert time.monotonic() - started < 5  # not held up by the recall's budget
    assert cancelled.is_set()  # before the turn returned: nothing of it still runs
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result.response.speech["plain"]["speech"] == "Knock knock."
    assert agent.inputs == []


async def test_home_answered_commands_are_not_looked_up_in_the_cache(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    """A command naming a device waits for HA's matcher: no cache lookup is counted for
    what HA answers itself, and the target is never asked."""
    light = await async_setup_light(hass)
    agent = _llm(hass, init_integration)
    await _converse(hass, "turn on the kitchen light")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(light).state == STATE_ON
    assert agent.inputs == []
    assert "/cache/lookup" not in _paths(sidecar)
