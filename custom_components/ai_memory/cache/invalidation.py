"""Drop cache entries whose entities, areas, floors or aliases changed.

Every cache entry lists what it depends on (entity ids, `area:<id>`, `floor:<id>`). When the
registries report a change to one of them (renamed, re-aliased, moved to another area,
removed, exposure changed), the entries depending on it are dropped in the sidecar. Changes
are batched for a second so that a bulk edit sends one request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import floor_registry as fr
from homeassistant.helpers.event import async_call_later

from ..api import AiMemoryClient, AiMemoryError

_LOGGER = logging.getLogger(__name__)

BATCH_DELAY = 1.0


class CacheInvalidator:
    """Collects what changed and tells the sidecar."""

    def __init__(self, hass: HomeAssistant, client: AiMemoryClient) -> None:
        self._hass = hass
        self._client = client
        self._dependencies: set[str] = set()
        self._mentions: set[str] = set()
        self._scheduled: CALLBACK_TYPE | None = None

    @callback
    def async_invalidate(
        self, dependencies: Iterable[str] = (), mentions: Iterable[str] = ()
    ) -> None:
        """Queue entries for dropping: by dependency, or by a phrase their request used."""
        self._dependencies.update(dependencies)
        self._mentions.update(m for m in mentions if m.strip())
        if self._scheduled is None and (self._dependencies or self._mentions):
            self._scheduled = async_call_later(self._hass, BATCH_DELAY, self._async_flush)

    async def _async_flush(self, _now: object = None) -> None:
        self._scheduled = None
        dependencies, mentions = sorted(self._dependencies), sorted(self._mentions)
        self._dependencies, self._mentions = set(), set()
        try:
            await self._client.async_cache_invalidate(
                dependencies=dependencies[:100] or None, mentions=mentions[:100] or None
            )
        except AiMemoryError as err:
            # Entries still expire with their TTL, and a changed name changes the signature.
            _LOGGER.warning("Could not drop outdated AI Memory cache entries: %s", err)

    async def async_flush(self) -> None:
        """Send what is queued now (on unload, and in tests)."""
        if self._scheduled is not None:
            self._scheduled()
            await self._async_flush()

    # A new entity, area or floor cannot be what an existing entry used.
    IGNORED_ACTIONS = frozenset({"create", "reorder"})
    # Registry changes that alter what a request means or whether it can be carried out.
    RELEVANT_CHANGES = frozenset(
        {"name", "aliases", "area_id", "device_id", "entity_id", "disabled_by", "hidden_by"}
    )

    @callback
    def _entity_changed(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        data = event.data
        if data["action"] in self.IGNORED_ACTIONS:
            return
        if data["action"] == "update":
            changes = data.get("changes", {})
            # `changes` holds the old values: options that had Assist settings before mean
            # the entity's exposure changed (not just set up for the first time).
            exposure = "conversation" in (changes.get("options") or {})
            if not (self.RELEVANT_CHANGES & changes.keys() or exposure):
                return
        found = {data["entity_id"]}
        if old := data.get("old_entity_id"):
            found.add(old)
        self.async_invalidate(found)

    @callback
    def _area_changed(self, event: Event[ar.EventAreaRegistryUpdatedData]) -> None:
        if event.data["action"] in self.IGNORED_ACTIONS:
            return
        if area_id := event.data.get("area_id"):
            self.async_invalidate({f"area:{area_id}"})

    @callback
    def _floor_changed(self, event: Event[fr.EventFloorRegistryUpdatedData]) -> None:
        if event.data["action"] in self.IGNORED_ACTIONS:
            return
        if floor_id := event.data.get("floor_id"):
            self.async_invalidate({f"floor:{floor_id}"})

    @callback
    def _device_changed(self, event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        """A device moved to another area: its entities now mean something else there."""
        data = event.data
        if data["action"] != "update" or "area_id" not in data.get("changes", {}):
            return
        entries = er.async_entries_for_device(er.async_get(self._hass), data["device_id"])
        self.async_invalidate(entry.entity_id for entry in entries)

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        bus = self._hass.bus
        removers = [
            bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, self._entity_changed),
            bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, self._area_changed),
            bus.async_listen(fr.EVENT_FLOOR_REGISTRY_UPDATED, self._floor_changed),
            bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, self._device_changed),
        ]

        @callback
        def stop() -> None:
            for remover in removers:
                remover()
            if self._scheduled is not None:
                # Still tell the sidecar what changed, without holding up the unload.
                self._scheduled()
                self._scheduled = None
                self._hass.async_create_background_task(
                    self._async_flush(), "ai_memory cache invalidation"
                )

        return stop
