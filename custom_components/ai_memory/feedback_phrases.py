"""The spoken feedback sentences of each language, read from `sentences/<language>.yaml`.

The files are in HA's custom-sentence format (users of HA's own agent can copy them to
custom_sentences); here each template is expanded once into the flat sentences it matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from homeassistant.core import HomeAssistant

from .cache.templates import TemplateError, expand, flatten, parse
from .const import LOGGER

INTENT_FEEDBACK = "AiMemoryFeedback"
SENTENCES = Path(__file__).parent / "sentences"


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
