"""Lexicons per language, built once from the intent data of the installed Home Assistant."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .lexicon import Lexicon, build_lexicon

_LOGGER = logging.getLogger(__name__)

DATA_LEXICONS: HassKey[dict[str, asyncio.Future[Lexicon]]] = HassKey("ai_memory_lexicons")


def intent_data(language: str) -> dict[str, Any] | None:
    """HA's sentence data for a language ("pl", "pt-BR" → "pt-br", "de-CH", "en-US" → "en")."""
    try:
        from home_assistant_intents import get_intents  # noqa: PLC0415 - blocking file I/O
    except ImportError:  # pragma: no cover - the conversation integration requires it
        return None
    candidates = [language, language.lower(), language.split("-", maxsplit=1)[0].lower()]
    for candidate in dict.fromkeys(candidates):
        try:
            if data := get_intents(candidate):
                return data
        except (OSError, ValueError):
            continue
    return None


@functools.cache
def load_lexicon(language: str) -> Lexicon:
    """Blocking: read the data and derive the word classes (runs in the executor).

    The data ships with HA and does not change while it runs: built once per process."""
    return build_lexicon(language, intent_data(language))


@callback
def async_built_lexicon(hass: HomeAssistant, language: str) -> Lexicon | None:
    """The language's lexicon if it is built already; never waits nor starts a build."""
    future = hass.data.get(DATA_LEXICONS, {}).get(language)
    if future is None or not future.done() or future.cancelled() or future.exception():
        return None
    return future.result()


async def async_get_lexicon(hass: HomeAssistant, language: str) -> Lexicon:
    """The language's lexicon; the first call per language builds it in the executor.

    The build is shared and shielded: a caller that stops waiting (the voice path has a
    budget) does not cancel it, and the next request finds it done.
    """
    lexicons = hass.data.setdefault(DATA_LEXICONS, {})
    if (future := lexicons.get(language)) is None:
        future = lexicons[language] = hass.async_add_executor_job(load_lexicon, language)
    try:
        lexicon = await asyncio.shield(future)
    except Exception:
        lexicons.pop(language, None)  # try again next time
        raise
    if not lexicon.known:
        _LOGGER.debug("No intent data for %s: the cache matches exactly", language)
    return lexicon
