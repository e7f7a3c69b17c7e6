"""A stand-in for an LLM agent that acts through HA's LLM API.

`ToolAgent` is not ours and not a mock of ours: it plays the part of an LLM integration
(Ollama, OpenAI, …) the way those integrations work on HA 2025.4 — it selects the Assist LLM
API on the chat log, asks for tool calls, lets the chat log execute them through HA's real
intent tools, and answers. Its "model" is a table from request to tool calls and reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from homeassistant.components import conversation
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import chat_session, intent, llm
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    setup_test_component_platform,
)

from .helpers import SimpleLight


@dataclass
class Reply:
    """What the "model" does for one request: tool calls, then this text."""

    text: str
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class ToolAgent(conversation.AbstractConversationAgent):
    """Answers from `model(text)`, calling tools of the Assist API like an LLM agent."""

    def __init__(self, hass: HomeAssistant, model: Callable[[str], Reply]) -> None:
        self.hass = hass
        self.model = model
        self.heard: list[str] = []
        self.tool_results: list[dict[str, Any]] = []

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        self.heard.append(user_input.text)
        reply = self.model(user_input.text)
        with (
            chat_session.async_get_chat_session(self.hass, user_input.conversation_id) as session,
            conversation.async_get_chat_log(self.hass, session, user_input) as chat_log,
        ):
            await chat_log.async_update_llm_data("test", user_input, llm.LLM_API_ASSIST, None)
            if reply.tool_calls:
                calls = [llm.ToolInput(name, args) for name, args in reply.tool_calls]
                async for result in chat_log.async_add_assistant_content(
                    conversation.AssistantContent(agent_id="test", content=None, tool_calls=calls)
                ):
                    self.tool_results.append(result.tool_result)
            chat_log.async_add_assistant_content_without_tools(
                conversation.AssistantContent(agent_id="test", content=reply.text)
            )
            response = intent.IntentResponse(language=user_input.language)
            response.async_set_speech(reply.text)
            return conversation.ConversationResult(
                response=response, conversation_id=chat_log.conversation_id
            )


def register_tool_agent(
    hass: HomeAssistant, model: Callable[[str], Reply]
) -> tuple[str, ToolAgent]:
    entry = MockConfigEntry(domain="test", title="Stand-in LLM with tools")
    entry.add_to_hass(hass)
    agent = ToolAgent(hass, model)
    conversation.async_set_agent(hass, entry, agent)
    return entry.entry_id, agent


async def async_setup_lights(hass: HomeAssistant, *names: str) -> dict[str, SimpleLight]:
    """Set up HA's intents and exposed lights; entity id → light."""
    assert await async_setup_component(hass, "intent", {})
    lights = [SimpleLight(name, f"light-{index}") for index, name in enumerate(names)]
    setup_test_component_platform(hass, "light", lights)
    assert await async_setup_component(hass, "light", {"light": {"platform": "test"}})
    await hass.async_block_till_done()
    return {light.entity_id: light for light in lights}
