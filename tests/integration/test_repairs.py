"""Repair issues: a long outage of the sidecar or of its embedding provider, and a sidecar
older than the integration needs; each goes when the trouble ends."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import DOMAIN, MIN_SIDECAR_VERSION

from .conftest import INFO, SIDECAR_URL, STATS, mock_healthy_sidecar
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


async def test_outdated_sidecar_issue_until_it_is_updated(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An older sidecar: an error at once (it will not pass by itself), the agent still set
    up; gone at the first poll after the sidecar was updated."""
    aioclient_mock.get(f"{SIDECAR_URL}/stats", json={**STATS, "version": "0.0.9"})
    mock_healthy_sidecar(aioclient_mock)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"sidecar_outdated_{mock_config_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {
        "url": SIDECAR_URL,
        "version": "0.0.9",
        "minimum": MIN_SIDECAR_VERSION,
    }
    assert hass.states.get("conversation.ai_memory") is not None  # Assist keeps its agent

    aioclient_mock.clear_requests()
    aioclient_mock.get(f"{SIDECAR_URL}/stats", json={**STATS, "version": MIN_SIDECAR_VERSION})
    mock_healthy_sidecar(aioclient_mock)
    await advance_minutes(hass, freezer, 1)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_sidecar_without_its_version_in_stats_is_judged_by_info(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Sidecars from before /stats carried the version say it in /info only."""
    stats = {key: value for key, value in STATS.items() if key != "version"}
    aioclient_mock.get(f"{SIDECAR_URL}/info", json={**INFO, "version": "0.0.3"})
    aioclient_mock.get(f"{SIDECAR_URL}/stats", json=stats)
    mock_healthy_sidecar(aioclient_mock)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    issue = issue_registry.async_get_issue(DOMAIN, f"sidecar_outdated_{mock_config_entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["version"] == "0.0.3"
