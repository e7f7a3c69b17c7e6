"""A repair issue appears after a long outage and goes when the sidecar is back."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import DOMAIN

from .conftest import SIDECAR_URL, STATS, mock_healthy_sidecar
from .helpers import advance_minutes


async def _raised_after_15_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    issue_id: str,
) -> ir.IssueEntry:
    """No issue for a blip (5 minutes), the issue once the trouble has lasted 16."""
    await advance_minutes(hass, freezer, 5)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    for _ in range(11):
        await advance_minutes(hass, freezer, 1)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    return issue


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

    issue = await _raised_after_15_minutes(hass, freezer, issue_registry, issue_id)
    assert issue.translation_key == "sidecar_unreachable"
    assert issue.translation_placeholders["url"] == SIDECAR_URL

    aioclient_mock.clear_requests()
    mock_healthy_sidecar(aioclient_mock)
    await advance_minutes(hass, freezer, 1)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


def _stats_with_embeddings(**embeddings: Any) -> dict[str, Any]:
    return {**STATS, "embeddings": {**STATS["embeddings"], **embeddings}}


async def test_embeddings_issue_lifecycle(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The sidecar answers but its provider does not: a warning after 15 minutes (search is
    full text only meanwhile), gone when the provider answers again."""
    down = _stats_with_embeddings(available=False, reason="connection refused", backlog=42)
    aioclient_mock.get(f"{SIDECAR_URL}/stats", json=down)
    mock_healthy_sidecar(aioclient_mock)  # everything else; /stats above comes first
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    issue_id = f"embeddings_unavailable_{mock_config_entry.entry_id}"

    issue = await _raised_after_15_minutes(hass, freezer, issue_registry, issue_id)
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "embeddings_unavailable"
    assert issue.translation_placeholders["reason"] == "connection refused"
    assert issue.translation_placeholders["backlog"] == "42"
    unreachable = f"sidecar_unreachable_{mock_config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, unreachable) is None

    aioclient_mock.clear_requests()
    mock_healthy_sidecar(aioclient_mock)
    await advance_minutes(hass, freezer, 1)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_no_embeddings_issue_without_a_provider(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """EMBEDDING_PROVIDER=none is a choice, not an outage."""
    off = _stats_with_embeddings(provider="none", available=False, backlog=0)
    aioclient_mock.get(f"{SIDECAR_URL}/stats", json=off)
    mock_healthy_sidecar(aioclient_mock)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await advance_minutes(hass, freezer, 30)
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
