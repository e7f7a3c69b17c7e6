"""End to end: the embeddings repair issue, raised and cleared by a real sidecar.

test_repairs.py checks the rules (how long, which placeholders) on made-up /stats answers.
Here `python -m sidecar` itself finds its embedding provider failing: the local embedding
server (Ollama's API) is told to answer errors, HA's actions make the sidecar ask it, HA's
clock moves on past 15 minutes, and then the provider recovers and the sidecar uses it again.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ai_memory.const import DOMAIN
from tests.support.sidecar_process import SidecarProcess

from .e2e_support import embedding_control, sidecar_call, wait_for_sidecar
from .helpers import advance_minutes

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _embeddings_ready(stats: dict[str, Any]) -> bool:
    return bool(stats["embeddings"]["available"]) and stats["embeddings"]["backlog"] == 0


@pytest.fixture
async def provider(
    hass: HomeAssistant, embedding_url: str, cache_sidecar: SidecarProcess
) -> AsyncIterator[str]:
    """The cache sidecar's embedding provider, for the test to break; working again
    afterwards (and the sidecar using it) for the other tests that share both."""
    yield embedding_url
    await embedding_control(hass, embedding_url, mode="ok")
    await wait_for_sidecar(hass, cache_sidecar, "/stats", _embeddings_ready)


async def _action(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def test_embeddings_issue_follows_the_real_provider(
    hass: HomeAssistant,
    cache_entry: MockConfigEntry,
    cache_sidecar: SidecarProcess,
    provider: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    issue_registry = ir.async_get(hass)
    issue_id = f"embeddings_unavailable_{cache_entry.entry_id}"
    tag = uuid.uuid4().hex[:8]
    memories: list[int] = []
    try:
        # The provider breaks. A memory added through HA makes the sidecar ask it: a 500, so
        # the memory is kept with its vector pending, and search falls back to full text.
        await embedding_control(hass, provider, mode="error")
        added = await _action(hass, "add_memory", content=f"the {tag} spare key is under the pot")
        memories.append(added["id"])
        assert added["embedding_status"] == "pending"
        search = await _action(hass, "search_memory", query=f"where is the {tag} spare key")
        assert (search["mode"], search["degraded"]) == ("lexical", True)
        assert [result["id"] for result in search["results"]] == [added["id"]]
        # The sidecar's backfill worker, woken by the pending row, counts it.
        await wait_for_sidecar(
            hass, cache_sidecar, "/stats", lambda stats: stats["embeddings"]["backlog"] >= 1
        )

        # HA's next poll sees the outage; a warning only once it has lasted 15 minutes (the
        # sidecar keeps probing the broken provider meanwhile, in real time).
        await advance_minutes(hass, freezer, 1)
        for _ in range(14):
            await advance_minutes(hass, freezer, 1)
            assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
        await advance_minutes(hass, freezer, 1)
        issue = issue_registry.async_get_issue(DOMAIN, issue_id)
        assert issue is not None
        assert issue.severity is ir.IssueSeverity.WARNING
        placeholders = issue.translation_placeholders or {}
        assert (placeholders["provider"], placeholders["model"]) == ("ollama", "all-minilm")
        assert "answered 500" in placeholders["reason"]
        assert int(placeholders["backlog"]) >= 1
        unreachable = f"sidecar_unreachable_{cache_entry.entry_id}"
        assert issue_registry.async_get_issue(DOMAIN, unreachable) is None

        # The provider recovers. The next memory added through HA wakes the sidecar's
        # backfill, which probes the provider and embeds what waited.
        await embedding_control(hass, provider, mode="ok")
        added = await _action(hass, "add_memory", content=f"the {tag} ladder is in the shed")
        memories.append(added["id"])
        await wait_for_sidecar(hass, cache_sidecar, "/stats", _embeddings_ready)
        assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None  # HA not polled yet

        await advance_minutes(hass, freezer, 1)
        assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
        search = await _action(hass, "search_memory", query=f"where is the {tag} spare key")
        assert (search["mode"], search["degraded"]) == ("hybrid", False)
        [found] = [result for result in search["results"] if result["id"] == memories[0]]
        assert found["similarity"] is not None  # found through the vector it got afterwards
    finally:
        for memory_id in memories:
            await sidecar_call(hass, cache_sidecar, "DELETE", f"/memory/{memory_id}")
