"""Setup, unload, and staying up when the sidecar is not."""

from __future__ import annotations

from http import HTTPStatus

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import DOMAIN

from .conftest import SIDECAR_URL


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Entities, the agent and the LLM API exist while loaded, and go on unload."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get("conversation.ai_memory") is not None
    assert hass.states.get("binary_sensor.ai_memory_connectivity").state == STATE_ON
    assert DOMAIN in {api.id for api in llm.async_get_apis(hass)}

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert DOMAIN not in {api.id for api in llm.async_get_apis(hass)}


async def test_refused_token_starts_reauth(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """A 401 at setup fails the entry and asks for a new token."""
    aioclient_mock.get(f"{SIDECAR_URL}/info", status=HTTPStatus.UNAUTHORIZED)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_unreachable_sidecar_still_loads_the_agent(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """Assist must keep a working agent while the sidecar is down."""
    aioclient_mock.get(f"{SIDECAR_URL}/info", exc=TimeoutError())
    aioclient_mock.get(f"{SIDECAR_URL}/stats", exc=TimeoutError())
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("conversation.ai_memory").state != STATE_UNAVAILABLE
    assert hass.states.get("binary_sensor.ai_memory_connectivity").state == STATE_OFF
    assert hass.states.get("sensor.ai_memory_memories").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.ai_memory_queued_records").state == "0"
