"""Feature detection for Home Assistant APIs that changed between 2025.4 and 2026.11.

Each helper detects the feature (signature or attribute), never the version string,
and keeps the branch to a line or two.
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent


@cache
def _parameters(func: Any) -> frozenset[str]:
    return frozenset(inspect.signature(func).parameters)


def satellite_id_of(user_input: conversation.ConversationInput) -> str | None:
    """Return the satellite entity id (ConversationInput has it from 2025.12)."""
    return getattr(user_input, "satellite_id", None)


async def async_converse(
    hass: HomeAssistant,
    *,
    text: str,
    conversation_id: str | None,
    context: Context,
    language: str | None,
    agent_id: str,
    device_id: str | None,
    satellite_id: str | None,
    extra_system_prompt: str | None,
) -> conversation.ConversationResult:
    """Call conversation.async_converse by keyword only.

    2025.12 inserted satellite_id before extra_system_prompt, so positional calls
    would silently shift arguments.
    """
    kwargs: dict[str, Any] = {
        "hass": hass,
        "text": text,
        "conversation_id": conversation_id,
        "context": context,
        "language": language,
        "agent_id": agent_id,
        "device_id": device_id,
        "extra_system_prompt": extra_system_prompt,
    }
    if "satellite_id" in _parameters(conversation.async_converse):
        kwargs["satellite_id"] = satellite_id
    return await conversation.async_converse(**kwargs)


async def async_handle_local_intents(
    hass: HomeAssistant,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
) -> intent.IntentResponse | None:
    """Run HA's strict local intent matching; None when nothing matched.

    Later versions take the chat log as a third argument.
    """
    kwargs: dict[str, Any] = {"hass": hass, "user_input": user_input}
    if "chat_log" in _parameters(conversation.async_handle_intents):
        kwargs["chat_log"] = chat_log
    return await conversation.async_handle_intents(**kwargs)
