"""Actions: requests sent to the sidecar, answers returned, errors translated."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import CONF_ALIAS_SYNC, DEFAULT_OPTIONS, DOMAIN

from .conftest import SIDECAR_URL

pytestmark = pytest.mark.usefixtures("init_integration")


def _last_call(mock: AiohttpClientMocker, path: str) -> tuple[Any, Any]:
    """Return (url, body) of the last request to path."""
    calls = [(url, body) for _, url, body, _ in mock.mock_calls if url.path == path]
    assert calls, f"no request to {path}"
    return calls[-1]


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any], **kw: Any) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, **kw)


async def test_add_memory_sends_fields_and_returns_answer(
    hass: HomeAssistant, sidecar: AiohttpClientMocker
) -> None:
    """Only given fields are sent (the sidecar refuses unknown ones)."""
    sidecar.post(f"{SIDECAR_URL}/memory/add", json={"id": "m1", "created": True})
    answer = await _call(
        hass,
        "add_memory",
        {"content": "  Lights at 50% in the evening ", "tags": ["lighting"]},
        return_response=True,
    )
    assert answer == {"id": "m1", "created": True}
    _, body = _last_call(sidecar, "/memory/add")
    assert body == {
        "content": "Lights at 50% in the evening",
        "tags": ["lighting"],
        "source": "home_assistant",
    }


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"content": "   "}, "empty_field"),
        ({"content": "x", "scope": "person"}, "scope_id_required"),
    ],
)
async def test_add_memory_bad_input_is_translated(
    hass: HomeAssistant, data: dict[str, Any], key: str
) -> None:
    """Input that the schema lets through but makes no sense is refused, translated."""
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "add_memory", data)
    assert err.value.translation_key == key


async def test_schema_rejects_out_of_range(hass: HomeAssistant) -> None:
    """Scores outside 1..5 never reach the sidecar."""
    with pytest.raises(vol.Invalid):
        await _call(hass, "record_feedback", {"turn_id": "t", "score": 9})


async def test_search_memory_passes_filters(
    hass: HomeAssistant, sidecar: AiohttpClientMocker
) -> None:
    """Filters become query parameters; tags are comma separated."""
    found = {"query": "light", "mode": "lexical", "degraded": True, "results": []}
    sidecar.clear_requests()
    sidecar.get(f"{SIDECAR_URL}/memory/search", json=found)
    answer = await _call(
        hass,
        "search_memory",
        {"query": "light", "tags": ["a", "b"], "min_score": 0.5},
        return_response=True,
    )
    assert answer == found
    url, _ = _last_call(sidecar, "/memory/search")
    assert dict(url.query) == {"query": "light", "tags": "a,b", "min_score": "0.5", "limit": "5"}


async def test_forget_missing_memory(hass: HomeAssistant, sidecar: AiohttpClientMocker) -> None:
    """A 404 is the user's mistake: a translated validation error."""
    sidecar.delete(f"{SIDECAR_URL}/memory/nope", status=HTTPStatus.NOT_FOUND, json={})
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "forget_memory", {"memory_id": "nope"})
    assert err.value.translation_key == "memory_not_found"


async def test_preferences(hass: HomeAssistant, sidecar: AiohttpClientMocker) -> None:
    """Set sends any JSON value; get reports missing keys as found: false."""
    stored = {"key": "user.wake_time", "value": {"time": "07:00"}, "category": "user"}
    sidecar.post(f"{SIDECAR_URL}/preferences/set", json={**stored, "created": True})
    sidecar.get(f"{SIDECAR_URL}/preferences/get?key=user.wake_time", json=stored)
    sidecar.get(f"{SIDECAR_URL}/preferences/get?key=missing", status=404, json={})

    await _call(
        hass,
        "set_preference",
        {"key": "user.wake_time", "value": {"time": "07:00"}, "category": "user"},
    )
    assert _last_call(sidecar, "/preferences/set")[1] == stored
    answer = await _call(hass, "get_preference", {"key": "user.wake_time"}, return_response=True)
    assert answer == {**stored, "found": True}
    answer = await _call(hass, "get_preference", {"key": "missing"}, return_response=True)
    assert answer == {"key": "missing", "found": False, "value": None}


