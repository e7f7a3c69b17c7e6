"""Integration overhead: what the AI Memory agent adds to an Assist turn.

`conversation.async_converse` (HA's Assist entry point) is timed for the target agent
called directly (baseline), for AI Memory on a cache miss (it delegates to the same target)
and on an exact cache hit, first with a target that answers at once and then with one that
takes BENCH_INTEGRATION_SLOW_MS (a stand-in for an LLM). Results go to the JSON file named by
BENCH_INTEGRATION_OUT; bench/suite/integration_overhead.py runs this and reads it.
Correctness is asserted (answers, hits, recorded turns); time never is.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.suite.sidecar_run import RunningSidecar
from tests.integration.e2e_support import satellite, sidecar_call

from .agents import register_agent
from .scenario import ABLATIONS, Phase, cache_hits, run_phase, seed_items, unique_words

pytestmark = pytest.mark.usefixtures("socket_enabled")

OUT = Path(os.environ.get("BENCH_INTEGRATION_OUT", "bench/.cache/integration-overhead.json"))
ROUNDS = int(os.environ.get("BENCH_INTEGRATION_ROUNDS", "200"))
WARMUP = int(os.environ.get("BENCH_INTEGRATION_WARMUP", "20"))
SLOW_MS = float(os.environ.get("BENCH_INTEGRATION_SLOW_MS", "50"))
MEMORIES = int(os.environ.get("BENCH_INTEGRATION_MEMORIES", "200"))


async def _turns(hass: HomeAssistant, sidecar: RunningSidecar) -> int:
    return int((await sidecar_call(hass, sidecar.process, "GET", "/stats"))["turns"])


def _write(figures: dict[str, Any]) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=1) + "\n")


async def test_integration_overhead(
    hass: HomeAssistant, ai_memory_entry: MockConfigEntry, bench_sidecar: RunningSidecar
) -> None:
    process = bench_sidecar.process
    body = {"items": seed_items(MEMORIES)}
    await sidecar_call(hass, process, "POST", "/memory/batch", json=body)
    for index, topic in enumerate(("music", "holidays", "books")):
        pref = {"key": f"bench.likes_{index}", "value": topic, "category": "bench"}
        await sidecar_call(hass, process, "POST", "/preferences/set", json=pref)
    device_id = satellite(hass, ai_memory_entry, "Living Room")  # a voice satellite's turns
    turns_before = await _turns(hass, bench_sidecar)
    hits_before = await cache_hits(hass, process)
    fast_id, fast = register_agent(hass, 0.0, "Instant target agent")
    phases = [Phase("instant", fast_id, fast, "tell me a fun fact about penguins", ABLATIONS)]
    if SLOW_MS > 0:
        slow_id, slow = register_agent(hass, SLOW_MS / 1000, "Slow target agent")
        phases.append(Phase(f"slow_{SLOW_MS:g}ms", slow_id, slow, "tell me a fun fact about owls"))
    words = unique_words()
    results: dict[str, Any] = {}
    for phase in phases:
        results[phase.name] = await run_phase(
            hass,
            ai_memory_entry,
            phase,
            rounds=ROUNDS,
            warmup=WARMUP,
            device_id=device_id,
            words=words,
        )

    # Recording happened (off the critical path): every turn reached PostgreSQL.
    outbox = ai_memory_entry.runtime_data.outbox
    await outbox.async_flush()
    expected = sum(r["turns_recorded_by_ai_memory"] for r in results.values())
    stored = await _turns(hass, bench_sidecar) - turns_before
    hits = await cache_hits(hass, process) - hits_before
    measured_hits = sum((r["rounds"] + r["warmup_rounds"]) for r in results.values())
    figures = {
        "status": "measured",
        "command": "python -m pytest bench/integration -q -p no:cacheprovider",
        "phases": results,
        "recording": {
            "turns_sent": expected,
            "turns_in_sidecar": stored,
            "outbox_pending": outbox.pending,
            "outbox_dropped": outbox.dropped,
            "complete": stored == expected and outbox.pending == 0,
        },
        "cache": {"hits_in_sidecar": hits, "hit_requests": measured_hits},
        "setup": {
            "home_assistant": HA_VERSION,
            "python": platform.python_version(),
            "loop_debug": hass.loop.get_debug(),
            "options": "AI Memory defaults (local intents first, cache, recall, recording)",
            "sidecar": "real process, embedded PostgreSQL, EMBEDDING_PROVIDER=none",
            "memories_seeded": MEMORIES,
            "loadavg": list(os.getloadavg()),
        },
    }
    _write(figures)  # before the assertions: a failed check still leaves its figures
    assert figures["recording"]["complete"], figures["recording"]
    # One warm-up hit per phase stores the entry; every later one is served by the cache.
    assert hits == measured_hits - len(phases), figures["cache"]
    assert all(r["hit_calls_reaching_target"] == 1 for r in results.values()), results
