"""A repair issue appears after a long outage and goes when the sidecar is back."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import DOMAIN

from .conftest import SIDECAR_URL, mock_healthy_sidecar


async def _advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: int) -> None:
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_unreachable_issue_lifecycle(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No issue for a blip, an issue after 15 minutes, cleared on recovery."""
    aioclient_mock.get(f"{SIDECAR_URL}/info", exc=TimeoutError())
    aioclient_mock.get(f"{SIDECAR_URL}/stats", exc=TimeoutError())
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    issue_id = f"sidecar_unreachable_{mock_config_entry.entry_id}"

    await _advance(hass, freezer, 5)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    for _ in range(11):
        await _advance(hass, freezer, 1)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "sidecar_unreachable"
    assert issue.translation_placeholders["url"] == SIDECAR_URL

    aioclient_mock.clear_requests()
    mock_healthy_sidecar(aioclient_mock)
    await _advance(hass, freezer, 1)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
