"""Exactly-once turn delivery from Home Assistant's queue to a real sidecar, through faults.

* the sidecar SIGKILLed while it is in the middle of storing a batch: nothing of the batch is
  visible, the queue keeps it, and after the restart every turn is stored exactly once;
* the sidecar stores a batch but its answer is lost on the way back: the queue sends the batch
  again and the sidecar recognises every turn;
* Home Assistant restarted while turns wait: they are in HA storage and are delivered.

PostgreSQL is a private server on loopback, so the test can read and lock tables directly.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from homeassistant import loader
from homeassistant.components import conversation
from homeassistant.const import CONF_TOKEN, CONF_URL
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.ai_memory.const import DEFAULT_OPTIONS, DOMAIN, OUTBOX_SAVE_DELAY
from custom_components.ai_memory.outbox import Outbox
from tests.reliability.fixtures import (  # noqa: F401 - pytest fixtures
    database_fixture,
    database_url_fixture,
    sidecar_fixture,
)
from tests.reliability.lossy_proxy import LossyProxy
from tests.reliability.stack import TOKEN
from tests.support.sidecar_process import SidecarProcess

from .helpers import async_setup_light

pytestmark = pytest.mark.usefixtures("socket_enabled")

TURNS_IN_QUEUE = 250  # more than one delivery batch (OUTBOX_BATCH_SIZE is 200)
COUNT_TURNS = "SELECT count(*) FROM conversations WHERE turn_id = ANY($1::text[])"
COUNT_TRAINING = "SELECT count(*) FROM training_data WHERE turn_id = ANY($1::text[])"
COPIES = """
SELECT count(*) FROM (SELECT turn_id FROM conversations WHERE turn_id = ANY($1::text[])
                      GROUP BY turn_id HAVING count(*) <> 1) more_than_once
"""


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


async def _setup_entry(
    hass: HomeAssistant, url: str, entry_id: str | None = None
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="AI Memory (reliability)",
        data={CONF_URL: url, CONF_TOKEN: TOKEN},
        options=dict(DEFAULT_OPTIONS),
        **({"entry_id": entry_id} if entry_id else {}),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def _turn(n: int, run: str) -> dict[str, Any]:
    """A payload shaped like the one turns.py builds for an Assist turn."""
    return {
        "turn_id": f"{run}-{n:04d}",
        "conversation_id": f"{run}-conversation",
        "content": f"turn on the kitchen light ({n})",
        "response": "Turned on the light",
        "language": "en",
        "response_type": "action_done",
        "agent_id": "conversation.ai_memory",
        "metadata": {"handled_by": "conversation.home_assistant"},
        "created_at": datetime.now(UTC).isoformat(),
        "interaction_type": "command",
        "training": True,
    }


async def _until(check: Any, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _deliver(hass: HomeAssistant, entry: MockConfigEntry) -> Outbox:
    """What happens at the next poll: the coordinator sees the sidecar, the queue drains."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    outbox: Outbox = entry.runtime_data.outbox
    return outbox


async def _assert_stored_once(db: asyncpg.Connection, turn_ids: list[str]) -> None:
    assert await db.fetchval(COUNT_TURNS, turn_ids) == len(turn_ids)
    assert await db.fetchval(COPIES, turn_ids) == 0
    assert await db.fetchval(COUNT_TRAINING, turn_ids) == len(turn_ids)


async def _queue_during_outage(
    hass: HomeAssistant, sidecar: SidecarProcess, outbox: Outbox, turns: list[dict[str, Any]]
) -> None:
    """Turns pile up while the sidecar is stopped, so delivery sends full batches."""
    sidecar.stop()
    for turn in turns:
        outbox.async_add("turn", turn)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert outbox.pending == len(turns)
    sidecar.start()


