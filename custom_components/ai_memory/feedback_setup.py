"""Feedback from outside the AI Memory agent: HA's own agent and automations.

Registered once for every entry: the `AiMemoryFeedback` intent (voice_feedback.py) and a
listener for the `ai_memory_rate_turn` event, whose data is checked before it is recorded.
"""

from __future__ import annotations

import voluptuous as vol
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import intent

from .const import EVENT_RATE_TURN, LOGGER
from .feedback import NoTurnToRate, async_give_feedback, loaded_entry
from .voice_feedback import FeedbackIntentHandler

RATE_TURN_SCHEMA = vol.Schema(
    {
        vol.Required("score"): vol.All(vol.Coerce(int), vol.Range(min=1, max=5)),
        vol.Optional("turn_id"): cv.string,
        vol.Optional("device_id"): cv.string,
        vol.Optional("conversation_id"): cv.string,
        vol.Optional("comment"): cv.string,
        vol.Optional("config_entry_id"): cv.string,
    },
    extra=vol.ALLOW_EXTRA,
)


@callback
def async_setup_feedback(hass: HomeAssistant) -> None:
    """Register the intent and the rating event (once, for every entry)."""
    intent.async_register(hass, FeedbackIntentHandler())

    async def rate(event: Event) -> None:
        try:
            data = RATE_TURN_SCHEMA(dict(event.data))
        except vol.Invalid as err:
            LOGGER.warning("Ignoring %s event with bad data: %s", EVENT_RATE_TURN, err)
            return
        if (entry := loaded_entry(hass, data.get("config_entry_id"))) is None:
            LOGGER.warning("Ignoring %s event: no AI Memory entry is loaded", EVENT_RATE_TURN)
            return
        try:
            await async_give_feedback(
                hass,
                entry,
                score=data["score"],
                source="event",
                comment=data.get("comment"),
                turn_id=data.get("turn_id"),
                device_id=data.get("device_id"),
                conversation_id=data.get("conversation_id"),
            )
        except NoTurnToRate:
            LOGGER.warning(
                "Ignoring %s event: no recorded turn for %s", EVENT_RATE_TURN, dict(event.data)
            )

    hass.bus.async_listen(EVENT_RATE_TURN, rate)
