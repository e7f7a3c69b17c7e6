"""Spoken feedback ("that was wrong", "good job") on the answer just heard.

The AI Memory agent recognises the sentences of feedback_phrases.py itself, before anything
else handles the request; HA's own agent reaches the same feedback through the
`AiMemoryFeedback` intent once the sentences are copied to custom_sentences.
"""

from __future__ import annotations

from typing import Any, ClassVar

import voluptuous as vol
from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent

from .cache.templates import flatten
from .const import DOMAIN
from .data import AiMemoryConfigEntry
from .feedback import NoTurnToRate, async_give_feedback, loaded_entry
from .feedback_phrases import INTENT_FEEDBACK, async_phrases

# Voice feedback is about an answer just heard; older turns need the service and a turn id.
VOICE_WINDOW = 600.0


def _asked_a_question(chat_log: conversation.ChatLog) -> bool:
    """After "shall I…?" a "good job"-like reply answers the question, it is not a rating."""
    for content in reversed(chat_log.content[:-1]):
        if content.role == "assistant":
            return bool(content.content and content.content.rstrip().endswith("?"))
        if content.role == "user":
            return False
    return False


async def _async_rate_last_turn(
    hass: HomeAssistant,
    entry: AiMemoryConfigEntry,
    score: int,
    said: str | None,
    device_id: str | None,
    *,
    conversation_id: str | None = None,
) -> bool:
    """Rate the turn just heard on this device; False when there is none to rate."""
    try:
        await async_give_feedback(
            hass,
            entry,
            score=score,
            source="voice",
            comment=said,
            device_id=device_id,
            conversation_id=conversation_id,
            within=VOICE_WINDOW,
        )
    except NoTurnToRate:
        return False
    return True


async def async_answer_voice_feedback(
    hass: HomeAssistant,
    entry: AiMemoryConfigEntry,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    agent_id: str,
) -> conversation.ConversationResult | None:
    """If the request is spoken feedback ("that was wrong"), record it and reply."""
    language = user_input.language or hass.config.language
    phrases = await async_phrases(hass, language)
    if phrases is None or (found := phrases.sentences.get(flatten(user_input.text))) is None:
        return None
    if _asked_a_question(chat_log):
        return None
    score, key = found
    rated = await _async_rate_last_turn(
        hass,
        entry,
        score,
        user_input.text,
        user_input.device_id,
        conversation_id=chat_log.conversation_id,
    )
    speech = phrases.responses.get(key if rated else "no_turn", "")
    response = intent.IntentResponse(language=language)
    response.async_set_speech(speech)
    chat_log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id=agent_id, content=speech)
    )
    return conversation.ConversationResult(
        response=response, conversation_id=chat_log.conversation_id
    )


class FeedbackIntentHandler(intent.IntentHandler):
    """`AiMemoryFeedback` for HA's own agent (custom sentences copied from sentences/)."""

    intent_type = INTENT_FEEDBACK
    description = "Rates the last answer of this device from 1 (bad) to 5 (good)"
    # No entity has this domain: HA's Assist LLM API therefore does not offer the intent as
    # a tool (a tool call rating turns could end up replayed from the response cache).
    platforms: ClassVar[set[str] | None] = {DOMAIN}
    slot_schema: ClassVar[dict[Any, Any]] = {
        vol.Required("score"): vol.All(vol.Coerce(int), vol.Range(min=1, max=5))
    }

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        hass = intent_obj.hass
        slots = self.async_validate_slots(intent_obj.slots)
        response = intent_obj.create_response()
        phrases = await async_phrases(hass, intent_obj.language)
        responses = phrases.responses if phrases else {}
        score = int(slots["score"]["value"])
        if (entry := loaded_entry(hass, None)) is None:
            raise intent.IntentHandleError("AI Memory is not set up")
        rated = await _async_rate_last_turn(
            hass, entry, score, intent_obj.text_input, intent_obj.device_id
        )
        key = ("positive" if score >= 3 else "negative") if rated else "no_turn"
        response.async_set_speech(responses.get(key, ""))
        return response
