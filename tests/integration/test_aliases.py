"""Alias container handling across HA versions, and the import at setup."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.aliases import _added, _has_alias, _removed, alias_key

from .conftest import SIDECAR_URL, mock_healthy_sidecar, sent_bodies

COMPUTED_NAME = object()  # stands for HA 2026.5's marker of the entity's own name


def test_list_aliases_keep_order_and_markers() -> None:
    """2026.5+: an ordered list, possibly holding a non-str marker, stays intact."""
    aliases = [COMPUTED_NAME, "cooker"]
    assert _added(aliases, "stove") == [COMPUTED_NAME, "cooker", "stove"]
    assert _removed([COMPUTED_NAME, "cooker", "stove"], "STOVE") == [COMPUTED_NAME, "cooker"]
    assert _has_alias(aliases, "Cooker")
    assert not _has_alias(aliases, "stove")


def test_set_aliases_stay_sets() -> None:
    """2025.4: a set of str stays a set."""
    assert _added({"cooker"}, "stove") == {"cooker", "stove"}
    assert _removed({"cooker", "stove"}, "stove") == {"cooker"}


def test_alias_key_is_case_and_space_insensitive() -> None:
    """The same spoken name maps to one preference key."""
    assert alias_key("  My   Office ") == alias_key("my office") == "entity_alias.my office"


async def test_registry_aliases_are_imported_at_setup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
) -> None:
    """Aliases the user set in HA reach the sidecar; known ones are not re-sent."""
    light = entity_registry.async_get_or_create("light", "test", "k1")
    entity_registry.async_update_entity(light.entity_id, aliases={"cooker", "known"})
    aioclient_mock.get(
        f"{SIDECAR_URL}/preferences/list",
        json={
            "preferences": [
                {
                    "key": "entity_alias.known",
                    "value": {"entity_id": light.entity_id},
                    "category": "aliases",
                }
            ]
        },
    )
    mock_healthy_sidecar(aioclient_mock)
    aioclient_mock.post(f"{SIDECAR_URL}/preferences/set", json={"created": True})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    sent = sent_bodies(aioclient_mock, "/preferences/set")
    assert sent == [
        {
            "key": "entity_alias.cooker",
            "value": {"entity_id": light.entity_id, "alias": "cooker"},
            "category": "aliases",
        }
    ]
