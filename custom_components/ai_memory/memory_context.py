"""Build the extra system prompt that gives an LLM agent the household's memory.

Runs on the voice path, so everything here is bounded by RECALL_TIMEOUT and any
failure just means the agent answers without memories.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from homeassistant.util.async_ import create_eager_task

from .api import AiMemoryClient, AiMemoryError
from .const import (
    ALIAS_CATEGORY,
    CONF_RECALL_COUNT,
    CONF_RECALL_DOMAIN,
    CONF_RECALL_MIN_SCORE,
    LOGGER,
    RECALL_TIMEOUT,
)
from .preference_snapshot import PreferenceSnapshot


@dataclass(slots=True)
class MemoryContext:
    """What was found for one turn."""

    prompt: str | None = None
    memory_ids: list[Any] = field(default_factory=list)


def _render(memories: list[dict[str, Any]], preferences: list[dict[str, Any]]) -> str | None:
    sections: list[str] = []
    if memories:
        lines = "\n".join(f"- {memory['content']}" for memory in memories)
        sections.append(
            "Things you remember about this household (use them when relevant):\n" + lines
        )
    aliases = [p for p in preferences if p.get("category") == ALIAS_CATEGORY]
    others = [p for p in preferences if p.get("category") != ALIAS_CATEGORY]
    if aliases:
        lines = "\n".join(
            f'- "{(p["value"] or {}).get("alias", p["key"])}" means '
            f"{(p['value'] or {}).get('entity_id')}"
            for p in aliases
            if isinstance(p.get("value"), dict)
        )
        sections.append("Names the household uses for devices:\n" + lines)
    if others:
        lines = "\n".join(
            f"- {p['key']}: {json.dumps(p.get('value'), ensure_ascii=False)}" for p in others
        )
        sections.append("Household preferences:\n" + lines)
    return "\n\n".join(sections) or None


async def async_build_memory_context(
    client: AiMemoryClient,
    snapshot: PreferenceSnapshot,
    text: str,
    options: Mapping[str, Any],
) -> MemoryContext:
    """Recall memories for text plus preferences and aliases (usually from `snapshot`, with no
    request), within the budget."""
    count = int(options[CONF_RECALL_COUNT])
    filters: dict[str, Any] = {"limit": count}
    if options[CONF_RECALL_MIN_SCORE]:
        filters["min_score"] = options[CONF_RECALL_MIN_SCORE]
    if options[CONF_RECALL_DOMAIN]:
        filters["domain"] = options[CONF_RECALL_DOMAIN]

    async def _memories() -> list[dict[str, Any]]:
        if count <= 0:
            return []
        found = await client.async_search_memory(text, request_timeout=RECALL_TIMEOUT, **filters)
        return list(found.get("results", []))

    # Both start now (eagerly) rather than on the loop's next turn: the agent starts HA's
    # CPU-bound intent matching right after, and the round trips should overlap it.
    searching = create_eager_task(_memories())
    listing = create_eager_task(snapshot.async_get(request_timeout=RECALL_TIMEOUT))
    try:
        async with asyncio.timeout(RECALL_TIMEOUT):
            memories, preferences = await asyncio.gather(searching, listing)
    except (AiMemoryError, TimeoutError) as err:
        LOGGER.debug("Answering without memories: %s", err)
        return MemoryContext()
    except Exception:  # an unexpected answer must not cost the user an answer
        LOGGER.exception("Unexpected error while recalling memories")
        return MemoryContext()
    finally:
        # When one request failed or time ran out, the other must not outlive the turn.
        if pending := [task for task in (searching, listing) if not task.done()]:
            for task in pending:
                task.cancel()
            await asyncio.wait(pending)
    return MemoryContext(
        prompt=_render(memories, preferences),
        memory_ids=[memory["id"] for memory in memories if "id" in memory],
    )


def merge_prompts(*prompts: str | None) -> str | None:
    """Join the caller's extra prompt with ours, skipping empty parts."""
    return "\n\n".join(p for p in prompts if p) or None
