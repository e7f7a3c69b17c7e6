"""Diagnostics for AI Memory (the token never leaves)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant

from .data import AiMemoryConfigEntry

TO_REDACT = {CONF_TOKEN}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: AiMemoryConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug a setup: config, sidecar identity, counters, queue."""
    runtime = entry.runtime_data
    coordinator, outbox = runtime.coordinator, runtime.outbox
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "sidecar": {
            "info": runtime.info,
            "last_update_success": coordinator.last_update_success,
            "unreachable_since": (
                coordinator.unreachable_since.isoformat() if coordinator.unreachable_since else None
            ),
            "stats": coordinator.data,
        },
        "llm_api_id": runtime.llm_api_id,
        "outbox": {
            "pending": outbox.pending,
            "dropped": outbox.dropped,
            "rejected": outbox.rejected,
        },
    }
