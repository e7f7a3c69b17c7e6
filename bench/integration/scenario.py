"""One measured phase: rounds of baseline / cache miss / cache hit turns, and the seed data.

Every round runs its paths back to back in a fixed order, so the paired differences compare
turns a few milliseconds apart. A hit never follows a hit of the same text on the same
device: that would read as a complaint about the cached answer (response_cache.py) and
drop the entry.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ai_memory.const import (
    CONF_CACHE_ENABLED,
    CONF_LOCAL_FIRST,
    CONF_RECALL_COUNT,
    CONF_RECORD_TURNS,
    CONF_TARGET_AGENT,
)
from tests.integration.e2e_support import sidecar_call
from tests.support.sidecar_process import SidecarProcess

from .agents import REPLY, FixedAgent
from .timing import Samples, summarize, timed_turn

AI_MEMORY = "conversation.ai_memory"
# Topics of the seeded memories, so recall finds something; none is an area or entity name.
TOPICS = ("music", "birthday", "recipes", "holidays", "football", "plants", "history", "books")


def unique_words() -> Iterator[str]:
    """Made-up words ("zyxaaa", "zyxaab", …): every miss has a signature never seen before.
    Letters only: with a digit the request's answer would never be stored (a different path)."""
    for letters in itertools.product(string.ascii_lowercase, repeat=3):
        yield "zyx" + "".join(letters)


def seed_items(count: int) -> list[dict[str, Any]]:
    """Household facts for recall, spread over TOPICS."""
    people = ("Anna", "Piotr", "Marta", "Jan", "Ola")
    return [
        {
            "content": f"{people[i % len(people)]} likes {TOPICS[i % len(TOPICS)]}, "
            f"note {i}: ask before planning anything about {TOPICS[(i * 3) % len(TOPICS)]}.",
            "tags": ["bench"],
        }
        for i in range(count)
    ]


# Misses with one step of the agent switched off: what each step costs on the critical path.
ABLATIONS: dict[str, dict[str, Any]] = {
    "miss_no_recording": {CONF_RECORD_TURNS: False},
    "miss_no_local_first": {CONF_LOCAL_FIRST: False},
    "miss_no_cache": {CONF_CACHE_ENABLED: False},
    "miss_no_recall": {CONF_RECALL_COUNT: 0},  # no memory search; preferences still read
}


@dataclass(slots=True)
class Phase:
    name: str
    target_id: str
    agent: FixedAgent
    hit_text: str  # stored during the warm-up, then served from the cache
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → options


async def run_phase(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    phase: Phase,
    *,
    rounds: int,
    warmup: int,
    device_id: str,
    words: Iterator[str],
) -> dict[str, Any]:
    """Measure one target agent; also counts what the sidecar should have received."""
    base = {**entry.options, CONF_TARGET_AGENT: phase.target_id}
    options = {"miss": base, "hit": base}
    options |= {name: {**base, **changes} for name, changes in phase.variants.items()}
    order = ["baseline", "miss", *phase.variants, "hit"]
    paths = {name: Samples() for name in order}
    calls_before, recorded = phase.agent.calls, 0
    for index in range(warmup + rounds):
        for name in order:
            topic = TOPICS[index % len(TOPICS)]
            text = phase.hit_text if name == "hit" else f"tell me about {topic} {next(words)}"
            agent_id = phase.target_id if name == "baseline" else AI_MEMORY
            if name != "baseline":  # options are read per turn: no reload
                hass.config_entries.async_update_entry(entry, options=options[name])
                recorded += bool(options[name].get(CONF_RECORD_TURNS, True))
            answer, background, result = await timed_turn(hass, text, agent_id, device_id)
            speech = result.response.speech.get("plain", {}).get("speech")
            assert speech == REPLY, f"{phase.name}/{name}: unexpected answer {speech!r}"
            if index >= warmup:
                paths[name].answer.append(answer)
                paths[name].background.append(background)
    hass.config_entries.async_update_entry(entry, options=base)
    summary = summarize(paths)
    summary["target_delay_ms"] = round(phase.agent.delay * 1000, 1)
    summary["rounds"], summary["warmup_rounds"] = rounds, warmup
    # Every path but the hit calls the target once; the hit only in the warm-up's first round.
    target_calls = phase.agent.calls - calls_before
    summary["hit_calls_reaching_target"] = target_calls - (warmup + rounds) * (len(order) - 1)
    summary["turns_recorded_by_ai_memory"] = recorded
    return summary


async def cache_hits(hass: HomeAssistant, sidecar: SidecarProcess) -> int:
    """Hits the sidecar has counted (exact and semantic)."""
    stats = await sidecar_call(hass, sidecar, "GET", "/cache/stats")
    return int(stats["exact_hits"]) + int(stats.get("semantic_hits") or 0)
