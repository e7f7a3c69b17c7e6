"""End to end: feedback by voice, event and service lands on the right turn; the export.

HA's test harness, the AI Memory integration and a real sidecar process; every assertion
reads what the sidecar stored, over its HTTP API or from the exported JSONL file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ai_memory.const import (
    CONF_LOCAL_FIRST,
    CONF_TARGET_AGENT,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from tests.support.sidecar_process import SidecarProcess

from .e2e_support import history, satellite, sidecar_call
from .helpers import ask
from .tool_agent import Reply, ToolAgent, async_setup_lights, register_tool_agent

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _model(text: str) -> Reply:
    """The stand-in LLM: switches the kitchen light, chats otherwise."""
    if "kitchen light" in text.casefold():
        return Reply("The kitchen light is on.", [("HassTurnOn", {"name": "Kitchen light"})])
    return Reply(f"You said: {text}")


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> ToolAgent:
    agent_id, agent = register_tool_agent(hass, _model)
    hass.config_entries.async_update_entry(
        entry,
        options={**DEFAULT_OPTIONS, CONF_TARGET_AGENT: agent_id, CONF_LOCAL_FIRST: False},
    )
    await async_setup_lights(hass, "Kitchen light")
    return agent


async def _examples(
    hass: HomeAssistant, process: SidecarProcess, **params: str
) -> dict[str, dict[str, Any]]:
    """Exported examples by turn id, without marking them."""
    examples = await sidecar_call(
        hass,
        process,
        "GET",
        "/training/export",
        params={"include_exported": "true", "mark_exported": "false", **params},
    )
    return {example["metadata"]["turn_id"]: example for example in examples}


async def test_voice_feedback_rates_the_last_turn_of_the_same_device(
    hass: HomeAssistant, cache_entry: MockConfigEntry, cache_sidecar: SidecarProcess
) -> None:
    agent = await _setup(hass, cache_entry)
    kitchen, hall = satellite(hass, cache_entry), satellite(hass, cache_entry, "Hall")
    feedback_events = async_capture_events(hass, "ai_memory_feedback")

    await ask(hass, "tell me about the moon", kitchen)
    await ask(hass, "tell me about the sun", hall)
    wrong = await ask(hass, "that was wrong", kitchen)
    praised = await ask(hass, "dobra robota", hall, language="pl")

    assert wrong.response.speech["plain"]["speech"] == "Sorry about that. I've noted it."
    assert praised.response.speech["plain"]["speech"] == "Dziękuję!"
    assert agent.heard == ["tell me about the moon", "tell me about the sun"]  # not the LLM
    kitchen_turns = await history(hass, cache_entry, cache_sidecar, kitchen)
    hall_turns = await history(hass, cache_entry, cache_sidecar, hall)
    # The feedback itself is not a turn.
    assert [t["content"] for t in kitchen_turns] == ["tell me about the moon"]
    assert [t["content"] for t in hall_turns] == ["tell me about the sun"]
    examples = await _examples(hass, cache_sidecar)
    assert examples[kitchen_turns[0]["turn_id"]]["metadata"]["feedback_score"] == 1
    assert examples[hall_turns[0]["turn_id"]]["metadata"]["feedback_score"] == 5
    assert [(e.data["score"], e.data["source"]) for e in feedback_events] == [
        (1, "voice"),
        (5, "voice"),
    ]


async def test_voice_feedback_without_an_earlier_turn_says_so(
    hass: HomeAssistant, cache_entry: MockConfigEntry
) -> None:
    await _setup(hass, cache_entry)
    answer = await ask(hass, "good job", satellite(hass, cache_entry, "Attic"))
    assert answer.response.speech["plain"]["speech"] == "I don't know which answer you mean."
    assert cache_entry.runtime_data.outbox.pending == 0


async def test_feedback_by_event_and_by_service_find_their_turns(
    hass: HomeAssistant, cache_entry: MockConfigEntry, cache_sidecar: SidecarProcess
) -> None:
    await _setup(hass, cache_entry)
    device = satellite(hass, cache_entry, "Office")
    first = await ask(hass, "remind me what a lumen is", device)
    await ask(hass, "what is a candela", device)

    # An automation (e.g. a dashboard button) rates the last answer on the device…
    hass.bus.async_fire("ai_memory_rate_turn", {"device_id": device, "score": 4})
    await hass.async_block_till_done(wait_background_tasks=True)
    # …and the service rates the last turn of a conversation.
    answer = await hass.services.async_call(
        DOMAIN,
        "record_feedback",
        {"conversation_id": first.conversation_id, "score": 2, "comment": "too long"},
        blocking=True,
        return_response=True,
    )
    turns = await history(hass, cache_entry, cache_sidecar, device)
    assert answer == {"turn_id": turns[0]["turn_id"], "score": 2}
    examples = await _examples(hass, cache_sidecar)
    assert examples[turns[0]["turn_id"]]["metadata"]["feedback_score"] == 2
    assert examples[turns[1]["turn_id"]]["metadata"]["feedback_score"] == 4


async def test_complaining_about_a_cached_answer_drops_it(
    hass: HomeAssistant, cache_entry: MockConfigEntry, cache_sidecar: SidecarProcess
) -> None:
    agent = await _setup(hass, cache_entry)
    device = satellite(hass, cache_entry, "Kitchen")
    before = await sidecar_call(hass, cache_sidecar, "GET", "/cache/stats")
    await ask(hass, "turn on the kitchen light", device)
    await ask(hass, "turn on the kitchen light", device)  # from the cache
    assert len(agent.heard) == 1
    await ask(hass, "that was wrong", device)
    await cache_entry.runtime_data.outbox.async_flush()

    stats = await sidecar_call(hass, cache_sidecar, "GET", "/cache/stats")
    assert (stats["entries"], stats["false_hits"] - before["false_hits"]) == (0, 1)
    llm_turn, cached_turn = await history(hass, cache_entry, cache_sidecar, device)
    assert cached_turn["metadata"]["cache"]["hit"] is True
    examples = await _examples(hass, cache_sidecar)
    assert examples[cached_turn["turn_id"]]["metadata"]["signals"] == ["cache_complaint"]
    assert examples[cached_turn["turn_id"]]["metadata"]["feedback_score"] == 1
    assert examples[llm_turn["turn_id"]]["metadata"]["signals"] == ["repeated"]
    await ask(hass, "turn on the kitchen light", device)
    assert len(agent.heard) == 2  # asked the LLM again


async def test_export_service_writes_chat_jsonl_and_marks_it(
    hass: HomeAssistant, cache_entry: MockConfigEntry, cache_sidecar: SidecarProcess
) -> None:
    await _setup(hass, cache_entry)
    device = satellite(hass, cache_entry, "Garage")
    # Whatever earlier tests left unexported goes first, so this test sees only its own.
    await hass.services.async_call(
        DOMAIN, "export_training_data", {}, blocking=True, return_response=True
    )
    await ask(hass, "turn on the kitchen light", device)
    await ask(hass, "tell me a story", device)
    await cache_entry.runtime_data.outbox.async_flush()

    answer = await hass.services.async_call(
        DOMAIN, "export_training_data", {"language": "en"}, blocking=True, return_response=True
    )
    assert answer["count"] == 2
    lines = (await hass.async_add_executor_job(Path(answer["path"]).read_text)).splitlines()
    examples = [json.loads(line) for line in lines]  # a standard JSON reader, line by line
    command, story = examples
    assert [m["role"] for m in command["messages"]] == ["user", "assistant", "tool", "assistant"]
    call = command["messages"][1]["tool_calls"][0]
    assert call["function"]["name"] == "HassTurnOn"
    assert json.loads(call["function"]["arguments"]) == {"name": "Kitchen light"}
    assert json.loads(command["messages"][2]["content"])["response_type"] == "action_done"
    assert command["messages"][3] == {"role": "assistant", "content": "The kitchen light is on."}
    assert command["metadata"]["interaction_type"] == "command"
    assert story["messages"] == [
        {"role": "user", "content": "tell me a story"},
        {"role": "assistant", "content": "You said: tell me a story"},
    ]
    assert story["metadata"]["language"] == "en"

    again = await hass.services.async_call(
        DOMAIN, "export_training_data", {}, blocking=True, return_response=True
    )
    assert again["count"] == 0  # exported examples are not exported twice
