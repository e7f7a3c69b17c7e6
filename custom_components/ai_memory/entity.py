"""Shared device and base entity of the AI Memory integration."""

from __future__ import annotations

from homeassistant.const import CONF_URL
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import AiMemoryCoordinator
from .data import AiMemoryConfigEntry


def sidecar_device_info(entry: AiMemoryConfigEntry) -> DeviceInfo:
    """One service device per sidecar instance; every entity hangs off it."""
    info = entry.runtime_data.info
    return DeviceInfo(
        identifiers={(DOMAIN, str(entry.unique_id))},
        name="AI Memory",
        manufacturer="AI Memory",
        model="Sidecar",
        sw_version=info["version"] if info else None,
        configuration_url=entry.data[CONF_URL],
        entry_type=DeviceEntryType.SERVICE,
    )


class AiMemoryEntity(CoordinatorEntity[AiMemoryCoordinator]):
    """An entity fed by the sidecar's /stats."""

    _attr_has_entity_name = True

    def __init__(self, entry: AiMemoryConfigEntry, description: EntityDescription) -> None:
        """Initialize the entity."""
        super().__init__(entry.runtime_data.coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = sidecar_device_info(entry)
