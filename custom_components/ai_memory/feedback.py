"""Feedback 1–5 on a turn, whatever its source: the service, an event, or the voice.

Feedback lands on one turn: the one named, or else the last turn on the same conversation or
device (the last answer the person heard). It goes through the durable outbox with a
`feedback_id`, so a re-sent copy after a lost answer is recorded once, and fires
`ai_memory_feedback` for automations. voice_feedback.py recognises spoken feedback;
feedback_setup.py listens for HA's intent and the rating event.
"""

from __future__ import annotations

import uuid
from typing import Any

from homeassistant.core import HomeAssistant

from .api import AiMemoryError
from .const import DOMAIN, EVENT_FEEDBACK, LOGGER
from .data import AiMemoryConfigEntry


class NoTurnToRate(Exception):
    """No turn matches: nothing was said on that device or conversation lately."""


async def async_find_turn(
    hass: HomeAssistant,
    entry: AiMemoryConfigEntry,
    *,
    device_id: str | None,
    conversation_id: str | None,
    within: float | None = None,
) -> str:
    """The last turn of the conversation, else of the device: remembered, else recorded."""
    data = entry.runtime_data
    recent = data.recent_turns.last(
        device_id=device_id, conversation_id=conversation_id, within=within
    )
    if recent is not None:
        return recent.turn_id
    if within is None:
        # Not remembered (HA restarted): the sidecar's history has it.
        for key, value in (("conversation_id", conversation_id), ("device_id", device_id)):
            if value is None:
                continue
            try:
                turns = await data.client.async_get_history(**{key: value, "limit": 1})
            except AiMemoryError as err:
                LOGGER.debug("Cannot read the last turn from the sidecar: %s", err)
                break
            if turns:
                return str(turns[-1]["turn_id"])
    raise NoTurnToRate


async def async_give_feedback(
    hass: HomeAssistant,
    entry: AiMemoryConfigEntry,
    *,
    score: int,
    source: str,
    comment: str | None = None,
    turn_id: str | None = None,
    device_id: str | None = None,
    conversation_id: str | None = None,
    within: float | None = None,
) -> str:
    """Queue feedback for a turn (given, or the last one); returns the turn id."""
    if turn_id is None:
        turn_id = await async_find_turn(
            hass, entry, device_id=device_id, conversation_id=conversation_id, within=within
        )
    feedback: dict[str, Any] = {
        "interaction_id": turn_id,
        "score": score,
        "comment": comment,
        "source": source,
        "feedback_id": uuid.uuid4().hex,
    }
    entry.runtime_data.outbox.async_add(
        "feedback", {key: value for key, value in feedback.items() if value is not None}
    )
    hass.bus.async_fire(
        EVENT_FEEDBACK,
        {"turn_id": turn_id, "score": score, "comment": comment, "source": source},
    )
    return turn_id


def loaded_entry(hass: HomeAssistant, entry_id: str | None) -> AiMemoryConfigEntry | None:
    """The loaded entry with this id (the first loaded one without an id); None if none is."""
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if entry_id is not None:
        entries = [entry for entry in entries if entry.entry_id == entry_id]
    return entries[0] if entries else None
