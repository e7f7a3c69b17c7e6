"""Answer a request from a cache hit: speak a cached answer, or replay a cached plan.

A *plan* (the tool calls an LLM agent made for a command) is executed again through HA's LLM
API: the LLM is skipped, the action is not. A plan that no longer replays raises ReplayError
before anything is answered, so the caller can drop the entry and ask the agent instead.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent

from ..const import DOMAIN
from .check import CacheCheck
from .plan import async_replay


async def async_answer_from_hit(
    hass: HomeAssistant,
    check: CacheCheck,
    hit: dict[str, Any],
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    *,
    agent_id: str,
) -> None:
    """Set `check.result` (and the record, and a plan's tool calls) from the sidecar's hit."""
    entry = hit["entry"]
    record = {
        "hit": True,
        "match": hit["match"],
        "entry_id": entry["id"],
        "similarity": hit.get("similarity"),
        "kind": entry["kind"],
    }
    if entry["kind"] == "plan":
        check.tool_calls = await async_replay(
            hass, (entry.get("metadata") or {}).get("plan") or {}, user_input, DOMAIN
        )
    response = intent.IntentResponse(language=check.language)
    response.async_set_speech(entry["response"])
    chat_log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id=agent_id, content=entry["response"])
    )
    check.result = conversation.ConversationResult(
        response=response, conversation_id=chat_log.conversation_id
    )
    check.record = record
