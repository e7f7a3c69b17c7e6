"""The durable outbox: nothing is lost silently, nothing is sent twice."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)

from custom_components.ai_memory.api import AiMemoryClient
from custom_components.ai_memory.outbox import Outbox

from .conftest import SIDECAR_URL, TOKEN, mock_healthy_sidecar, sent_bodies, sent_turn_ids


def _turn(turn_id: str, content: str = "hello") -> dict[str, Any]:
    return {"turn_id": turn_id, "content": content}


def _outbox(hass: HomeAssistant, max_items: int = 100) -> Outbox:
    client = AiMemoryClient(SIDECAR_URL, TOKEN, async_get_clientsession(hass))
    return Outbox(hass, "test", client, max_items=max_items)


async def test_full_queue_drops_oldest_and_says_so(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, caplog: pytest.LogCaptureFixture
) -> None:
    """The oldest record goes, the loss is counted and logged."""
    aioclient_mock.post(f"{SIDECAR_URL}/conversations/turns", exc=TimeoutError())
    outbox = _outbox(hass, max_items=2)
    with caplog.at_level(logging.WARNING):
        for turn_id in ("a", "b", "c"):
            outbox.async_add("turn", _turn(turn_id))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert outbox.pending == 2
    assert outbox.dropped == 1
    assert "outbox is full" in caplog.text
    aioclient_mock.clear_requests()
    aioclient_mock.post(f"{SIDECAR_URL}/conversations/turns", json={"results": []})
    assert await outbox.async_flush() == 2
    assert sent_turn_ids(aioclient_mock) == ["b", "c"]


async def test_rejected_record_does_not_block_the_rest(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A turn the sidecar refuses is dropped (counted); the others arrive."""

    async def answer(method: str, url: Any, data: dict[str, Any]) -> AiohttpClientMockResponse:
        bad = any(turn["content"] == "bad" for turn in data["turns"])
        return AiohttpClientMockResponse(
            method, url, status=400 if bad else 200, json={"message": "no"} if bad else {}
        )

    aioclient_mock.post(f"{SIDECAR_URL}/conversations/turns", side_effect=answer)
    outbox = _outbox(hass)
    outbox.async_add("turn", _turn("1"))
    outbox.async_add("turn", _turn("2", "bad"))
    outbox.async_add("turn", _turn("3"))
    await hass.async_block_till_done(wait_background_tasks=True)
    await outbox.async_flush()
    assert outbox.pending == 0
    assert outbox.rejected == 1
    accepted = [
        turn["turn_id"]
        for _, url, body, _ in aioclient_mock.mock_calls
        for turn in body["turns"]
        if len(body["turns"]) == 1 and turn["content"] != "bad"
    ]
    assert sorted(accepted) == ["1", "3"]


async def test_queue_survives_restart_and_is_delivered_once(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    hass_storage: dict[str, Any],
) -> None:
    """Records persisted at unload are delivered after the next setup."""
    aioclient_mock.get(f"{SIDECAR_URL}/info", exc=TimeoutError())
    aioclient_mock.get(f"{SIDECAR_URL}/stats", exc=TimeoutError())
    aioclient_mock.post(f"{SIDECAR_URL}/conversations/turns", exc=TimeoutError())
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    outbox = mock_config_entry.runtime_data.outbox
    outbox.async_add("turn", _turn("kept-1"))
    outbox.async_add("feedback", {"interaction_id": "kept-1", "score": 5})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    stored = hass_storage[f"ai_memory.{mock_config_entry.entry_id}.outbox"]["data"]
    assert [item["kind"] for item in stored["items"]] == ["turn", "feedback"]

    aioclient_mock.clear_requests()
    mock_healthy_sidecar(aioclient_mock)
    aioclient_mock.post(f"{SIDECAR_URL}/training/feedback", json={}, status=201)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sent_turn_ids(aioclient_mock) == ["kept-1"]
    feedback = sent_bodies(aioclient_mock, "/training/feedback")
    assert feedback == [{"interaction_id": "kept-1", "score": 5}]
    assert mock_config_entry.runtime_data.outbox.pending == 0


async def test_poll_after_outage_delivers_waiting_turns(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """When the sidecar answers the poll again, queued turns go out."""
    aioclient_mock.get(f"{SIDECAR_URL}/info", exc=TimeoutError())
    aioclient_mock.get(f"{SIDECAR_URL}/stats", exc=TimeoutError())
    aioclient_mock.post(f"{SIDECAR_URL}/conversations/turns", exc=TimeoutError())
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    mock_config_entry.runtime_data.outbox.async_add("turn", _turn("late"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_config_entry.runtime_data.outbox.pending == 1

    aioclient_mock.clear_requests()
    mock_healthy_sidecar(aioclient_mock)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sent_turn_ids(aioclient_mock) == ["late"]
    assert mock_config_entry.runtime_data.outbox.pending == 0
