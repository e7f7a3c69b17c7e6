"""What the response cache makes of one request, and its rules (PRODUCT.md §4).

Pure decisions, no I/O: the scope a request is cached in, whether it rejects the cached answer
it just got, and whether an agent's result may be stored. lookup.py and writer.py do the
talking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent

from ..compat import satellite_id_of
from ..recent_turns import RecentTurn
from ..turns import async_resolve_area_id, speech_of
from .plan import ToolCall, plan_of, targets_of
from .signature import Analysis

# A request right after an answer from the cache that repeats or corrects it says the cached
# answer was wrong: it goes to the agent, and the entry is dropped.
COMPLAINT_WINDOW = 60.0
_NEGATIONS = frozenset({"no", "nope", "wrong", "nie", "nein", "non", "nee", "nej", "ne", "нет"})
_DIGITS = re.compile(r"\d+")


@dataclass(slots=True)
class CacheCheck:
    """What the cache made of one request."""

    analysis: Analysis | None = None  # None: this request is not cached at all
    language: str = ""
    scope: str = "household"
    result: conversation.ConversationResult | None = None
    # For the recorded turn: {"hit", "match", "entry_id", "similarity", "kind"} or why not.
    record: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[ToolCall] = field(default_factory=list)
    # Not analysed yet: the language's lexicon was still being built (async_fetch waits).
    pending: bool = False
    # The sidecar's answer to a hit, until async_serve acts on it.
    hit: dict[str, Any] | None = None
    # A cache entry the speaker complained about: dropped once the cache handles the request.
    complaint: int | None = None


def scope_of(hass: HomeAssistant, user_input: conversation.ConversationInput) -> str:
    """Where the request was made: commands like "turn on the lights" depend on it."""
    satellite_id = satellite_id_of(user_input)
    if area_id := async_resolve_area_id(hass, user_input.device_id, satellite_id):
        return f"area:{area_id}"
    if user_input.device_id:
        return f"device:{user_input.device_id}"
    return "household"


def complains_about(previous: RecentTurn, text: str) -> bool:
    """Does `text`, said right after `previous` was answered from the cache, reject it?"""
    if previous.cache_entry_id is None or previous.age() > COMPLAINT_WINDOW:
        return False
    before, after = (" ".join(_words(t)) for t in (previous.text, text))
    return before == after or (after.split(" ", 1)[0] in _NEGATIONS)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _new_numbers(speech: str, text: str) -> bool:
    """An answer with numbers the question did not have (a time, a temperature, a count) is
    about the moment it was given."""
    return bool(set(_DIGITS.findall(speech)) - set(_DIGITS.findall(text)))


def store_request(
    check: CacheCheck,
    user_input: conversation.ConversationInput,
    result: conversation.ConversationResult,
    calls: Sequence[ToolCall],
    *,
    target: str,
    api_id: str | None,
) -> dict[str, Any] | None:
    """The store request for a safe result, or None.

    * a plan: every tool call was an intent that acted (`action_done`) without failures;
    * an answer: no tool call at all, a request about nothing in the home, a reply that
      does not ask back, and no number in the reply that the request did not have;
    * never: errors, empty replies, questions about the live state (not analysed).
    """
    analysis = check.analysis
    response = result.response
    speech = speech_of(response).strip()
    if analysis is None or response.response_type is intent.IntentResponseType.ERROR:
        return None
    if not speech:
        return None
    metadata: dict[str, Any] = {"agent_id": target}
    dependencies = set(analysis.dependencies)
    if calls:
        plan = plan_of(calls, api_id)
        if plan is None:
            return None
        kind = "plan"
        metadata["plan"] = plan
        dependencies |= targets_of(calls)
    else:
        # A reply that asks back ("Which light?") waits for an answer: not reusable.
        asks_back = result.continue_conversation or speech.endswith(("?", ";", "？"))
        if not analysis.answer_allowed or asks_back:
            return None
        if _new_numbers(speech, user_input.text):
            return None
        kind = "answer"
    return {
        "query": user_input.text,
        "response": speech,
        "language": check.language,
        "scope": check.scope,
        "kind": kind,
        "signature": analysis.signature,
        "dependencies": sorted(dependencies)[:100],
        "metadata": metadata,
    }
