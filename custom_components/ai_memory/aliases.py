"""Entity aliases: stored in the sidecar and mirrored into HA's entity registry.

Writing aliases into the registry lets HA's own local matcher understand the
user's names for things. The registry's alias container changed over time: a set
of str up to 2026.4, an ordered list that may also hold a COMPUTED_NAME marker
(the entity's own name) from 2026.5. We keep every existing entry as it is, keep
the container type, and only ever compare the str entries.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .api import AiMemoryClient, AiMemoryError
from .const import ALIAS_CATEGORY, ALIAS_KEY_PREFIX, LOGGER

IMPORT_LIST_LIMIT = 1000


def normalize_alias(alias: str) -> str:
    """Collapse whitespace so that 'my  office ' and 'my office' are one alias."""
    return " ".join(alias.split())


def alias_key(alias: str) -> str:
    """Preference key of an alias (case-insensitive, as voice matching is)."""
    return f"{ALIAS_KEY_PREFIX}{normalize_alias(alias).casefold()}"


def _has_alias(aliases: Collection[Any], alias: str) -> bool:
    folded = alias.casefold()
    return any(isinstance(item, str) and item.casefold() == folded for item in aliases)


def _added(aliases: Collection[Any], alias: str) -> Collection[Any]:
    if isinstance(aliases, (set, frozenset)):
        return {*aliases, alias}
    return [*aliases, alias]


def _removed(aliases: Collection[Any], alias: str) -> Collection[Any]:
    folded = alias.casefold()
    kept = [i for i in aliases if not (isinstance(i, str) and i.casefold() == folded)]
    return set(kept) if isinstance(aliases, (set, frozenset)) else kept


def async_add_registry_alias(hass: HomeAssistant, entity_id: str, alias: str) -> bool:
    """Append alias to the entity's registry aliases; False if nothing changed."""
    registry = er.async_get(hass)
    if (entry := registry.async_get(entity_id)) is None or _has_alias(entry.aliases, alias):
        return False
    registry.async_update_entity(entity_id, aliases=_added(entry.aliases, alias))  # type: ignore[arg-type]
    return True


def async_remove_registry_alias(hass: HomeAssistant, entity_id: str, alias: str) -> bool:
    """Remove alias from the entity's registry aliases; False if it was not there."""
    registry = er.async_get(hass)
    if (entry := registry.async_get(entity_id)) is None or not _has_alias(entry.aliases, alias):
        return False
    registry.async_update_entity(entity_id, aliases=_removed(entry.aliases, alias))  # type: ignore[arg-type]
    return True


async def async_store_alias(client: AiMemoryClient, alias: str, entity_id: str) -> None:
    """Store alias -> entity in the sidecar (the seed's preference format)."""
    await client.async_set_preference(
        alias_key(alias),
        {"entity_id": entity_id, "alias": normalize_alias(alias)},
        ALIAS_CATEGORY,
    )


async def async_import_registry_aliases(hass: HomeAssistant, client: AiMemoryClient) -> int:
    """Copy aliases the user set in HA into the sidecar; return how many were new."""
    stored = await client.async_list_preferences(category=ALIAS_CATEGORY, limit=IMPORT_LIST_LIMIT)
    known = {
        pref["key"]: (pref.get("value") or {}).get("entity_id")
        for pref in stored
        if isinstance(pref.get("value"), dict)
    }
    imported = 0
    for entry in er.async_get(hass).entities.values():
        for alias in entry.aliases:
            if not isinstance(alias, str) or not normalize_alias(alias):
                continue
            if known.get(alias_key(alias)) == entry.entity_id:
                continue
            await async_store_alias(client, alias, entry.entity_id)
            known[alias_key(alias)] = entry.entity_id
            imported += 1
    return imported


async def async_learn_alias(
    hass: HomeAssistant,
    client: AiMemoryClient,
    alias: str,
    entity_id: str,
    *,
    sync_registry: bool,
) -> bool:
    """Store an alias, then mirror it into the registry; True if the registry changed.

    The sidecar is written first: if it fails, nothing has changed anywhere.
    """
    await async_store_alias(client, alias, entity_id)
    await _async_drop_cached(client, alias, entity_id)
    return sync_registry and async_add_registry_alias(hass, entity_id, normalize_alias(alias))


async def async_forget_alias(hass: HomeAssistant, client: AiMemoryClient, alias: str) -> str | None:
    """Delete an alias everywhere; return the entity it pointed to, if known."""
    key = alias_key(alias)
    stored = await client.async_get_preference(key)
    await client.async_delete_preference(key)
    value = stored.get("value")
    entity_id = value.get("entity_id") if isinstance(value, dict) else None
    await _async_drop_cached(client, alias, entity_id)
    if entity_id:
        async_remove_registry_alias(hass, entity_id, normalize_alias(alias))
    return entity_id


async def _async_drop_cached(client: AiMemoryClient, alias: str, entity_id: str | None) -> None:
    """A cached plan for "turn on <alias>" acts on what the alias meant before: drop every
    entry whose request mentions the alias (best effort; entries also expire)."""
    try:
        await client.async_cache_invalidate(
            mentions=[normalize_alias(alias)], dependencies=[entity_id] if entity_id else None
        )
    except AiMemoryError as err:
        LOGGER.warning("Could not drop cached answers that use the alias %r: %s", alias, err)
