"""Real HA pieces for the tests: a light that changes state, a stand-in LLM agent, speaking
to an agent, HA's clock moved on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.components.light import ColorMode, LightEntity
from homeassistant.const import MATCH_ALL
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    setup_test_component_platform,
)


class SimpleLight(LightEntity):
    """An on/off light whose state really changes."""

    _attr_color_mode = ColorMode.ONOFF
    _attr_should_poll = False

    def __init__(self, name: str, unique_id: str) -> None:
        """Initialize the light."""
        self._attr_name = name
        self._attr_unique_id = unique_id
        self._attr_is_on = False
        self._attr_supported_color_modes = {ColorMode.ONOFF}

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn on."""
        self._attr_is_on = True
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn off."""
        self._attr_is_on = False
        self.async_write_ha_state()


async def async_setup_light(hass: HomeAssistant, name: str = "Kitchen light") -> str:
    """Set up HA's intents and one light exposed to Assist; return its entity id."""
    assert await async_setup_component(hass, "intent", {})
    setup_test_component_platform(hass, "light", [SimpleLight(name, "light-1")])
    assert await async_setup_component(hass, "light", {"light": {"platform": "test"}})
    await hass.async_block_till_done()
    return "light." + name.lower().replace(" ", "_")


class RecordingAgent(conversation.AbstractConversationAgent):
    """Stands in for an LLM agent (not ours): records what it was given."""

    def __init__(self) -> None:
        """Initialize the agent."""
        self.inputs: list[conversation.ConversationInput] = []

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Any language."""
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Answer with a fixed sentence."""
        self.inputs.append(user_input)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech("LLM answer")
        return conversation.ConversationResult(
            response=response, conversation_id=user_input.conversation_id
        )


def register_llm_agent(hass: HomeAssistant) -> tuple[str, RecordingAgent]:
    """Register the stand-in agent; return its agent id."""
    entry = MockConfigEntry(domain="test", title="Stand-in LLM")
    entry.add_to_hass(hass)
    agent = RecordingAgent()
    conversation.async_set_agent(hass, entry, agent)
    return entry.entry_id, agent


async def advance_minutes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: int
) -> None:
    """Move HA's (frozen) clock on, run what fell due (the coordinator's poll) and wait for it."""
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def ask(
    hass: HomeAssistant,
    text: str,
    device_id: str | None = None,
    *,
    agent_id: str = "conversation.ai_memory",
    conversation_id: str | None = None,
    **kwargs: Any,
) -> conversation.ConversationResult:
    """Speak to an agent (AI Memory's unless told) and wait for its background work
    (recording the turn, caching)."""
    result = await conversation.async_converse(
        hass=hass,
        text=text,
        conversation_id=conversation_id,
        context=Context(),
        agent_id=agent_id,
        device_id=device_id,
        **kwargs,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return result
