"""Sensors: sidecar counters (polled) and the local outbox (pushed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api_types import Stats
from .data import AiMemoryConfigEntry
from .entity import AiMemoryEntity, sidecar_device_info
from .outbox import Outbox

# The coordinator serialises the reads; the outbox sensors only read memory.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class AiMemorySensorDescription(SensorEntityDescription):
    """A sensor computed from GET /stats."""

    value_fn: Callable[[Stats], StateType]


@dataclass(frozen=True, kw_only=True)
class AiMemoryOutboxSensorDescription(SensorEntityDescription):
    """A sensor computed from the local outbox."""

    value_fn: Callable[[Outbox], StateType]


def _hit_rate(stats: Stats) -> StateType:
    rate = stats.get("cache", {}).get("hit_rate")
    return None if rate is None else round(rate * 100, 2)


SENSORS: tuple[AiMemorySensorDescription, ...] = (
    AiMemorySensorDescription(
        key="memories",
        translation_key="memories",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda stats: stats.get("memories"),
    ),
    AiMemorySensorDescription(
        key="cache_hit_rate",
        translation_key="cache_hit_rate",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_hit_rate,
    ),
    AiMemorySensorDescription(
        key="cache_entries",
        translation_key="cache_entries",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda stats: stats.get("cache", {}).get("entries"),
    ),
    AiMemorySensorDescription(
        key="cache_false_hits",
        translation_key="cache_false_hits",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda stats: stats.get("cache", {}).get("false_hits"),
    ),
    AiMemorySensorDescription(
        key="turns",
        translation_key="turns",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda stats: stats.get("turns"),
    ),
    AiMemorySensorDescription(
        key="training_pending_export",
        translation_key="training_pending_export",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda stats: stats.get("training", {}).get("pending_export"),
    ),
)

OUTBOX_SENSORS: tuple[AiMemoryOutboxSensorDescription, ...] = (
    AiMemoryOutboxSensorDescription(
        key="queued_records",
        translation_key="queued_records",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda outbox: outbox.pending,
    ),
    AiMemoryOutboxSensorDescription(
        key="dropped_records",
        translation_key="dropped_records",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda outbox: outbox.dropped + outbox.rejected,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AiMemoryConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors."""
    async_add_entities(AiMemorySensor(entry, description) for description in SENSORS)
    async_add_entities(AiMemoryOutboxSensor(entry, description) for description in OUTBOX_SENSORS)


class AiMemorySensor(AiMemoryEntity, SensorEntity):
    """A counter of the sidecar."""

    entity_description: AiMemorySensorDescription

    @property
    def native_value(self) -> StateType:
        """Return the counter."""
        return self.entity_description.value_fn(self.coordinator.data)


class AiMemoryOutboxSensor(SensorEntity):
    """State of the local outbox; available even when the sidecar is not."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: AiMemoryOutboxSensorDescription

    def __init__(
        self, entry: AiMemoryConfigEntry, description: AiMemoryOutboxSensorDescription
    ) -> None:
        """Initialize the sensor."""
        self.entity_description = description
        self._outbox = entry.runtime_data.outbox
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = sidecar_device_info(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the outbox."""
        self.async_on_remove(self._outbox.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> StateType:
        """Return the count."""
        return self.entity_description.value_fn(self._outbox)
