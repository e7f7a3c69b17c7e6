"""End to end: the response cache and the training loop in HA against a real sidecar.

HA's test harness, the AI Memory integration, a stand-in LLM agent that acts through HA's
own LLM API tools, and `python -m sidecar` (embedded PostgreSQL + pgvector) with the local
embedding server for semantic matching. Results are read back over the sidecar's HTTP API.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ai_memory.const import (
    CONF_CACHE_SIMILARITY,
    CONF_LOCAL_FIRST,
    CONF_TARGET_AGENT,
    DEFAULT_OPTIONS,
)
from tests.support.sidecar_process import SidecarProcess

from .e2e_support import history, satellite, sidecar_call
from .helpers import SimpleLight, ask
from .tool_agent import Reply, ToolAgent, async_setup_lights, register_tool_agent

pytestmark = pytest.mark.usefixtures("socket_enabled")

LIGHT = "light.kitchen_light"


def _kitchen_model(text: str) -> Reply:
    """The "LLM": understands the kitchen light in any wording, and one state question."""
    words = text.casefold()
    if "lights in the kitchen" in words:
        area_call = ("HassTurnOn", {"area": "Kitchen", "domain": ["light"]})
        return Reply("The kitchen lights are on now.", [area_call])
    if "kitchen" in words and ("is the" in words or "?" in words):
        return Reply("Yes, the kitchen light is on.")
    if "kitchen" in words and "off" in words:
        return Reply("The kitchen light is off now.", [("HassTurnOff", {"name": "Kitchen light"})])
    if "kitchen" in words:
        return Reply("The kitchen light is on now.", [("HassTurnOn", {"name": "Kitchen light"})])
    return Reply("I can only help with the kitchen light.")


async def _llm_setup(
    hass: HomeAssistant, entry: MockConfigEntry, **options: Any
) -> tuple[ToolAgent, str, SimpleLight]:
    agent_id, agent = register_tool_agent(hass, _kitchen_model)
    hass.config_entries.async_update_entry(
        entry,
        options={
            **DEFAULT_OPTIONS,
            CONF_TARGET_AGENT: agent_id,
            # HA would answer these itself: the LLM (and so the cache) must see them.
            CONF_LOCAL_FIRST: False,
            CONF_CACHE_SIMILARITY: 0.6,
            **options,
        },
    )
    lights = await async_setup_lights(hass, "Kitchen light")
    device_id = satellite(hass, entry)
    return agent, device_id, lights[LIGHT]


async def _turn_off(hass: HomeAssistant) -> None:
    await hass.services.async_call("light", "turn_off", {"entity_id": LIGHT}, blocking=True)
    assert hass.states.get(LIGHT).state == STATE_OFF


async def test_a_command_is_replayed_from_the_cache_without_the_llm(
    hass: HomeAssistant, cache_entry: MockConfigEntry, cache_sidecar: SidecarProcess
) -> None:
    agent, device_id, _ = await _llm_setup(hass, cache_entry)
    before = await sidecar_call(hass, cache_sidecar, "GET", "/cache/stats")

    first = await ask(hass, "turn on the kitchen light", device_id)
    assert agent.heard == ["turn on the kitchen light"]
    assert hass.states.get(LIGHT).state == STATE_ON
    assert first.response.speech["plain"]["speech"] == "The kitchen light is on now."

    await _turn_off(hass)
    again = await ask(hass, "turn on the kitchen light", device_id)
    assert agent.heard == ["turn on the kitchen light"]  # the LLM was skipped…
    assert hass.states.get(LIGHT).state == STATE_ON  # …the action was not
    assert again.response.speech["plain"]["speech"] == "The kitchen light is on now."

    await _turn_off(hass)
    await ask(hass, "please turn on the kitchen light", device_id)  # other words, same slots
    assert len(agent.heard) == 1
    assert hass.states.get(LIGHT).state == STATE_ON

    await ask(hass, "turn off the kitchen light", device_id)  # other polarity: the LLM
    assert agent.heard[-1] == "turn off the kitchen light"
    assert hass.states.get(LIGHT).state == STATE_OFF

    turns = await history(hass, cache_entry, cache_sidecar, device_id)
    caches = [turn["metadata"].get("cache") for turn in turns]
    assert [c["hit"] for c in caches] == [False, True, True, False], caches
    assert caches[1]["match"] == "exact"
    assert caches[2]["match"] == "semantic"
    assert [turn["metadata"]["handled_by"] for turn in turns] == [
        "target_agent",
        "cache",
        "cache",
        "target_agent",
    ]
    # The replayed plan is in the turn, for training, like the LLM's own tool calls.
    assert turns[1]["metadata"]["tool_calls"][0]["name"] == "HassTurnOn"
    stats = await sidecar_call(hass, cache_sidecar, "GET", "/cache/stats")
    assert stats["exact_hits"] - before["exact_hits"] == 1
    assert stats["semantic_hits"] - before["semantic_hits"] == 1
    assert stats["plans"] == 2  # "on" and "off", each once


async def test_a_state_question_is_never_answered_from_the_cache(
    hass: HomeAssistant, cache_entry: MockConfigEntry, cache_sidecar: SidecarProcess
) -> None:
    agent, device_id, _ = await _llm_setup(hass, cache_entry)
    for _ in range(2):
        answer = await ask(hass, "is the kitchen light on", device_id)
        assert answer.response.speech["plain"]["speech"] == "Yes, the kitchen light is on."
    assert agent.heard == ["is the kitchen light on"] * 2
    stats = await sidecar_call(hass, cache_sidecar, "GET", "/cache/stats")
    assert stats["entries"] == 0
    turns = await history(hass, cache_entry, cache_sidecar, device_id)
    assert [turn["metadata"]["cache"] for turn in turns] == [{"hit": False, "skipped": "live"}] * 2


async def test_a_plan_that_fails_on_replay_goes_to_the_llm_and_is_dropped(
    hass: HomeAssistant, cache_entry: MockConfigEntry, cache_sidecar: SidecarProcess
) -> None:
    """Replay is the last check: here the light left the kitchen a moment before the
    request, before the registry change reached the sidecar."""
    agent, device_id, _ = await _llm_setup(hass, cache_entry)
    kitchen = ar.async_get(hass).async_get_or_create("Kitchen")
    registry = er.async_get(hass)
    registry.async_update_entity(LIGHT, area_id=kitchen.id)
    await cache_entry.runtime_data.cache.invalidator.async_flush()
    await ask(hass, "turn on the lights in the kitchen", device_id)
    assert hass.states.get(LIGHT).state == STATE_ON
    before = await sidecar_call(hass, cache_sidecar, "GET", "/cache/stats")
    assert before["plans"] == 1

    await _turn_off(hass)
    hall = ar.async_get(hass).async_get_or_create("Hall")
    registry.async_update_entity(LIGHT, area_id=hall.id)
    await ask(hass, "turn on the lights in the kitchen", device_id)

    assert agent.heard == ["turn on the lights in the kitchen"] * 2  # fell back to the LLM
    assert hass.states.get(LIGHT).state == STATE_OFF  # nothing is in the kitchen now
    stats = await sidecar_call(hass, cache_sidecar, "GET", "/cache/stats")
    assert stats["false_hits"] == before["false_hits"] + 1
    assert stats["entries"] == 0  # dropped, and the failed LLM run was not stored
    turns = await history(hass, cache_entry, cache_sidecar, device_id)
    assert turns[-1]["metadata"]["cache"]["replay_failed"] is True
    assert turns[-1]["metadata"]["handled_by"] == "target_agent"


async def test_renaming_the_entity_drops_its_cached_plan(
    hass: HomeAssistant, cache_entry: MockConfigEntry, cache_sidecar: SidecarProcess
) -> None:
    await _llm_setup(hass, cache_entry)
    await ask(hass, "turn on the kitchen light")
    assert (await sidecar_call(hass, cache_sidecar, "GET", "/cache/stats"))["entries"] == 1
    er.async_get(hass).async_update_entity(LIGHT, aliases={"stove lamp"})
    await cache_entry.runtime_data.cache.invalidator.async_flush()
    assert (await sidecar_call(hass, cache_sidecar, "GET", "/cache/stats"))["entries"] == 0