async def test_set_alias_keeps_existing_registry_aliases(
    hass: HomeAssistant, sidecar: AiohttpClientMocker, entity_registry: er.EntityRegistry
) -> None:
    """The alias is stored in the seed's format and appended to the registry."""
    entry = entity_registry.async_get_or_create("light", "test", "kitchen")
    entity_registry.async_update_entity(entry.entity_id, aliases={"cooker light"})
    sidecar.post(f"{SIDECAR_URL}/preferences/set", json={"created": True})

    answer = await _call(
        hass,
        "set_alias",
        {"alias": " Big  Lamp ", "entity_id": entry.entity_id},
        return_response=True,
    )
    assert answer == {"alias": "Big Lamp", "entity_id": entry.entity_id, "registry_updated": True}
    assert _last_call(sidecar, "/preferences/set")[1] == {
        "key": "entity_alias.big lamp",
        "value": {"entity_id": entry.entity_id, "alias": "Big Lamp"},
        "category": "aliases",
    }
    assert entity_registry.async_get(entry.entity_id).aliases == {"cooker light", "Big Lamp"}


async def test_set_alias_without_sync_leaves_registry(
    hass: HomeAssistant,
    sidecar: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """With alias sync off only the sidecar learns the alias."""
    hass.config_entries.async_update_entry(
        init_integration, options={**DEFAULT_OPTIONS, CONF_ALIAS_SYNC: False}
    )
    entry = entity_registry.async_get_or_create("light", "test", "hall")
    sidecar.post(f"{SIDECAR_URL}/preferences/set", json={"created": True})
    await _call(hass, "set_alias", {"alias": "corridor", "entity_id": entry.entity_id})
    assert entity_registry.async_get(entry.entity_id).aliases == set()


async def test_set_alias_unknown_entity(hass: HomeAssistant) -> None:
    """An alias for an entity that does not exist is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_alias", {"alias": "x", "entity_id": "light.ghost"})
    assert err.value.translation_key == "entity_not_found"


async def test_remove_alias(
    hass: HomeAssistant, sidecar: AiohttpClientMocker, entity_registry: er.EntityRegistry
) -> None:
    """Removal deletes the preference and only that registry alias."""
    entry = entity_registry.async_get_or_create("light", "test", "desk")
    entity_registry.async_update_entity(entry.entity_id, aliases={"desk lamp", "reading"})
    key = "entity_alias.reading"
    sidecar.get(
        f"{SIDECAR_URL}/preferences/get?key={key}",
        json={"key": key, "value": {"entity_id": entry.entity_id}, "category": "aliases"},
    )
    sidecar.delete(f"{SIDECAR_URL}/preferences/delete?key={key}", json={"deleted": True})
    sidecar.get(f"{SIDECAR_URL}/preferences/get?key=entity_alias.nothing", status=404, json={})

    await _call(hass, "remove_alias", {"alias": "Reading"})
    assert entity_registry.async_get(entry.entity_id).aliases == {"desk lamp"}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "remove_alias", {"alias": "nothing"})
    assert err.value.translation_key == "alias_not_found"


async def test_record_feedback_is_queued_delivered_and_announced(
    hass: HomeAssistant, sidecar: AiohttpClientMocker
) -> None:
    """Feedback goes through the durable outbox and fires an event."""
    events = async_capture_events(hass, "ai_memory_feedback")
    sidecar.post(f"{SIDECAR_URL}/training/feedback", json={"matched": True}, status=201)
    answer = await _call(
        hass,
        "record_feedback",
        {"turn_id": "t-1", "score": 2, "comment": "wrong room"},
        return_response=True,
    )
    assert answer == {"turn_id": "t-1", "score": 2}
    await hass.async_block_till_done(wait_background_tasks=True)
    sent = _last_call(sidecar, "/training/feedback")[1]
    # A fresh id per feedback lets the sidecar ignore a re-sent copy.
    assert len(sent.pop("feedback_id")) == 32
    assert sent == {
        "interaction_id": "t-1",
        "score": 2,
        "comment": "wrong room",
        "source": "service",
    }
    assert [event.data["score"] for event in events] == [2]


async def test_export_training_writes_the_ndjson_to_a_file(
    hass: HomeAssistant, sidecar: AiohttpClientMocker
) -> None:
    """The NDJSON export is streamed into a file under the config dir."""
    line = '{"messages": [{"role": "user", "content": "hi"}], "metadata": {}}'
    sidecar.get(
        f"{SIDECAR_URL}/training/export",
        text=f"{line}\n{line}\n",
        headers={"content-type": "application/x-ndjson"},
    )
    answer = await _call(hass, "export_training_data", {"language": "pl"}, return_response=True)
    assert answer["count"] == 2
    path = Path(answer["path"])
    assert path.parent == Path(hass.config.path("ai_memory", "exports"))
    lines = (await hass.async_add_executor_job(path.read_text)).splitlines()
    assert [json.loads(item)["messages"][0]["content"] for item in lines] == ["hi", "hi"]
    url, _ = _last_call(sidecar, "/training/export")
    assert url.query["mark_exported"] == "true"
    assert url.query["language"] == "pl"


async def test_cache_actions(hass: HomeAssistant, sidecar: AiohttpClientMocker) -> None:
    """Cache stats and clear (all) reach the right endpoints."""
    sidecar.get(f"{SIDECAR_URL}/cache/stats", json={"entries": 3, "hit_rate": 0.5})
    sidecar.delete(f"{SIDECAR_URL}/cache/clear", json={"deleted": 3, "cleared": "all"})
    assert await _call(hass, "cache_stats", {}, return_response=True) == {
        "entries": 3,
        "hit_rate": 0.5,
    }
    answer = await _call(hass, "clear_cache", {"all": True}, return_response=True)
    assert answer == {"deleted": 3, "cleared": "all"}
    assert _last_call(sidecar, "/cache/clear")[0].query["all"] == "true"


@pytest.mark.parametrize(
    ("answer", "error", "key"),
    [
        ({"exc": TimeoutError()}, HomeAssistantError, "communication_error"),
        (
            {"status": 503, "json": {"error": "database_unavailable"}},
            HomeAssistantError,
            "communication_error",
        ),
        (
            {"status": 400, "json": {"message": "limit too big"}},
            ServiceValidationError,
            "invalid_request",
        ),
        ({"status": 401, "json": {}}, HomeAssistantError, "authentication_error"),
    ],
)
async def test_sidecar_errors_are_translated(
    hass: HomeAssistant,
    sidecar: AiohttpClientMocker,
    answer: dict[str, Any],
    error: type[Exception],
    key: str,
) -> None:
    """Each kind of sidecar failure becomes the matching translated exception."""
    sidecar.get(f"{SIDECAR_URL}/cache/stats", **answer)
    with pytest.raises(error) as err:
        await _call(hass, "cache_stats", {}, return_response=True)
    assert err.value.translation_key == key


async def test_unknown_entry_id(hass: HomeAssistant) -> None:
    """Naming an entry that is not ours is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "cache_stats", {"config_entry_id": "nope"}, return_response=True)
    assert err.value.translation_key == "entry_not_found"


async def test_refused_token_in_action_starts_reauth(
    hass: HomeAssistant, sidecar: AiohttpClientMocker
) -> None:
    """A 401 during an action asks the user for a new token."""
    sidecar.clear_requests()
    sidecar.get(f"{SIDECAR_URL}/cache/stats", status=401, json={})
    with pytest.raises(HomeAssistantError):
        await _call(hass, "cache_stats", {}, return_response=True)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
