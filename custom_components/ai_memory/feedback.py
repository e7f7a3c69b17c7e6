"""Feedback 1–5 on a turn: from the service, from an event, and by voice.

Whatever the source, feedback lands on one turn: the one named, or else the last turn on the
same conversation or device (the last answer the person heard). It goes through the durable
outbox with a `feedback_id`, so a re-sent copy after a lost answer is recorded once, and fires
`ai_memory_feedback` for automations.

By voice, the AI Memory agent recognises the sentences in `sentences/<language>.yaml` itself
(HA's custom-sentence format: users of HA's own agent can copy them to custom_sentences, the
`AiMemoryFeedback` intent is registered below).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import voluptuous as vol
import yaml
from homeassistant.components import conversation
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import intent

from .api import AiMemoryError
from .cache.templates import TemplateError, expand, flatten, parse
from .const import DOMAIN, EVENT_FEEDBACK, EVENT_RATE_TURN, LOGGER
from .data import AiMemoryConfigEntry

INTENT_FEEDBACK = "AiMemoryFeedback"
SENTENCES = Path(__file__).parent / "sentences"
# Voice feedback is about an answer just heard; older turns need the service and a turn id.
VOICE_WINDOW = 600.0

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


class NoTurnToRate(Exception):
    """No turn matches: nothing was said on that device or conversation lately."""


@dataclass(frozen=True, slots=True)
class FeedbackPhrases:
    """One language's feedback sentences: flattened sentence → (score, response key)."""

    sentences: dict[str, tuple[int, str]]
    responses: dict[str, str]


@cache
def load_phrases(language: str) -> FeedbackPhrases | None:
    """Blocking: read and expand the sentences of a language ("pl", "en-US" → "en")."""
    for candidate in dict.fromkeys((language, language.split("-", maxsplit=1)[0].lower())):
        path = SENTENCES / f"{candidate}.yaml"
        if path.is_file():
            break
    else:
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sentences: dict[str, tuple[int, str]] = {}
    for block in data["intents"][INTENT_FEEDBACK]["data"]:
        score = int(block["slots"]["score"])
        for template in block["sentences"]:
            try:
                for sentence in expand(parse(template), lambda _name: None):
                    sentences[flatten(sentence)] = (score, block.get("response", "default"))
            except TemplateError as err:
                LOGGER.warning("Bad feedback sentence %r: %s", template, err)
    responses = data.get("responses", {}).get("intents", {}).get(INTENT_FEEDBACK, {})
    return FeedbackPhrases(sentences, {str(k): str(v) for k, v in responses.items()})


_LOADED: dict[str, FeedbackPhrases | None] = {}


async def async_phrases(hass: HomeAssistant, language: str) -> FeedbackPhrases | None:
    """The language's phrases; read from disk (in the executor) once per language."""
    if language not in _LOADED:
        _LOADED[language] = await hass.async_add_executor_job(load_phrases, language)
    return _LOADED[language]


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


def _asked_a_question(chat_log: conversation.ChatLog) -> bool:
    """After "shall I…?" a "good job"-like reply answers the question, it is not a rating."""
    for content in reversed(chat_log.content[:-1]):
        if content.role == "assistant":
            return bool(content.content and content.content.rstrip().endswith("?"))
        if content.role == "user":
            return False
    return False


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
    try:
        await async_give_feedback(
            hass,
            entry,
            score=score,
            source="voice",
            comment=user_input.text,
            device_id=user_input.device_id,
            conversation_id=chat_log.conversation_id,
            within=VOICE_WINDOW,
        )
    except NoTurnToRate:
        key = "no_turn"
    speech = phrases.responses.get(key, "")
    response = intent.IntentResponse(language=language)
    response.async_set_speech(speech)
    chat_log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id=agent_id, content=speech)
    )
    return conversation.ConversationResult(
        response=response, conversation_id=chat_log.conversation_id
    )


def _loaded_entry(hass: HomeAssistant, entry_id: str | None) -> AiMemoryConfigEntry | None:
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if entry_id is not None:
        entries = [entry for entry in entries if entry.entry_id == entry_id]
    return entries[0] if entries else None


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
        if (entry := _loaded_entry(hass, None)) is None:
            raise intent.IntentHandleError("AI Memory is not set up")
        try:
            await async_give_feedback(
                hass,
                entry,
                score=score,
                source="voice",
                comment=intent_obj.text_input,
                device_id=intent_obj.device_id,
                within=VOICE_WINDOW,
            )
        except NoTurnToRate:
            response.async_set_speech(responses.get("no_turn", ""))
            return response
        response.async_set_speech(responses.get("positive" if score >= 3 else "negative", ""))
        return response


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
        if (entry := _loaded_entry(hass, data.get("config_entry_id"))) is None:
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
