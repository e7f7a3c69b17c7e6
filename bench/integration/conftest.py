"""Fixtures for the integration-overhead benchmark (HA's test harness, a real sidecar).

The harness turns on asyncio debug mode for every test; Home Assistant does not run with it
and it makes every task and callback slower, so it is off here unless BENCH_LOOP_DEBUG=1.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.suite.sidecar_run import RunningSidecar, running_sidecar
from tests.integration.e2e_support import configured_entry


@pytest.fixture(autouse=True)
def enable_event_loop_debug(event_loop: asyncio.AbstractEventLoop) -> None:
    """Overrides the harness's fixture of the same name (see the module docstring)."""
    event_loop.set_debug(os.environ.get("BENCH_LOOP_DEBUG") == "1")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom_components/ai_memory."""


@pytest.fixture(scope="session")
def bench_sidecar() -> Iterator[RunningSidecar]:
    """The real sidecar with its embedded PostgreSQL, no embedding provider (exact cache
    matches and full-text recall only: no model time in the figures).

    The data dir is not pytest's tmp dir: PostgreSQL's unprivileged user must reach it.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-bench-ha-"))
    data_dir.chmod(0o755)
    env = {"EMBEDDING_PROVIDER": "none", "LOG_LEVEL": "WARNING"}
    try:
        with running_sidecar(data_dir, env) as sidecar:
            yield sidecar
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def ai_memory_entry(
    hass: HomeAssistant, bench_sidecar: RunningSidecar
) -> AsyncIterator[MockConfigEntry]:
    """AI Memory set up against the sidecar with its default options, as a user gets it;
    the test points its target agent at the stand-in agents."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "intent", {})
    async with configured_entry(hass, bench_sidecar.process, "AI Memory (bench)") as entry:
        yield entry
