"""The AI Memory agent: delegation, local-first, memories in the prompt, recording."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import (
    CONF_LOCAL_FIRST,
    CONF_RECORD_TURNS,
    CONF_TARGET_AGENT,
    DEFAULT_OPTIONS,
)

from .conftest import SIDECAR_URL, sent_turns
from .helpers import ask, async_setup_light, register_llm_agent


def _use_target(hass: HomeAssistant, entry: MockConfigEntry, target: str, **options: Any) -> None:
    hass.config_entries.async_update_entry(
        entry, options={**DEFAULT_OPTIONS, CONF_TARGET_AGENT: target, **options}
    )


async def test_home_assistant_target_controls_light_and_records_turn(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    """HA's own agent answers through the wrapper; the turn reaches the sidecar."""
    light = await async_setup_light(hass)
    events = async_capture_events(hass, "ai_memory_turn_recorded")

    result = await ask(hass, "turn on the kitchen light", device_id="satellite-device")

    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    assert hass.states.get(light).state == STATE_ON
    [turn] = sent_turns(sidecar)
    assert turn["content"] == "turn on the kitchen light"
    assert turn["device_id"] == "satellite-device"
    assert turn["language"] == hass.config.language
    assert turn["agent_id"] == "conversation.home_assistant"
    assert turn["response_type"] == "action_done"
    assert turn["interaction_type"] == "command"
    assert turn["intent"] == "HassTurnOn"
    assert turn["conversation_id"] == result.conversation_id
    assert turn["training"] is True
    assert isinstance(turn["latency_ms"], int)
    assert [event.data["turn_id"] for event in events] == [turn["turn_id"]]
    # No memory lookups for HA's own agent: it cannot use a prompt.
    assert not [c for c in sidecar.mock_calls if c[1].path == "/memory/search"]


async def test_llm_target_gets_memories_preferences_and_aliases(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """Relevant memories, preferences and aliases go in as extra_system_prompt."""
    aioclient_mock.clear_requests()
    aioclient_mock.get(
        f"{SIDECAR_URL}/memory/search",
        json={"results": [{"id": "m-7", "content": "Anna feeds the cat at 7", "score": 0.9}]},
    )
    aioclient_mock.get(
        f"{SIDECAR_URL}/preferences/list",
        json={
            "preferences": [
                {"key": "user.wake_time", "value": {"time": "07:00"}, "category": "user"},
                {
                    "key": "entity_alias.big lamp",
                    "value": {"entity_id": "light.kitchen_light", "alias": "big lamp"},
                    "category": "aliases",
                },
            ]
        },
    )
    aioclient_mock.post(f"{SIDECAR_URL}/conversations/turns", json={"results": []})
    agent_id, agent = register_llm_agent(hass)
    _use_target(hass, init_integration, agent_id)

    result = await ask(hass, "who feeds the cat?", extra_system_prompt="Be brief.")

    assert result.response.speech["plain"]["speech"] == "LLM answer"
    prompt = agent.inputs[0].extra_system_prompt
    assert prompt.startswith("Be brief.")
    assert "- Anna feeds the cat at 7" in prompt
    assert '"big lamp" means light.kitchen_light' in prompt
    assert 'user.wake_time: {"time": "07:00"}' in prompt
    search_url = next(c[1] for c in aioclient_mock.mock_calls if c[1].path == "/memory/search")
    assert search_url.query["query"] == "who feeds the cat?"
    [turn] = sent_turns(aioclient_mock)
    assert turn["memories_used"] == ["m-7"]
    assert turn["agent_id"] == agent_id
    assert turn["interaction_type"] == "question"


async def test_local_first_answers_commands_without_the_llm(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    """A command HA understands exactly never reaches the LLM."""
    light = await async_setup_light(hass)
    agent_id, agent = register_llm_agent(hass)
    _use_target(hass, init_integration, agent_id, **{CONF_LOCAL_FIRST: True})

    result = await ask(hass, "turn on the kitchen light")

    assert hass.states.get(light).state == STATE_ON
    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    assert agent.inputs == []
    [turn] = sent_turns(sidecar)
    assert turn["agent_id"] == "conversation.home_assistant"
    assert turn["metadata"] == {"handled_by": "local_intent"}


async def test_local_first_off_sends_commands_to_the_llm(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    """With local-first off the target agent sees every sentence."""
    await async_setup_light(hass)
    agent_id, agent = register_llm_agent(hass)
    _use_target(hass, init_integration, agent_id, **{CONF_LOCAL_FIRST: False})
    await ask(hass, "turn on the kitchen light")
    assert [i.text for i in agent.inputs] == ["turn on the kitchen light"]


async def test_sidecar_down_llm_still_answers_and_turn_waits(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """No memories, but an answer; the turn is kept in the outbox."""
    aioclient_mock.clear_requests()
    aioclient_mock.get(f"{SIDECAR_URL}/memory/search", exc=TimeoutError())
    aioclient_mock.get(f"{SIDECAR_URL}/preferences/list", exc=TimeoutError())
    aioclient_mock.post(f"{SIDECAR_URL}/conversations/turns", exc=TimeoutError())
    agent_id, agent = register_llm_agent(hass)
    _use_target(hass, init_integration, agent_id)

    result = await ask(hass, "what's for dinner?")

    assert result.response.speech["plain"]["speech"] == "LLM answer"
    assert agent.inputs[0].extra_system_prompt is None
    assert init_integration.runtime_data.outbox.pending == 1
    assert hass.states.get("sensor.ai_memory_queued_records").state == "1"


async def test_slow_recall_is_abandoned(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """A recall slower than the budget is skipped, not waited for."""

    async def hang(*_: Any) -> None:
        await __import__("asyncio").sleep(30)

    aioclient_mock.clear_requests()
    aioclient_mock.get(f"{SIDECAR_URL}/memory/search", side_effect=hang)
    aioclient_mock.get(f"{SIDECAR_URL}/preferences/list", json={"preferences": []})
    aioclient_mock.post(f"{SIDECAR_URL}/conversations/turns", json={"results": []})
    agent_id, agent = register_llm_agent(hass)
    _use_target(hass, init_integration, agent_id)
    with patch("custom_components.ai_memory.memory_context.RECALL_TIMEOUT", 0.05):
        result = await ask(hass, "anything")
    assert result.response.speech["plain"]["speech"] == "LLM answer"
    assert agent.inputs[0].extra_system_prompt is None


@pytest.mark.parametrize("target", ["conversation.ai_memory", "conversation.removed_llm"])
async def test_bad_target_falls_back_to_home_assistant(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sidecar: AiohttpClientMocker,
    target: str,
) -> None:
    """Pointing at itself or at a removed agent still answers (HA's own agent)."""
    light = await async_setup_light(hass)
    _use_target(hass, init_integration, target)
    await ask(hass, "turn on the kitchen light")
    assert hass.states.get(light).state == STATE_ON


async def test_recording_off_sends_nothing(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    """With record_turns off no turn leaves HA."""
    await async_setup_light(hass)
    _use_target(hass, init_integration, "conversation.home_assistant", **{CONF_RECORD_TURNS: False})
    await ask(hass, "turn on the kitchen light")
    assert sent_turns(sidecar) == []
    assert init_integration.runtime_data.outbox.pending == 0
