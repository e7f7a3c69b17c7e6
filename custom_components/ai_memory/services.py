"""Actions (services) of the AI Memory integration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError

from . import service_handlers as handlers
from .const import DOMAIN
from .data import AiMemoryConfigEntry
from .errors import translate_sidecar_errors
from .service_schemas import ATTR_CONFIG_ENTRY_ID, SCHEMAS
from .training_export import async_export_training

type Handler = Callable[
    [HomeAssistant, AiMemoryConfigEntry, dict[str, Any]], Awaitable[ServiceResponse]
]

SERVICES: dict[str, tuple[Handler, SupportsResponse]] = {
    "add_memory": (handlers.async_add_memory, SupportsResponse.OPTIONAL),
    "search_memory": (handlers.async_search_memory, SupportsResponse.ONLY),
    "forget_memory": (handlers.async_forget_memory, SupportsResponse.OPTIONAL),
    "set_preference": (handlers.async_set_preference, SupportsResponse.OPTIONAL),
    "get_preference": (handlers.async_get_preference, SupportsResponse.ONLY),
    "set_alias": (handlers.async_set_alias, SupportsResponse.OPTIONAL),
    "remove_alias": (handlers.async_remove_alias, SupportsResponse.OPTIONAL),
    "record_feedback": (handlers.async_record_feedback, SupportsResponse.OPTIONAL),
    "export_training_data": (async_export_training, SupportsResponse.ONLY),
    "cache_stats": (handlers.async_cache_stats, SupportsResponse.ONLY),
    "clear_cache": (handlers.async_clear_cache, SupportsResponse.OPTIONAL),
}


@callback
def _async_get_entry(hass: HomeAssistant, call: ServiceCall) -> AiMemoryConfigEntry:
    """The entry named in the call, or the only loaded one."""
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_found",
                translation_placeholders={"entry_id": entry_id},
            )
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"entry_id": entry_id},
            )
        return entry
    loaded = hass.config_entries.async_loaded_entries(DOMAIN)
    if len(loaded) != 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_required" if loaded else "no_loaded_entry",
        )
    return loaded[0]


async def _async_handle(
    handler: Handler, hass: HomeAssistant, call: ServiceCall
) -> ServiceResponse:
    entry = _async_get_entry(hass, call)
    data = {k: v for k, v in call.data.items() if k != ATTR_CONFIG_ENTRY_ID}
    with translate_sidecar_errors(hass, entry):
        answer = await handler(hass, entry, data)
    return answer if call.return_response else None


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once for the integration (not per entry)."""
    for name, (handler, supports_response) in SERVICES.items():
        hass.services.async_register(
            DOMAIN,
            name,
            partial(_async_handle, handler, hass),
            schema=SCHEMAS[name],
            supports_response=supports_response,
        )
