"""Real text shipped in installed packages: HA's intent data and integration strings.

* `home_assistant_intents` — sentence templates and spoken responses per language;
* `homeassistant/components/*/translations/<lang>.json` — what HA's integrations say about
  themselves: action (service) descriptions with their fields, repair issues and setup steps.
  Read as files (importing homeassistant is slow and not needed).
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from home_assistant_intents import get_intents

_JINJA_BLOCK = re.compile(r"{%.*?%}", re.DOTALL)
_JINJA_VALUE = re.compile(r"{{(.*?)}}", re.DOTALL)
_PLACEHOLDER = re.compile(r"{[a-z_]+}|\[%key:[^\]]*\]|<[^>]+>")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Passage:
    """One piece of integration documentation: the integration it belongs to and its text."""

    integration: str
    text: str


def intents_data(language: str) -> dict[str, Any]:
    data = get_intents(language)
    if data is None:
        raise LookupError(f"home_assistant_intents has no data for {language!r}")
    return data


def responses(data: dict[str, Any]) -> dict[str, list[str]]:
    """Spoken responses per intent, templates with only `{{ value }}` holes (no logic)."""
    found: dict[str, list[str]] = {}
    for intent, keyed in data.get("responses", {}).get("intents", {}).items():
        plain = [
            _SPACES.sub(" ", text).strip()
            for text in keyed.values()
            if isinstance(text, str) and not _JINJA_BLOCK.search(text)
        ]
        if plain := [text for text in plain if text]:
            found[intent] = plain
    return found


def fill_response(template: str, values: dict[str, str]) -> str:
    """Replace each `{{ slots.x | filter }}` by the value of the first known slot word in it."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        for key, text in values.items():
            if key in expression:
                return text
        return values.get("word", "")

    return _SPACES.sub(" ", _JINJA_VALUE.sub(value, template)).strip()


def _components_dir() -> Path | None:
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "components"


def _clean(text: str) -> str:
    return _SPACES.sub(" ", _PLACEHOLDER.sub("", text)).strip()


def _service_passages(integration: str, services: dict[str, Any]) -> list[Passage]:
    passages = []
    for service in services.values():
        parts = [service.get("name", ""), service.get("description", "")]
        for field in (service.get("fields") or {}).values():
            if isinstance(field, dict):
                parts.append(f"{field.get('name', '')}: {field.get('description', '')}")
        text = _clean(". ".join(part.strip(" .") for part in parts if part.strip(" .:")))
        if len(text) >= 30:
            passages.append(Passage(integration, text + "."))
    return passages


def _described(integration: str, section: dict[str, Any]) -> list[Passage]:
    passages = []
    for entry in section.values():
        if not isinstance(entry, dict):
            continue
        text = _clean(" ".join(str(entry.get(key, "")) for key in ("title", "description")))
        if len(text) >= 40:
            passages.append(Passage(integration, text))
    return passages


def integration_passages(language: str) -> list[Passage]:
    """Action, repair-issue and setup-step texts of every installed integration, sorted."""
    components = _components_dir()
    if components is None:
        return []
    passages: list[Passage] = []
    for path in sorted(components.glob(f"*/translations/{language}.json")):
        integration = path.parent.parent.name
        try:
            strings = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        passages.extend(_service_passages(integration, strings.get("services") or {}))
        passages.extend(_described(integration, strings.get("issues") or {}))
        steps = (strings.get("config") or {}).get("step") or {}
        passages.extend(_described(integration, steps))
    return passages
