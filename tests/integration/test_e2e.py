"""End to end: HA + the AI Memory integration + a real sidecar process (PostgreSQL).

Nothing of ours is mocked: the agent, outbox, aliases and services run against
`python -m sidecar` on loopback, and results are read back over its HTTP API.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from prometheus_client.parser import text_string_to_metric_families
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ai_memory.const import (
    CONF_LOCAL_FIRST,
    CONF_TARGET_AGENT,
    DEFAULT_OPTIONS,
    DOMAIN,
    PREFERENCES_MAX_AGE,
)
from custom_components.ai_memory.preference_snapshot import PreferenceSnapshot
from tests.support.embedded_sidecar import embedded_sidecar
from tests.support.sidecar_process import SidecarProcess

from .e2e_support import configured_entry, satellite, sidecar_call
from .helpers import ask, async_setup_light, register_llm_agent

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture(scope="session")
def sidecar_process() -> Iterator[SidecarProcess]:
    """One real sidecar (embedded PostgreSQL) for the whole session."""
    with embedded_sidecar("ai-memory-e2e-", {"EMBEDDING_PROVIDER": "none"}) as process:
        yield process


@pytest.fixture
async def e2e_entry(
    hass: HomeAssistant, sidecar_process: SidecarProcess
) -> AsyncIterator[MockConfigEntry]:
    """The integration configured against the real sidecar."""
    async with configured_entry(hass, sidecar_process, "AI Memory (e2e)") as entry:
        yield entry


async def test_turn_is_answered_and_stored_in_postgres(
    hass: HomeAssistant, e2e_entry: MockConfigEntry, sidecar_process: SidecarProcess
) -> None:
    """(a) The AI Memory agent turns the light on; the turn lands in the sidecar."""
    light = await async_setup_light(hass)
    device_id = satellite(hass, e2e_entry)

    result = await ask(hass, "turn on the kitchen light", device_id=device_id, language="en")

    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    assert hass.states.get(light).state == STATE_ON
    stored = await sidecar_call(
        hass, sidecar_process, "GET", "/conversations/history", params={"device_id": device_id}
    )
    turns = stored["turns"]
    assert len(turns) == 1
    turn = turns[0]
    assert turn["content"] == "turn on the kitchen light"
    assert turn["device_id"] == device_id
    assert turn["language"] == "en"
    assert turn["area_id"] == "kitchen"
    assert turn["conversation_id"] == result.conversation_id
    assert turn["response_type"] == "action_done"
    assert turn["response"] == result.response.speech["plain"]["speech"]
    assert e2e_entry.runtime_data.outbox.pending == 0


async def test_the_real_sidecar_is_a_version_this_integration_works_with(
    hass: HomeAssistant, e2e_entry: MockConfigEntry, sidecar_process: SidecarProcess
) -> None:
    """The polled /stats carries the sidecar's release, the one /info gives, and the sidecar
    of this repository is never reported as outdated."""
    info = await sidecar_call(hass, sidecar_process, "GET", "/info")
    assert e2e_entry.runtime_data.coordinator.data["version"] == info["version"]
    issue_id = f"sidecar_outdated_{e2e_entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_alias_set_by_service_is_understood_by_home_assistant(
    hass: HomeAssistant, e2e_entry: MockConfigEntry, sidecar_process: SidecarProcess
) -> None:
    """(b) set_alias teaches HA's own agent a new name for the light."""
    light = await async_setup_light(hass)
    alias = f"moon lamp {uuid.uuid4().hex[:6]}"
    before = await ask(hass, f"turn on the {alias}", agent_id="conversation.home_assistant")
    assert before.response.response_type is intent.IntentResponseType.ERROR
    assert hass.states.get(light).state == STATE_OFF

    await hass.services.async_call(
        DOMAIN, "set_alias", {"alias": alias, "entity_id": light}, blocking=True
    )
    result = await ask(hass, f"turn on the {alias}", agent_id="conversation.home_assistant")

    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    assert hass.states.get(light).state == STATE_ON
    stored = await sidecar_call(
        hass, sidecar_process, "GET", "/preferences/get", params={"key": f"entity_alias.{alias}"}
    )
    assert stored["value"]["entity_id"] == light
    assert stored["category"] == "aliases"


