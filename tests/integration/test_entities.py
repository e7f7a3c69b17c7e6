"""Entities: snapshots of every platform and values from /stats."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion


@pytest.mark.parametrize("platforms", [["sensor"], ["binary_sensor"], ["conversation"]])
@pytest.mark.usefixtures("only_platforms")
async def test_platform_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Names, units, categories and states of every entity."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
    # Unload while PLATFORMS is still patched, so that only loaded platforms unload.
    assert await hass.config_entries.async_unload(init_integration.entry_id)


async def test_sensor_values_follow_stats(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """value_fn reads the right counters (hit rate as a percentage)."""
    expected = {
        "sensor.ai_memory_memories": "42",
        "sensor.ai_memory_turns": "317",
        "sensor.ai_memory_cache_entries": "25",
        "sensor.ai_memory_cache_hit_rate": "25.0",
        "sensor.ai_memory_cache_false_hits": "2",
        "sensor.ai_memory_training_examples_pending_export": "120",
        "sensor.ai_memory_dropped_records": "0",
    }
    assert {entity_id: hass.states.get(entity_id).state for entity_id in expected} == expected
