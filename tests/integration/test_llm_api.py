"""The "AI Memory" LLM API and its tools."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import llm
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import DOMAIN

from .conftest import SIDECAR_URL

pytestmark = pytest.mark.usefixtures("init_integration")


def _llm_context() -> llm.LLMContext:
    """Build a context with whatever fields this HA version has."""
    values = {
        "platform": "test",
        "context": Context(),
        "language": "en",
        "assistant": "conversation",
        "device_id": "kitchen-satellite",
    }
    names = {field.name for field in dataclasses.fields(llm.LLMContext)}
    return llm.LLMContext(**{name: values.get(name) for name in names})


async def _call(hass: HomeAssistant, tool: str, args: dict[str, Any]) -> Any:
    instance = await llm.async_get_api(hass, DOMAIN, _llm_context())
    return await instance.async_call_tool(llm.ToolInput(tool_name=tool, tool_args=args))


async def test_api_lists_the_memory_tools(hass: HomeAssistant) -> None:
    """The API is registered under a stable id with five tools and a prompt."""
    instance = await llm.async_get_api(hass, DOMAIN, _llm_context())
    assert instance.api.name == "AI Memory"
    assert {tool.name for tool in instance.tools} == {
        "remember",
        "recall",
        "forget",
        "set_preference",
        "set_alias",
    }
    assert "recall" in instance.api_prompt


async def test_remember_and_recall(hass: HomeAssistant, sidecar: AiohttpClientMocker) -> None:
    """Tools talk to the sidecar and return JSON for the LLM."""
    sidecar.post(f"{SIDECAR_URL}/memory/add", json={"id": "m1", "created": True}, status=201)
    sidecar.clear_requests()
    sidecar.post(f"{SIDECAR_URL}/memory/add", json={"id": "m1", "created": True}, status=201)
    sidecar.get(
        f"{SIDECAR_URL}/memory/search",
        json={"results": [{"id": "m1", "content": "The cat is Filemon", "score": 0.8}]},
    )
    assert await _call(hass, "remember", {"content": "The cat is Filemon"}) == {
        "id": "m1",
        "created": True,
    }
    body = next(c[2] for c in sidecar.mock_calls if c[1].path == "/memory/add")
    assert body == {
        "content": "The cat is Filemon",
        "source": "llm",
        "metadata": {"device_id": "kitchen-satellite"},
    }
    assert await _call(hass, "recall", {"query": "cat"}) == {
        "memories": [{"id": "m1", "content": "The cat is Filemon", "score": 0.8}]
    }


async def test_set_alias_tool_updates_registry(
    hass: HomeAssistant,
    sidecar: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
) -> None:
    """The LLM can teach a name; it lands in the registry like the action's."""
    entry = entity_registry.async_get_or_create("light", "test", "lamp")
    hass.states.async_set(entry.entity_id, "off")
    sidecar.post(f"{SIDECAR_URL}/preferences/set", json={"created": True})
    await _call(hass, "set_alias", {"alias": "moon", "entity_id": entry.entity_id})
    assert entity_registry.async_get(entry.entity_id).aliases == {"moon"}


async def test_tool_errors_are_translated(
    hass: HomeAssistant, sidecar: AiohttpClientMocker
) -> None:
    """A sidecar outage surfaces as a translated HA error the agent can report."""
    sidecar.delete(f"{SIDECAR_URL}/memory/m9", exc=TimeoutError())
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "forget", {"memory_id": "m9"})
    assert err.value.translation_key == "communication_error"


async def test_second_sidecar_gets_its_own_api_id(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    """Two sidecars do not collide on the API id."""
    other = MockConfigEntry(domain=DOMAIN, unique_id="second", data=dict(init_integration.data))
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    assert other.runtime_data.llm_api_id == f"{DOMAIN}_second"