@pytest.mark.parametrize("outage", ["stop", "kill"])
async def test_outage_turns_are_answered_queued_and_delivered_once(
    hass: HomeAssistant, e2e_entry: MockConfigEntry, sidecar_process: SidecarProcess, outage: str
) -> None:
    """(c) Sidecar stopped or killed: Assist still answers; on return every turn arrives once."""
    light = await async_setup_light(hass)
    device_id = satellite(hass, e2e_entry)
    recorded = async_capture_events(hass, "ai_memory_turn_recorded")
    outbox = e2e_entry.runtime_data.outbox
    url = sidecar_process.url

    getattr(sidecar_process, outage)()
    try:
        for text, state in (
            ("turn on the kitchen light", STATE_ON),
            ("turn off the kitchen light", STATE_OFF),
            ("turn on the kitchen light", STATE_ON),
        ):
            result = await ask(hass, text, device_id=device_id)
            assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
            assert hass.states.get(light).state == state
        assert outbox.pending == 3
        assert hass.states.get("sensor.ai_memory_queued_records").state == "3"
        await e2e_entry.runtime_data.coordinator.async_refresh()
        assert hass.states.get("binary_sensor.ai_memory_connectivity").state == STATE_OFF
    finally:
        sidecar_process.start()
    assert sidecar_process.url == url  # same port, as after a real restart

    # The next poll notices the sidecar is back and delivers the queue.
    await e2e_entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    # A second delivery run must not duplicate anything (idempotent on turn_id).
    await outbox.async_flush()

    assert outbox.pending == 0
    assert hass.states.get("sensor.ai_memory_queued_records").state == "0"
    stored = await sidecar_call(
        hass, sidecar_process, "GET", "/conversations/history", params={"device_id": device_id}
    )
    turns = stored["turns"]
    assert sorted(turn["turn_id"] for turn in turns) == sorted(
        event.data["turn_id"] for event in recorded
    )
    assert len(turns) == 3


async def test_recall_prompt_reuses_preferences_until_one_is_written(
    hass: HomeAssistant, e2e_entry: MockConfigEntry, sidecar_process: SidecarProcess
) -> None:
    """Preferences are read once for many turns; one set through HA is in the very next
    prompt, one set around HA (another client of the sidecar) once the snapshot is old."""
    agent_id, agent = register_llm_agent(hass)
    hass.config_entries.async_update_entry(
        e2e_entry,
        options={**DEFAULT_OPTIONS, CONF_TARGET_AGENT: agent_id, CONF_LOCAL_FIRST: False},
    )
    now = [0.0]
    data = e2e_entry.runtime_data
    data.preferences = PreferenceSnapshot(data.client, clock=lambda: now[0])
    coffee, tea = f"e2e.coffee_{uuid.uuid4().hex[:6]}", f"e2e.tea_{uuid.uuid4().hex[:6]}"

    async def prompt_after(text: str) -> str:
        await ask(hass, text)
        return str(agent.inputs[-1].extra_system_prompt)

    await hass.services.async_call(
        DOMAIN, "set_preference", {"key": coffee, "value": "black"}, blocking=True
    )
    assert f'{coffee}: "black"' in await prompt_after("what do I drink?")
    reads = await _preference_reads(hass, sidecar_process)

    await sidecar_call(
        hass, sidecar_process, "POST", "/preferences/set", json={"key": tea, "value": "green"}
    )
    assert tea not in await prompt_after("what else do I drink?")
    assert await _preference_reads(hass, sidecar_process) == reads  # served from the snapshot

    now[0] += PREFERENCES_MAX_AGE
    assert f'{tea}: "green"' in await prompt_after("and in the evening?")

    await hass.services.async_call(
        DOMAIN, "set_preference", {"key": coffee, "value": "white"}, blocking=True
    )
    assert f'{coffee}: "white"' in await prompt_after("what do I drink now?")
    assert await _preference_reads(hass, sidecar_process) == reads + 2


async def _preference_reads(hass: HomeAssistant, process: SidecarProcess) -> float:
    """How many times the sidecar has listed preferences (its Prometheus counter)."""
    session = async_get_clientsession(hass)
    headers = {"Authorization": f"Bearer {process.token}"}
    async with session.get(f"{process.url}/metrics", headers=headers) as response:
        metrics = await response.text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "ai_memory_http_requests_total"
        and sample.labels.get("route") == "/preferences/list"
    )
