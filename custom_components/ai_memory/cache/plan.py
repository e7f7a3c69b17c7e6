"""Plans: the tool calls an LLM agent made for a device command, kept and replayed.

A plan is cached only when every tool call of the turn was an intent that *did* something
(HA answered `action_done`) and nothing failed: a turn that read state (`query_answer`,
GetLiveContext, …) or hit an error is never cached. On a cache hit the plan runs again through
the same LLM API tools, so HA checks exposure and performs the action now — the LLM is
skipped, the action is not. Any failure on replay raises ReplayError and the agent falls back
to the LLM.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import voluptuous as vol
from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import llm

ACTION_DONE = "action_done"
DEFAULT_API = "assist"


class ReplayError(Exception):
    """A cached plan could not be carried out now."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call of a turn and what it returned."""

    id: str
    name: str
    arguments: dict[str, Any]
    result: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "arguments": self.arguments,
            "result": self.result,
        }


def tool_calls_of(content: Sequence[Any]) -> list[ToolCall]:
    """The tool calls in a slice of the chat log, paired with their results."""
    results = {
        item.tool_call_id: item.tool_result
        for item in content
        if isinstance(item, conversation.ToolResultContent)
    }
    return [
        ToolCall(call.id, call.tool_name, dict(call.tool_args), results.get(call.id))
        for item in content
        if isinstance(item, conversation.AssistantContent)
        for call in item.tool_calls or ()
    ]


def did_something(result: Any) -> bool:
    """An intent tool result that changed the home and reported no failure."""
    if not isinstance(result, dict) or result.get("response_type") != ACTION_DONE:
        return False
    data = result.get("data")
    return isinstance(data, dict) and not data.get("failed")


def plan_of(calls: Sequence[ToolCall], api_id: str | None) -> dict[str, Any] | None:
    """The cacheable plan of a turn, or None when the turn must not be cached."""
    if not calls or not all(did_something(call.result) for call in calls):
        return None
    return {
        "api": api_id or DEFAULT_API,
        "steps": [{"tool": call.name, "args": call.arguments} for call in calls],
    }


def targets_of(calls: Iterable[ToolCall]) -> set[str]:
    """Entity ids a plan acted on (its cache entry depends on them)."""
    found: set[str] = set()
    for call in calls:
        data = call.result.get("data") if isinstance(call.result, dict) else None
        for key in ("targets", "success"):
            for target in (data or {}).get(key) or []:
                if isinstance(target, dict) and target.get("type") == "entity":
                    found.add(str(target.get("id")))
    return found


def llm_context(user_input: conversation.ConversationInput, platform: str) -> llm.LLMContext:
    """The context tools see; built the way the running HA version wants it."""
    if hasattr(user_input, "as_llm_context"):  # 2025.7+ (LLMContext lost user_prompt)
        return user_input.as_llm_context(platform)  # type: ignore[no-any-return]
    return llm.LLMContext(
        platform=platform,
        context=user_input.context,
        user_prompt=user_input.text,
        language=user_input.language,
        assistant=conversation.DOMAIN,
        device_id=user_input.device_id,
    )


async def async_replay(
    hass: HomeAssistant,
    plan: dict[str, Any],
    user_input: conversation.ConversationInput,
    platform: str,
) -> list[ToolCall]:
    """Run every step of the plan now; ReplayError if any does not do what it did before."""
    steps = plan.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ReplayError("the plan has no steps")
    api_id = str(plan.get("api") or DEFAULT_API)
    try:
        api = await llm.async_get_api(
            hass,
            api_id.split("|") if "|" in api_id else api_id,  # type: ignore[arg-type]
            llm_context(user_input, platform),
        )
    except HomeAssistantError as err:
        raise ReplayError(f"LLM API {api_id} is not available: {err}") from err
    done: list[ToolCall] = []
    for step in steps:
        tool_input = llm.ToolInput(tool_name=str(step["tool"]), tool_args=dict(step["args"]))
        try:
            result = await api.async_call_tool(tool_input)
        except (HomeAssistantError, vol.Invalid, ValueError, TypeError, KeyError) as err:
            raise ReplayError(f"{tool_input.tool_name} failed: {err}") from err
        done.append(ToolCall(tool_input.id, tool_input.tool_name, tool_input.tool_args, result))
        if not did_something(result):
            raise ReplayError(f"{tool_input.tool_name} did not act: {result}")
    return done