async def test_sidecar_killed_mid_batch_leaves_nothing_partial_and_delivers_once(
    hass: HomeAssistant, sidecar: SidecarProcess, db: asyncpg.Connection, database_url: str
) -> None:
    entry = await _setup_entry(hass, sidecar.url)
    outbox: Outbox = entry.runtime_data.outbox
    run = uuid.uuid4().hex[:8]
    turns = [_turn(n, run) for n in range(TURNS_IN_QUEUE)]
    turn_ids = [turn["turn_id"] for turn in turns]
    await _queue_during_outage(hass, sidecar, outbox, turns)

    # Hold the training table: the batch's turns get inserted, its training rows must wait.
    blocker = await asyncpg.connect(database_url)
    transaction = blocker.transaction()
    await transaction.start()
    await blocker.execute("LOCK TABLE training_data IN EXCLUSIVE MODE")
    try:
        outbox.async_schedule_flush()  # sends the first 200 turns as one batch

        async def batch_is_waiting() -> bool:
            return bool(
                await db.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE '%INSERT INTO training_data%'"
                )
            )

        await _until(batch_is_waiting)
        assert await db.fetchval(COUNT_TURNS, turn_ids) == 0  # in flight, not visible
        sidecar.kill()
    finally:
        await transaction.rollback()
        await blocker.close()

    async def sidecar_sessions_gone() -> bool:
        return not await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )

    await _until(sidecar_sessions_gone)
    assert await db.fetchval(COUNT_TURNS, turn_ids) == 0  # the killed batch left nothing
    assert await db.fetchval(COUNT_TRAINING, turn_ids) == 0
    await hass.async_block_till_done(wait_background_tasks=True)
    assert outbox.pending == TURNS_IN_QUEUE

    sidecar.start()
    outbox = await _deliver(hass, entry)
    await outbox.async_flush()  # a second run must not duplicate anything

    assert outbox.pending == 0
    assert outbox.rejected == outbox.dropped == 0
    await _assert_stored_once(db, turn_ids)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_lost_acknowledgement_is_resent_and_stored_once(
    hass: HomeAssistant, sidecar: SidecarProcess, db: asyncpg.Connection
) -> None:
    proxy = LossyProxy("127.0.0.1", sidecar.port)
    await proxy.start()
    try:
        entry = await _setup_entry(hass, proxy.url)
        outbox: Outbox = entry.runtime_data.outbox
        run = uuid.uuid4().hex[:8]
        turns = [_turn(n, run) for n in range(20)]
        turn_ids = [turn["turn_id"] for turn in turns]

        await _queue_during_outage(hass, sidecar, outbox, turns)
        proxy.drop(b"POST /conversations/turns", times=1)
        outbox = await _deliver(hass, entry)

        assert proxy.dropped == 1
        assert await db.fetchval(COUNT_TURNS, turn_ids) == len(turns)  # stored as one batch...
        assert outbox.pending == len(turns)  # ...but Home Assistant never heard so

        outbox = await _deliver(hass, entry)
        assert outbox.pending == 0
        await _assert_stored_once(db, turn_ids)
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await proxy.stop()


async def test_turns_queued_across_a_home_assistant_restart_are_delivered_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sidecar: SidecarProcess,
    db: asyncpg.Connection,
) -> None:
    entry = await _setup_entry(hass, sidecar.url)
    await async_setup_light(hass)
    sidecar.stop()
    for text in ("turn on the kitchen light", "turn off the kitchen light"):
        result = await conversation.async_converse(
            hass, text, None, Context(), agent_id="conversation.ai_memory", language="en"
        )
        assert result.response.speech  # Assist answered although the sidecar is down
    await hass.async_block_till_done(wait_background_tasks=True)
    outbox: Outbox = entry.runtime_data.outbox
    assert outbox.pending == 2

    # Durable within the save delay (real time), before any clean shutdown.
    await asyncio.sleep(OUTBOX_SAVE_DELAY + 0.3)
    await hass.async_block_till_done()
    key = f"{DOMAIN}.{entry.entry_id}.outbox"
    queued = [item["payload"]["turn_id"] for item in hass_storage[key]["data"]["items"]]
    assert len(queued) == 2

    await hass.async_stop()
    sidecar.start()
    async with async_test_home_assistant(config_dir=hass.config.config_dir) as restarted:
        restarted.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # as enable_custom_integrations
        assert await async_setup_component(restarted, "homeassistant", {})
        entry_again = await _setup_entry(restarted, sidecar.url, entry_id=entry.entry_id)
        assert entry_again.runtime_data.outbox.pending == 0
        await restarted.config_entries.async_unload(entry_again.entry_id)
        await restarted.async_stop()

    await _assert_stored_once(db, queued)
