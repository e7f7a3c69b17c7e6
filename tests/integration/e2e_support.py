"""Helpers for end-to-end tests against a real sidecar process (see conftest fixtures)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from homeassistant.const import CONF_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ai_memory.const import DEFAULT_OPTIONS, DOMAIN
from tests.support.sidecar_process import SidecarProcess


async def sidecar_call(
    hass: HomeAssistant, process: SidecarProcess, method: str, path: str, **kwargs: Any
) -> Any:
    """Call the sidecar directly (independent of the integration's client)."""
    session = async_get_clientsession(hass)
    async with session.request(
        method,
        f"{process.url}{path}",
        headers={"Authorization": f"Bearer {process.token}"},
        **kwargs,
    ) as response:
        assert response.status < 300, await response.text()
        if "ndjson" in response.content_type:
            return [json.loads(line) for line in (await response.text()).splitlines()]
        return await response.json()


async def wait_for_sidecar(
    hass: HomeAssistant,
    process: SidecarProcess,
    path: str,
    check: Callable[[Any], bool],
    *,
    within: float = 15.0,
) -> Any:
    """GET `path` from the sidecar until `check(answer)` holds; returns that answer.

    For what the sidecar does by itself (its backfill worker). Waits in real time, in HA's
    executor, so it also works while a test has frozen HA's clock (asyncio.sleep would not
    return, and time.sleep in the event loop is refused)."""
    step = 0.05
    for _ in range(int(within / step)):
        answer = await sidecar_call(hass, process, "GET", path)
        if check(answer):
            return answer
        await hass.async_add_executor_job(time.sleep, step)
    raise AssertionError(f"sidecar {path} not as expected within {within} s: {answer}")


async def embedding_control(hass: HomeAssistant, embedding_url: str, **changes: Any) -> Any:
    """Change how the local embedding server behaves (`mode`, `dimensions`; see
    tests/support/embedding_server.py) while sidecars use it."""
    session = async_get_clientsession(hass)
    async with session.post(f"{embedding_url}/control", json=changes) as response:
        assert response.status == 200, await response.text()
        return await response.json()


@asynccontextmanager
async def configured_entry(
    hass: HomeAssistant, process: SidecarProcess, title: str
) -> AsyncIterator[MockConfigEntry]:
    """The integration set up against a real sidecar with default options, as a user gets
    it; unloaded afterwards."""
    info = await sidecar_call(hass, process, "GET", "/info")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=info["instance_id"],
        data={CONF_URL: process.url, CONF_TOKEN: process.token},
        options=dict(DEFAULT_OPTIONS),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    try:
        yield entry
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)


def satellite(hass: HomeAssistant, entry: MockConfigEntry, area: str = "Kitchen") -> str:
    """A voice satellite device standing in an area; returns its device id."""
    area_entry = ar.async_get(hass).async_get_or_create(area)
    registry = dr.async_get(hass)
    device = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("e2e", uuid.uuid4().hex)}, name="Satellite"
    )
    registry.async_update_device(device.id, area_id=area_entry.id)
    return device.id


async def history(
    hass: HomeAssistant, entry: MockConfigEntry, process: SidecarProcess, device_id: str
) -> list[dict[str, Any]]:
    """The device's turns as stored in the sidecar (after delivering the outbox)."""
    await entry.runtime_data.outbox.async_flush()
    params = {"device_id": device_id}
    return (await sidecar_call(hass, process, "GET", "/conversations/history", params=params))[
        "turns"
    ]
