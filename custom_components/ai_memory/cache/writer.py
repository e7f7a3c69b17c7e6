"""Writes to the sidecar's cache that no turn waits for: storing a result, dropping an entry.

Both run as background tasks of the config entry. A write the sidecar fails costs at most a
cache hit later, so the failure is logged at debug level and otherwise ignored.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback

from ..api import AiMemoryError
from ..const import CACHE_TIMEOUT, DOMAIN, LOGGER
from ..data import AiMemoryConfigEntry


class CacheWriter:
    """Sends cache writes in the background."""

    def __init__(self, hass: HomeAssistant, entry: AiMemoryConfigEntry) -> None:
        """Initialize the writer."""
        self._hass = hass
        self._entry = entry

    @callback
    def async_drop(self, entry_id: int | None, *, false_hit: bool) -> None:
        """Drop an entry that answered wrongly (a false hit) or that the speaker rejected."""
        if entry_id is None:
            return
        client = self._entry.runtime_data.client

        async def drop() -> None:
            try:
                await client.async_cache_invalidate(ids=[entry_id], false_hit=false_hit)
            except AiMemoryError as err:
                LOGGER.debug("Could not drop cache entry %s: %s", entry_id, err)

        self._entry.async_create_background_task(self._hass, drop(), f"{DOMAIN} cache drop")

    @callback
    def async_store(self, payload: dict[str, Any]) -> None:
        """Store an answer or a plan (a request made by cache/check.py's store_request)."""
        client = self._entry.runtime_data.client

        async def store() -> None:
            try:
                await client.async_cache_store(**payload, request_timeout=CACHE_TIMEOUT * 5)
            except AiMemoryError as err:
                LOGGER.debug("Could not store in the response cache: %s", err)

        # Not started eagerly: building and sending the request then happens after the
        # answer has been handed back, not before.
        self._entry.async_create_background_task(
            self._hass, store(), f"{DOMAIN} cache store", eager_start=False
        )
