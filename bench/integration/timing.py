"""Timed Assist turns through `conversation.async_converse` and their summaries.

Each call is timed alone with perf_counter_ns; after it, outside the clock, HA is left to
finish the turn's background work (cache store, turn delivery) so no turn overlaps the
previous one's, as with voice turns seconds apart. That wait is timed too: it is the work
AI Memory moved off the critical path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant

from bench.stats import latency_summary, percentile


@dataclass(slots=True)
class Samples:
    """Seconds per call of one path, in round order (index i of each path = round i)."""

    answer: list[float] = field(default_factory=list)
    background: list[float] = field(default_factory=list)


async def timed_turn(
    hass: HomeAssistant, text: str, agent_id: str, device_id: str | None
) -> tuple[float, float, conversation.ConversationResult]:
    """(answer seconds, background seconds, result) of one turn."""
    started = time.perf_counter_ns()
    result = await conversation.async_converse(
        hass=hass,
        text=text,
        conversation_id=None,
        context=Context(),
        language="en",
        agent_id=agent_id,
        device_id=device_id,
    )
    answered = time.perf_counter_ns()
    await hass.async_block_till_done(wait_background_tasks=True)
    settled = time.perf_counter_ns()
    return (answered - started) / 1e9, (settled - answered) / 1e9, result


def _ms(samples: list[float], q: float) -> float:
    return percentile(samples, q) * 1000


def overhead(path: list[float], baseline: list[float]) -> dict[str, Any]:
    """What `path` adds to `baseline`: percentile differences, ratios, and the per-round
    paired difference (same round, back to back, so slow spells of the machine hit both)."""
    paired = [(p - b) * 1000 for p, b in zip(path, baseline, strict=True)]
    out: dict[str, Any] = {}
    for q in (50, 95, 99):
        out[f"p{q}_ms"] = round(_ms(path, q) - _ms(baseline, q), 3)
        out[f"ratio_p{q}"] = round(_ms(path, q) / _ms(baseline, q), 3)
    out["paired_p50_ms"] = round(percentile(paired, 50), 3)
    out["paired_p95_ms"] = round(percentile(paired, 95), 3)
    return out


def summarize(paths: dict[str, Samples], baseline: str = "baseline") -> dict[str, Any]:
    """Latency per path, overhead of each path against the baseline, background work."""
    base = paths[baseline].answer
    return {
        "latency": {name: latency_summary(s.answer) for name, s in paths.items()},
        "overhead": {
            name: overhead(s.answer, base) for name, s in paths.items() if name != baseline
        },
        "background": {
            name: latency_summary(s.background) for name, s in paths.items() if name != baseline
        },
    }
