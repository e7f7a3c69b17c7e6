"""Feedback: which turn it lands on, bad input, the intent for HA's own agent, and spoken
ratings that are really answers to a question (sidecar answered by aioclient_mock)."""

from __future__ import annotations

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import intent
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import CONF_TARGET_AGENT, DEFAULT_OPTIONS, DOMAIN

from .conftest import SIDECAR_URL, sent_bodies, sent_turn_ids
from .helpers import ask
from .tool_agent import Reply, register_tool_agent


@pytest.fixture
def accepts_feedback(sidecar: AiohttpClientMocker) -> AiohttpClientMocker:
    sidecar.post(f"{SIDECAR_URL}/training/feedback", json={"matched": True}, status=201)
    return sidecar


@pytest.mark.usefixtures("init_integration")
async def test_the_service_needs_to_know_which_turn(hass: HomeAssistant) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "record_feedback", {"score": 3}, blocking=True)
    assert err.value.translation_key == "feedback_target_required"


async def test_a_device_without_turns_has_nothing_to_rate(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.get(f"{SIDECAR_URL}/conversations/history", json={"turns": []})
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "record_feedback", {"device_id": "nobody", "score": 3}, blocking=True
        )
    assert err.value.translation_key == "no_turn_to_rate"
    assert init_integration.runtime_data.outbox.pending == 0


async def test_after_a_restart_the_last_turn_comes_from_the_sidecar(
    hass: HomeAssistant, init_integration: MockConfigEntry, accepts_feedback: AiohttpClientMocker
) -> None:
    accepts_feedback.get(
        f"{SIDECAR_URL}/conversations/history",
        json={"turns": [{"turn_id": "stored-turn", "content": "hi"}]},
    )
    answer = await hass.services.async_call(
        DOMAIN,
        "record_feedback",
        {"device_id": "satellite-1", "score": 4},
        blocking=True,
        return_response=True,
    )
    assert answer == {"turn_id": "stored-turn", "score": 4}
    history = [url for _, url, _, _ in accepts_feedback.mock_calls if "history" in url.path]
    assert history[0].query["device_id"] == "satellite-1"
    await hass.async_block_till_done(wait_background_tasks=True)
    *_, sent = sent_bodies(accepts_feedback, "/training/feedback")
    assert sent["interaction_id"] == "stored-turn"


async def test_a_rating_event_with_bad_data_is_ignored(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    accepts_feedback: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass.bus.async_fire("ai_memory_rate_turn", {"turn_id": "t-1", "score": 9})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.runtime_data.outbox.pending == 0
    assert sent_bodies(accepts_feedback, "/training/feedback") == []
    assert "ai_memory_rate_turn" in caplog.text
    hass.bus.async_fire("ai_memory_rate_turn", {"turn_id": "t-1", "score": "5"})
    await hass.async_block_till_done(wait_background_tasks=True)
    [sent] = sent_bodies(accepts_feedback, "/training/feedback")
    assert (sent["interaction_id"], sent["score"], sent["source"]) == ("t-1", 5, "event")


async def test_the_feedback_intent_rates_the_devices_last_turn(
    hass: HomeAssistant, init_integration: MockConfigEntry, accepts_feedback: AiohttpClientMocker
) -> None:
    """For users who copy sentences/<lang>.yaml to HA's custom sentences."""
    await ask(hass, "turn on the kitchen light", device_id="satellite-2")
    [turn_id] = sent_turn_ids(accepts_feedback)
    response = await intent.async_handle(
        hass,
        "test",
        "AiMemoryFeedback",
        {"score": {"value": 1}},
        text_input="that was wrong",
        context=Context(),
        language="en",
        device_id="satellite-2",
    )
    assert response.speech["plain"]["speech"] == "Sorry about that. I've noted it."
    await hass.async_block_till_done(wait_background_tasks=True)
    [sent] = sent_bodies(accepts_feedback, "/training/feedback")
    assert (sent["interaction_id"], sent["score"], sent["source"]) == (turn_id, 1, "voice")


async def test_good_job_after_a_question_is_an_answer_not_a_rating(
    hass: HomeAssistant, init_integration: MockConfigEntry, accepts_feedback: AiohttpClientMocker
) -> None:
    agent_id, agent = register_tool_agent(
        hass, lambda text: Reply("Shall I also dim it?" if "light" in text else "Okay.")
    )
    hass.config_entries.async_update_entry(
        init_integration, options={**DEFAULT_OPTIONS, CONF_TARGET_AGENT: agent_id}
    )
    events = async_capture_events(hass, "ai_memory_feedback")
    first = await ask(hass, "brighten the reading light", device_id="satellite-3")
    await ask(hass, "good job", device_id="satellite-3", conversation_id=first.conversation_id)
    assert agent.heard == ["brighten the reading light", "good job"]
    assert events == []
