"""Record a finished turn: queue it for the sidecar, remember it, tell automations."""

from __future__ import annotations

import time

from homeassistant.core import HomeAssistant, callback

from .const import EVENT_TURN_RECORDED
from .outbox import Outbox
from .recent_turns import RecentTurn, RecentTurns
from .turns import TurnOutcome, async_build_turn


@callback
def async_record_turn(
    hass: HomeAssistant,
    outbox: Outbox,
    outcome: TurnOutcome,
    *,
    training: bool,
    recent: RecentTurns | None = None,
) -> None:
    """Queue the turn for the sidecar, remember it for feedback and tell automations."""
    turn = async_build_turn(hass, outcome, training=training)
    outbox.async_add("turn", turn)
    if recent is not None:
        entry_id = outcome.cache.get("entry_id") if outcome.cache.get("hit") else None
        recent.add(
            RecentTurn(
                turn_id=outcome.turn_id,
                text=outcome.user_input.text,
                device_id=outcome.user_input.device_id,
                conversation_id=outcome.conversation_id,
                language=outcome.user_input.language,
                cache_entry_id=entry_id,
                at=time.monotonic(),
            )
        )
    hass.bus.async_fire(
        EVENT_TURN_RECORDED,
        {
            key: turn.get(key)
            for key in (
                "turn_id",
                "conversation_id",
                "content",
                "response",
                "language",
                "response_type",
                "device_id",
                "satellite_id",
                "area_id",
                "agent_id",
                "latency_ms",
            )
        },
        context=outcome.user_input.context,
    )
