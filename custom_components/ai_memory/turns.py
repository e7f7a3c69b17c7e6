"""Describe a finished Assist turn the way the sidecar stores it (turn_recording.py sends it)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent

from .compat import satellite_id_of

INTERACTION_TYPES = {
    intent.IntentResponseType.ACTION_DONE: "command",
    intent.IntentResponseType.QUERY_ANSWER: "question",
}


def classify_interaction(response: intent.IntentResponse, text: str, *, used_tools: bool) -> str:
    """command / question / conversation, as the training data expects.

    Only a matched intent makes response_type meaningful: LLM answers are plain
    speech that HA labels action_done by default. For those, a tool call means
    the LLM acted on the home.
    """
    if response.intent is not None:
        return INTERACTION_TYPES.get(response.response_type, "conversation")
    if used_tools:
        return "command"
    return "question" if text.rstrip().endswith("?") else "conversation"


@dataclass(slots=True, kw_only=True)
class TurnOutcome:
    """What happened during one turn, gathered by the agent."""

    user_input: conversation.ConversationInput
    result: conversation.ConversationResult
    conversation_id: str
    agent_id: str
    handled_by: str
    started_at: datetime
    latency_ms: int
    memory_ids: list[Any] = field(default_factory=list)
    used_tools: bool = False
    turn_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # What the response cache did: {"hit": True, "match": "exact"|"semantic", "entry_id",
    # "similarity", "kind"} or {"hit": False, …why}; empty when the cache was not consulted.
    cache: dict[str, Any] = field(default_factory=dict)
    # The tool calls of the turn (for training data): [{"id", "name", "arguments", "result"}]
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


@callback
def async_resolve_area_id(
    hass: HomeAssistant, device_id: str | None, satellite_id: str | None
) -> str | None:
    """Area of the speaker: the satellite entity's, then its device's."""
    if satellite_id and (entity := er.async_get(hass).async_get(satellite_id)):
        if entity.area_id:
            return entity.area_id
        device_id = device_id or entity.device_id
    if device_id and (device := dr.async_get(hass).async_get(device_id)):
        return device.area_id
    return None


def speech_of(response: intent.IntentResponse) -> str:
    """Plain speech of an intent response ('' when there is none)."""
    return str(response.speech.get("plain", {}).get("speech", ""))


# Tool results can be large (GetLiveContext lists every exposed entity): kept whole up to
# this many characters of JSON, else as a truncated preview.
MAX_TOOL_RESULT_CHARS = 4000


def _compact_result(result: Any) -> Any:
    encoded = json.dumps(result, default=str, ensure_ascii=False)
    if len(encoded) <= MAX_TOOL_RESULT_CHARS:
        return result
    return {"truncated": True, "preview": encoded[:MAX_TOOL_RESULT_CHARS]}


def _metadata(outcome: TurnOutcome) -> dict[str, Any]:
    metadata: dict[str, Any] = {"handled_by": outcome.handled_by}
    if outcome.cache:
        metadata["cache"] = outcome.cache
    if outcome.tool_calls:
        metadata["tool_calls"] = [
            {**call, "result": _compact_result(call.get("result"))} for call in outcome.tool_calls
        ]
    return metadata


@callback
def async_build_turn(
    hass: HomeAssistant, outcome: TurnOutcome, *, training: bool
) -> dict[str, Any]:
    """Build the POST /conversations/turns payload (only fields the API knows)."""
    user_input, response = outcome.user_input, outcome.result.response
    satellite_id = satellite_id_of(user_input)
    turn: dict[str, Any] = {
        "turn_id": outcome.turn_id,
        "conversation_id": outcome.conversation_id,
        "content": user_input.text,
        "response": speech_of(response),
        "language": user_input.language,
        "intent": response.intent.intent_type if response.intent else None,
        "response_type": response.response_type.value,
        "user_id": user_input.context.user_id,
        "device_id": user_input.device_id,
        "satellite_id": satellite_id,
        "area_id": async_resolve_area_id(hass, user_input.device_id, satellite_id),
        "agent_id": outcome.agent_id,
        "latency_ms": outcome.latency_ms,
        "memories_used": outcome.memory_ids,
        "metadata": _metadata(outcome),
        "created_at": outcome.started_at.isoformat(),
        "interaction_type": classify_interaction(
            response, user_input.text, used_tools=outcome.used_tools
        ),
        "training": training,
    }
    return {key: value for key, value in turn.items() if value is not None}
