"""The target agent AI Memory delegates to: answers at once (or after a fixed delay).

A trivial target makes the measured difference AI Memory's own work; the delayed one stands
in for a slow LLM so that the cache hit's saving shows. It never calls tools, so its answers
are cacheable "answer" entries (see custom_components/ai_memory/response_cache.py).
"""

from __future__ import annotations

import asyncio
from typing import Literal

from homeassistant.components import conversation
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from pytest_homeassistant_custom_component.common import MockConfigEntry

# No digits and no question mark: the cache would refuse to store such replies.
REPLY = "Here is a fun fact: penguins cannot fly, but they swim very well."


class FixedAgent(conversation.AbstractConversationAgent):
    """Answers every request with REPLY after `delay` seconds; counts its calls."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(REPLY)
        return conversation.ConversationResult(
            response=response, conversation_id=user_input.conversation_id
        )


def register_agent(hass: HomeAssistant, delay: float, title: str) -> tuple[str, FixedAgent]:
    """Register like an LLM integration does: one config entry, its id is the agent id."""
    entry = MockConfigEntry(domain="test", title=title)
    entry.add_to_hass(hass)
    agent = FixedAgent(delay)
    conversation.async_set_agent(hass, entry, agent)
    return entry.entry_id, agent
