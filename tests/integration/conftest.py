"""Fixtures for the AI Memory integration tests.

Unit-level tests answer the sidecar's HTTP API with aioclient_mock (fixtures
below); the end-to-end tests in test_e2e.py talk to a real sidecar process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import CONF_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from syrupy.assertion import SnapshotAssertion

from custom_components.ai_memory.const import DEFAULT_OPTIONS, DOMAIN
from tests.support.embedded_sidecar import embedded_sidecar
from tests.support.sidecar_process import REPO_ROOT, SidecarProcess

FIXTURES = Path(__file__).parent / "fixtures"
SIDECAR_URL = "http://sidecar.test:8080"
TOKEN = "secret-token"


def load_fixture(name: str) -> dict[str, Any]:
    """Load a JSON answer of the sidecar."""
    return json.loads((FIXTURES / name).read_text())


INFO = load_fixture("info.json")
STATS = load_fixture("stats.json")
INSTANCE_ID = INFO["instance_id"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom_components/ai_memory."""


@pytest.fixture(autouse=True)
async def setup_homeassistant(hass: HomeAssistant) -> None:
    """The conversation dependency needs the core integration (exposed entities)."""
    assert await async_setup_component(hass, "homeassistant", {})


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """A configured sidecar."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="AI Memory (sidecar.test)",
        unique_id=INSTANCE_ID,
        data={CONF_URL: SIDECAR_URL, CONF_TOKEN: TOKEN},
        options=dict(DEFAULT_OPTIONS),
    )


def mock_healthy_sidecar(aioclient_mock: AiohttpClientMocker) -> None:
    """Answer the calls made at setup and by the coordinator."""
    aioclient_mock.get(f"{SIDECAR_URL}/info", json=INFO)
    aioclient_mock.get(f"{SIDECAR_URL}/stats", json=STATS)
    aioclient_mock.get(f"{SIDECAR_URL}/preferences/list", json={"preferences": []})
    aioclient_mock.get(
        f"{SIDECAR_URL}/memory/search",
        json={"query": "", "mode": "hybrid", "degraded": False, "results": []},
    )
    aioclient_mock.post(
        f"{SIDECAR_URL}/conversations/turns",
        json={"results": [], "created": 0, "duplicates": 0},
    )
    aioclient_mock.post(f"{SIDECAR_URL}/cache/lookup", json={"hit": False, "semantic": "ok"})
    aioclient_mock.post(f"{SIDECAR_URL}/cache/store", json={"id": 1}, status=201)
    aioclient_mock.post(f"{SIDECAR_URL}/cache/invalidate", json={"deleted": 0})


def sent_bodies(mock: AiohttpClientMocker, path: str) -> list[Any]:
    """The JSON bodies sent to `path` of the mocked sidecar, oldest first."""
    return [body for _, url, body, _ in mock.mock_calls if url.path == path]


def sent_turns(mock: AiohttpClientMocker) -> list[dict[str, Any]]:
    """Every turn delivered to the mocked sidecar, in order."""
    return [turn for body in sent_bodies(mock, "/conversations/turns") for turn in body["turns"]]


def sent_turn_ids(mock: AiohttpClientMocker) -> list[str]:
    """The ids of the turns delivered to the mocked sidecar, in order."""
    return [turn["turn_id"] for turn in sent_turns(mock)]


@pytest.fixture
def sidecar(aioclient_mock: AiohttpClientMocker) -> AiohttpClientMocker:
    """A healthy sidecar; tests register extra answers before these by clearing."""
    mock_healthy_sidecar(aioclient_mock)
    return aioclient_mock


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sidecar: AiohttpClientMocker,
) -> MockConfigEntry:
    """Set up the integration against the mocked sidecar."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
def platforms() -> list[str]:
    """Platforms to load (snapshot tests limit this to one)."""
    return ["binary_sensor", "conversation", "sensor"]


@pytest.fixture
def only_platforms(platforms: list[str]) -> Generator[None]:
    """Load only the given platforms."""
    from unittest.mock import patch

    with patch("custom_components.ai_memory.PLATFORMS", platforms):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize registry entries and states without volatile ids and times."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(scope="session")
def embedding_url() -> Iterator[str]:
    """The local embedding server (Ollama's API) as a process: the harness forbids threads.

    Shared: a test that changes its behaviour (e2e_support.embedding_control) restores it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.embedding_server", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on "), line
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def cache_sidecar(embedding_url: str) -> Iterator[SidecarProcess]:
    """A real sidecar with embeddings, for the cache, training-loop and embeddings repair
    end-to-end tests."""
    env = {
        "EMBEDDING_PROVIDER": "ollama",
        "EMBEDDING_URL": embedding_url,
        "EMBEDDING_MODEL": "all-minilm",
    }
    with embedded_sidecar("ai-memory-cache-e2e-", env) as process:
        yield process


@pytest.fixture
async def cache_entry(
    hass: HomeAssistant, cache_sidecar: SidecarProcess
) -> AsyncIterator[MockConfigEntry]:
    """The integration configured against `cache_sidecar`, starting with an empty cache."""
    from .e2e_support import configured_entry, sidecar_call

    await sidecar_call(hass, cache_sidecar, "DELETE", "/cache/clear", params={"all": "true"})
    async with configured_entry(hass, cache_sidecar, "AI Memory (cache e2e)") as entry:
        yield entry
