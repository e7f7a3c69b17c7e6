"""The export_training_data action: the sidecar's training examples into a file.

The export is streamed chunk by chunk into `<config>/ai_memory/exports/`, so it may be as
large as the sidecar holds; a file left incomplete by a failure is removed.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EXPORT_READ_TIMEOUT
from .data import AiMemoryConfigEntry


def _export_path(hass: HomeAssistant) -> Path:
    stamp = dt_util.utcnow().strftime("%Y%m%dT%H%M%SZ")
    return Path(hass.config.path(DOMAIN, "exports", f"training-{stamp}.jsonl"))


async def async_export_training(
    hass: HomeAssistant, entry: AiMemoryConfigEntry, data: dict[str, Any]
) -> ServiceResponse:
    """Stream training examples (chat-messages JSONL) into a file under the config dir."""
    for key in ("since", "until"):
        if value := data.get(key):
            data[key] = dt_util.as_utc(value).isoformat()
    path = _export_path(hass)
    await hass.async_add_executor_job(partial(path.parent.mkdir, parents=True, exist_ok=True))
    handle = await hass.async_add_executor_job(path.open, "wb")
    try:

        async def write(chunk: bytes) -> None:
            await hass.async_add_executor_job(handle.write, chunk)

        count = await entry.runtime_data.client.async_export_training_to(
            write, read_timeout=EXPORT_READ_TIMEOUT, **data
        )
    except BaseException:
        await hass.async_add_executor_job(handle.close)
        await hass.async_add_executor_job(partial(path.unlink, missing_ok=True))
        raise
    await hass.async_add_executor_job(handle.close)
    return {"count": count, "path": str(path)}
