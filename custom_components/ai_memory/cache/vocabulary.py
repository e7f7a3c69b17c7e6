"""HA's names for things (entities, areas, floors and their aliases) for the slot guard.

Built from the registries and the entities exposed to Assist, the same names HA's own
matcher uses, and rebuilt whenever one of the registries changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from homeassistant.components.homeassistant.exposed_entities import (
    async_listen_entity_updates,
    async_should_expose,
)
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import floor_registry as fr

from .signature import Vocabulary, build_names

ASSIST = "conversation"


def _strings(aliases: object) -> Iterator[str]:
    """The text aliases of a registry entry (2026.5+ lists may also hold COMPUTED_NAME)."""
    for alias in aliases or ():  # type: ignore[attr-defined]
        if isinstance(alias, str) and alias.strip():
            yield alias


@callback
def async_build_vocabulary(hass: HomeAssistant) -> Vocabulary:
    entity_registry = er.async_get(hass)
    entities: list[tuple[str, str]] = []
    for state in hass.states.async_all():
        if not async_should_expose(hass, ASSIST, state.entity_id):
            continue
        entities.append((state.name, state.entity_id))
        if entry := entity_registry.async_get(state.entity_id):
            entities.extend((alias, state.entity_id) for alias in _strings(entry.aliases))
    areas = [
        (name, area.id)
        for area in ar.async_get(hass).async_list_areas()
        for name in (area.name, *_strings(area.aliases))
    ]
    floors = [
        (name, floor.floor_id)
        for floor in fr.async_get(hass).async_list_floors()
        for name in (floor.name, *_strings(floor.aliases))
    ]
    return Vocabulary(
        entities=build_names(entities), areas=build_names(areas), floors=build_names(floors)
    )


class VocabularyCache:
    """The current vocabulary, dropped when a name may have changed."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self._vocabulary: Vocabulary | None = None

    @callback
    def async_get(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = async_build_vocabulary(self._hass)
        return self._vocabulary

    @callback
    def async_forget(self, _event: Event | None = None) -> None:
        self._vocabulary = None

    @callback
    def async_listen(self) -> CALLBACK_TYPE:
        """Follow the registries, exposure and renamed/added/removed entities."""

        @callback
        def name_changed(event_data: Mapping[str, Any]) -> bool:
            old, new = event_data.get("old_state"), event_data.get("new_state")
            return old is None or new is None or old.name != new.name

        removers = [
            self._hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, self.async_forget),
            self._hass.bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, self.async_forget),
            self._hass.bus.async_listen(fr.EVENT_FLOOR_REGISTRY_UPDATED, self.async_forget),
            self._hass.bus.async_listen(
                EVENT_STATE_CHANGED, self.async_forget, event_filter=name_changed
            ),
            async_listen_entity_updates(self._hass, ASSIST, self.async_forget),
        ]

        @callback
        def remove() -> None:
            for remover in removers:
                remover()

        return remove
