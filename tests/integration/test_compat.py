"""Feature detection for newer HA signatures (2025.12 satellite_id, chat_log)."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant

from custom_components.ai_memory import compat

CALL = {
    "text": "hi",
    "conversation_id": "c1",
    "context": Context(),
    "language": "en",
    "agent_id": "conversation.home_assistant",
    "device_id": "d1",
    "satellite_id": "assist_satellite.kitchen",
    "extra_system_prompt": None,
}


async def test_satellite_id_passed_only_when_supported(hass: HomeAssistant) -> None:
    """2025.12+ signature gets satellite_id by keyword; 2025.4 never sees it."""
    seen: dict[str, Any] = {}

    async def converse_2025_12(  # noqa: PLR0917 - mirrors HA's signature
        hass: HomeAssistant,
        text: str,
        conversation_id: str | None,
        context: Context,
        language: str | None = None,
        agent_id: str | None = None,
        device_id: str | None = None,
        satellite_id: str | None = None,
        extra_system_prompt: str | None = None,
    ) -> str:
        seen.update(satellite_id=satellite_id, extra_system_prompt=extra_system_prompt)
        return "ok"

    with patch.object(conversation, "async_converse", converse_2025_12):
        assert await compat.async_converse(hass, **CALL) == "ok"
    assert seen == {"satellite_id": "assist_satellite.kitchen", "extra_system_prompt": None}

    # The installed version (2025.4) has no satellite_id: the call must still work.
    assert "satellite_id" not in compat._parameters(conversation.async_converse)


async def test_local_intents_get_chat_log_when_supported(hass: HomeAssistant) -> None:
    """Later HA versions take the chat log as an argument."""
    received: dict[str, Any] = {}

    async def handle_intents_new(
        hass: HomeAssistant, user_input: Any, chat_log: Any, *, intent_filter: Any = None
    ) -> None:
        received["chat_log"] = chat_log

    with patch.object(conversation, "async_handle_intents", handle_intents_new):
        await compat.async_handle_local_intents(hass, "input", "the-chat-log")  # type: ignore[arg-type]
    assert received == {"chat_log": "the-chat-log"}
