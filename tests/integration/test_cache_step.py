"""The agent's cache step against the sidecar's HTTP API (answered by aioclient_mock):
when it looks up, what it stores, and that the sidecar failing never costs an answer."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import (
    CONF_CACHE_ENABLED,
    CONF_LOCAL_FIRST,
    CONF_TARGET_AGENT,
    DEFAULT_OPTIONS,
    DOMAIN,
)

from .conftest import SIDECAR_URL, mock_healthy_sidecar, sent_bodies, sent_turns
from .helpers import ask, async_setup_light
from .tool_agent import Reply, ToolAgent, register_tool_agent


def _llm(
    hass: HomeAssistant, entry: MockConfigEntry, replies: dict[str, str], **options: Any
) -> ToolAgent:
    agent_id, agent = register_tool_agent(hass, lambda text: Reply(replies.get(text, "Sure.")))
    hass.config_entries.async_update_entry(
        entry, options={**DEFAULT_OPTIONS, CONF_TARGET_AGENT: agent_id, **options}
    )
    return agent


async def test_home_assistant_as_target_never_uses_the_cache(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    await ask(hass, "tell me a joke")
    assert sent_bodies(sidecar, "/cache/lookup") == []
    assert sent_bodies(sidecar, "/cache/store") == []


async def test_the_cache_can_be_switched_off(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    agent = _llm(hass, init_integration, {}, **{CONF_CACHE_ENABLED: False})
    await ask(hass, "tell me a joke")
    assert agent.heard == ["tell me a joke"]
    assert sent_bodies(sidecar, "/cache/lookup") == []
    assert sent_bodies(sidecar, "/cache/store") == []
    assert "cache" not in sent_turns(sidecar)[0]["metadata"]


async def test_a_plain_answer_is_looked_up_then_stored_with_its_signature(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    _llm(hass, init_integration, {"tell me a joke": "A lamp walks into a bar."})
    await ask(hass, "tell me a joke")
    [lookup] = sent_bodies(sidecar, "/cache/lookup")
    assert lookup["kinds"] == ["answer", "plan"]
    assert lookup["scope"] == "household"
    assert lookup["min_similarity"] == DEFAULT_OPTIONS["cache_similarity"]
    [stored] = sent_bodies(sidecar, "/cache/store")
    assert stored["kind"] == "answer"
    assert stored["response"] == "A lamp walks into a bar."
    assert stored["signature"] == lookup["signature"]
    assert stored["signature"]["v"] == 1
    assert sent_turns(sidecar)[0]["metadata"]["cache"] == {"hit": False, "semantic": "ok"}


async def test_answers_about_the_moment_or_the_home_are_not_stored(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    _llm(
        hass,
        init_integration,
        {
            "say something nice": "It is 21 degrees outside.",  # a number the request lacked
            "what is 6 times 7": "42",  # numbers in the request
            "shall we talk": "Shall we?",  # a follow-up question
        },
    )
    for text in ("say something nice", "what is 6 times 7", "shall we talk"):
        await ask(hass, text)
    assert len(sent_bodies(sidecar, "/cache/lookup")) == 3
    assert sent_bodies(sidecar, "/cache/store") == []


async def test_questions_about_the_state_skip_the_cache(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    # Local-first off: otherwise HA itself answers this (it never reaches the cache).
    agent = _llm(hass, init_integration, {"what time is it": "Noon"}, **{CONF_LOCAL_FIRST: False})
    await ask(hass, "what time is it")
    assert agent.heard == ["what time is it"]
    assert sent_bodies(sidecar, "/cache/lookup") == []
    assert sent_bodies(sidecar, "/cache/store") == []
    assert sent_turns(sidecar)[0]["metadata"]["cache"] == {"hit": False, "skipped": "live"}


async def test_a_cached_answer_is_spoken_without_the_agent(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.clear_requests()
    aioclient_mock.post(  # registered first: answers before the default miss
        f"{SIDECAR_URL}/cache/lookup",
        json={
            "hit": True,
            "match": "semantic",
            "similarity": 0.97,
            "entry": {"id": 7, "kind": "answer", "response": "Knock knock.", "metadata": {}},
        },
    )
    mock_healthy_sidecar(aioclient_mock)
    agent = _llm(hass, init_integration, {})
    result = await ask(hass, "tell me a joke please")
    assert result.response.speech["plain"]["speech"] == "Knock knock."
    assert agent.heard == []
    [turn] = sent_turns(aioclient_mock)
    assert turn["metadata"]["handled_by"] == "cache"
    assert turn["metadata"]["cache"] == {
        "hit": True,
        "match": "semantic",
        "entry_id": 7,
        "similarity": 0.97,
        "kind": "answer",
    }
    assert sent_bodies(aioclient_mock, "/cache/store") == []


async def test_a_failing_sidecar_costs_no_answer_and_is_left_alone_for_a_while(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    aioclient_mock.clear_requests()
    aioclient_mock.post(f"{SIDECAR_URL}/cache/lookup", exc=TimeoutError())
    mock_healthy_sidecar(aioclient_mock)
    agent = _llm(hass, init_integration, {"tell me a joke": "A lamp walks into a bar."})
    first = await ask(hass, "tell me a joke")
    second = await ask(hass, "tell me another joke")
    assert [r.response.speech["plain"]["speech"] for r in (first, second)] == [
        "A lamp walks into a bar.",
        "Sure.",
    ]
    assert agent.heard == ["tell me a joke", "tell me another joke"]
    assert len(sent_bodies(aioclient_mock, "/cache/lookup")) == 1  # not retried right away
    assert sent_bodies(aioclient_mock, "/cache/store") == []
    assert [t["metadata"]["cache"] for t in sent_turns(aioclient_mock)][-1] == {
        "hit": False,
        "skipped": "sidecar_unavailable",
    }


async def test_teaching_an_alias_drops_cached_requests_that_use_it(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    """A plan cached for "turn on the moon lamp" acts on what the alias meant before."""
    light = await async_setup_light(hass)
    sidecar.post(f"{SIDECAR_URL}/preferences/set", json={"key": "k", "created": True})
    await hass.services.async_call(
        DOMAIN, "set_alias", {"alias": "Moon  lamp", "entity_id": light}, blocking=True
    )
    [dropped] = sent_bodies(sidecar, "/cache/invalidate")
    assert dropped == {"mentions": ["Moon lamp"], "dependencies": [light]}
