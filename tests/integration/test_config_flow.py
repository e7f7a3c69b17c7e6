"""Config, reauth, reconfigure and options flows."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ai_memory.const import (
    CONF_ALIAS_SYNC,
    CONF_CACHE_ENABLED,
    CONF_CACHE_SIMILARITY,
    CONF_LOCAL_FIRST,
    CONF_RECALL_COUNT,
    CONF_RECALL_DOMAIN,
    CONF_RECALL_MIN_SCORE,
    CONF_RECORD_TURNS,
    CONF_TARGET_AGENT,
    CONF_TRAINING_CAPTURE,
    DOMAIN,
)

from .conftest import INFO, INSTANCE_ID, SIDECAR_URL, TOKEN, mock_healthy_sidecar


async def test_user_flow_creates_entry_with_instance_id(
    hass: HomeAssistant, sidecar: AiohttpClientMocker
) -> None:
    """URL and token are checked against /info; the instance id is the unique id."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"{SIDECAR_URL}/", CONF_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "AI Memory (sidecar.test)"
    assert result["data"] == {CONF_URL: SIDECAR_URL, CONF_TOKEN: TOKEN}
    assert result["result"].unique_id == INSTANCE_ID
    _, url, _, headers = sidecar.mock_calls[0]
    assert str(url) == f"{SIDECAR_URL}/info"
    assert headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            {"status": HTTPStatus.UNAUTHORIZED, "json": {"error": "unauthorized"}},
            {CONF_TOKEN: "invalid_auth"},
        ),
        ({"exc": TimeoutError()}, {CONF_URL: "cannot_connect"}),
        ({"status": HTTPStatus.SERVICE_UNAVAILABLE}, {CONF_URL: "cannot_connect"}),
        ({"json": ["not", "the", "sidecar"]}, {"base": "unknown"}),
    ],
)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    answer: dict,
    error: dict[str, str],
) -> None:
    """A failing check shows the error and the user can retry."""
    aioclient_mock.get(f"{SIDECAR_URL}/info", **answer)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: SIDECAR_URL, CONF_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error

    aioclient_mock.clear_requests()
    mock_healthy_sidecar(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: SIDECAR_URL, CONF_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_rejects_non_http_url(hass: HomeAssistant) -> None:
    """The URL is validated before anything is sent."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "ftp://sidecar", CONF_TOKEN: TOKEN}
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}


async def test_same_sidecar_twice_aborts(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    """One entry per sidecar instance, even under another URL."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: SIDECAR_URL, CONF_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_updates_token(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: AiohttpClientMocker
) -> None:
    """A new token is validated and stored."""
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "new-token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_TOKEN] == "new-token"


async def test_reauth_wrong_token_shows_error(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """A refused token keeps the form open."""
    result = await init_integration.start_reauth_flow(hass)
    aioclient_mock.clear_requests()
    aioclient_mock.get(f"{SIDECAR_URL}/info", status=HTTPStatus.UNAUTHORIZED)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "still-wrong"}
    )
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}
    assert init_integration.data[CONF_TOKEN] == TOKEN


async def test_reconfigure_changes_url(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """The same sidecar under a new address is accepted."""
    aioclient_mock.get("http://new-host:8080/info", json=INFO)
    aioclient_mock.get("http://new-host:8080/stats", json={})
    # The reload imports registry aliases in the background.
    aioclient_mock.get("http://new-host:8080/preferences/list", json={"preferences": []})
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "http://new-host:8080", CONF_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_URL] == "http://new-host:8080"


async def test_reconfigure_to_other_sidecar_aborts(
    hass: HomeAssistant, init_integration: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """Another database is another entry, not a reconfiguration."""
    aioclient_mock.get("http://other:8080/info", json={**INFO, "instance_id": "other"})
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "http://other:8080", CONF_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_sidecar"
    assert init_integration.data[CONF_URL] == SIDECAR_URL


async def test_options_flow_saves_all_options(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Every option is stored; the recall count becomes an int."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    options = {
        CONF_TARGET_AGENT: "conversation.home_assistant",
        CONF_LOCAL_FIRST: False,
        CONF_RECORD_TURNS: True,
        CONF_TRAINING_CAPTURE: False,
        CONF_RECALL_COUNT: 3.0,
        CONF_RECALL_MIN_SCORE: 0.4,
        CONF_RECALL_DOMAIN: "lighting",
        CONF_ALIAS_SYNC: False,
        CONF_CACHE_ENABLED: False,
        CONF_CACHE_SIMILARITY: 0.95,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {**options, CONF_RECALL_COUNT: 3}


@pytest.mark.parametrize(
    ("target", "error"),
    [("conversation.ai_memory", "self_target"), ("conversation.nobody", "agent_not_found")],
)
async def test_options_flow_rejects_bad_target(
    hass: HomeAssistant, init_integration: MockConfigEntry, target: str, error: str
) -> None:
    """The agent cannot wrap itself or a missing agent."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_TARGET_AGENT: target,
            CONF_LOCAL_FIRST: True,
            CONF_RECORD_TURNS: True,
            CONF_TRAINING_CAPTURE: True,
            CONF_RECALL_COUNT: 5,
            CONF_RECALL_MIN_SCORE: 0,
            CONF_ALIAS_SYNC: True,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TARGET_AGENT: error}
