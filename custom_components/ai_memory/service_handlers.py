"""What each action does (but the file export: training_export.py); the caller translates
sidecar errors."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er

from .aliases import async_forget_alias, async_learn_alias, normalize_alias
from .api import AiMemoryNotFoundError
from .const import CONF_ALIAS_SYNC, DEFAULT_OPTIONS, DOMAIN
from .data import AiMemoryConfigEntry
from .feedback import NoTurnToRate, async_give_feedback


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _text(data: dict[str, Any], field: str) -> str:
    """A required text field that is not just whitespace."""
    if not (value := str(data[field]).strip()):
        raise _invalid("empty_field", field=field)
    return value


async def async_add_memory(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Store a memory."""
    if data.get("scope", "household") != "household" and not data.get("scope_id"):
        raise _invalid("scope_id_required", scope=data["scope"])
    data["content"] = _text(data, "content")
    return await entry.runtime_data.client.async_add_memory(**data)


async def async_search_memory(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Search memories."""
    query = _text(data, "query")
    filters = {key: value for key, value in data.items() if key != "query"}
    return await entry.runtime_data.client.async_search_memory(query, **filters)


async def async_forget_memory(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Delete a memory."""
    memory_id = _text(data, "memory_id")
    try:
        return await entry.runtime_data.client.async_delete_memory(memory_id)
    except AiMemoryNotFoundError as err:
        raise _invalid("memory_not_found", memory_id=memory_id) from err


async def async_set_preference(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Create or replace a preference."""
    return await entry.runtime_data.client.async_set_preference(
        _text(data, "key"), data["value"], data.get("category")
    )


async def async_get_preference(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Read a preference; a missing one is an answer, not an error."""
    key = _text(data, "key")
    try:
        preference = await entry.runtime_data.client.async_get_preference(key)
    except AiMemoryNotFoundError:
        return {"key": key, "found": False, "value": None}
    return {**preference, "found": True}


async def async_set_alias(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Teach a name for an entity."""
    alias, entity_id = normalize_alias(_text(data, "alias")), data["entity_id"]
    if hass.states.get(entity_id) is None and not er.async_get(hass).async_get(entity_id):
        raise _invalid("entity_not_found", entity_id=entity_id)
    options = {**DEFAULT_OPTIONS, **entry.options}
    registry_updated = await async_learn_alias(
        hass,
        entry.runtime_data.client,
        alias,
        entity_id,
        sync_registry=bool(options[CONF_ALIAS_SYNC]),
    )
    return {"alias": alias, "entity_id": entity_id, "registry_updated": registry_updated}


async def async_remove_alias(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Forget a name."""
    alias = normalize_alias(_text(data, "alias"))
    try:
        entity_id = await async_forget_alias(hass, entry.runtime_data.client, alias)
    except AiMemoryNotFoundError as err:
        raise _invalid("alias_not_found", alias=alias) from err
    return {"alias": alias, "entity_id": entity_id, "removed": True}


async def async_record_feedback(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Queue a score for a turn (named, or the last one of a device or conversation);
    delivered even if the sidecar is down right now."""
    turn_id = _text(data, "turn_id") if "turn_id" in data else None
    device_id, conversation_id = data.get("device_id"), data.get("conversation_id")
    if turn_id is None and not (device_id or conversation_id):
        raise _invalid("feedback_target_required")
    try:
        turn_id = await async_give_feedback(
            hass,
            entry,
            score=data["score"],
            source="service",
            comment=data.get("comment"),
            turn_id=turn_id,
            device_id=device_id,
            conversation_id=conversation_id,
        )
    except NoTurnToRate as err:
        raise _invalid("no_turn_to_rate") from err
    return {"turn_id": turn_id, "score": data["score"]}


async def async_cache_stats(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Return response-cache statistics."""
    return dict(await entry.runtime_data.client.async_get_cache_stats())


async def async_clear_cache(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Drop expired (or all) cache entries."""
    return await entry.runtime_data.client.async_clear_cache(clear_all=data["all"])
