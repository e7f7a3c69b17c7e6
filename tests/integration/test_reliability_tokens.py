"""The sidecar's token never leaves Home Assistant: not in logs (at DEBUG), diagnostics,
error messages or config flows — while working, while the sidecar is down, and when the
sidecar refuses a wrong token (reauth). Against a real sidecar process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ai_memory.const import DEFAULT_OPTIONS, DOMAIN
from tests.reliability.fixtures import database_fixture  # noqa: F401 - pytest fixture
from tests.reliability.postgres import PostgresProcess
from tests.reliability.stack import TOKEN, running_sidecar
from tests.support.sidecar_process import SidecarProcess

pytestmark = pytest.mark.usefixtures("socket_enabled")

WRONG_TOKEN = "wrong-Qw7Er9Ty2Ui4Op6As8Df"


@pytest.fixture
def sidecar(database: PostgresProcess) -> Iterator[SidecarProcess]:
    with running_sidecar(database.uri("ai_memory")) as process:
        yield process


async def _entry(hass: HomeAssistant, url: str, token: str) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="AI Memory (tokens)",
        data={CONF_URL: url, CONF_TOKEN: token},
        options=dict(DEFAULT_OPTIONS),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def test_token_never_leaves_home_assistant(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    sidecar: SidecarProcess,
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = await _entry(hass, sidecar.url, TOKEN)
    assert entry.state is ConfigEntryState.LOADED
    await hass.services.async_call(
        DOMAIN, "add_memory", {"content": "the spare key is in the shed"}, blocking=True
    )
    found = await hass.services.async_call(
        DOMAIN, "search_memory", {"query": "key"}, blocking=True, return_response=True
    )
    assert found["results"]

    sidecar.stop()  # errors while the sidecar is away are logged and raised
    await entry.runtime_data.coordinator.async_refresh()
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "search_memory", {"query": "key"}, blocking=True, return_response=True
        )
    sidecar.start()
    await entry.runtime_data.coordinator.async_refresh()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    refused = await _entry(hass, sidecar.url, WRONG_TOKEN)  # 401: reauth is started
    assert refused.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]

    visible = "\n".join(
        [caplog.text, json.dumps(diagnostics), str(raised.value), json.dumps(flows, default=str)]
    )
    assert TOKEN not in visible
    assert WRONG_TOKEN not in visible
    assert "AI Memory" in caplog.text or "ai_memory" in caplog.text  # the logs were captured
