"""Runtime data of an AI Memory config entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .recent_turns import RecentTurns

if TYPE_CHECKING:
    from .api import AiMemoryClient
    from .api_types import Info
    from .coordinator import AiMemoryCoordinator
    from .outbox import Outbox
    from .preference_snapshot import PreferenceSnapshot
    from .response_cache import ResponseCacheStep


@dataclass(kw_only=True)
class AiMemoryData:
    """Objects shared by the platforms, services and the agent of one entry."""

    client: AiMemoryClient
    coordinator: AiMemoryCoordinator
    outbox: Outbox
    preferences: PreferenceSnapshot
    # None when the sidecar was unreachable at start-up; Assist still works then.
    info: Info | None
    llm_api_id: str | None = None
    # The last recorded turns per device/conversation (feedback, cache complaints).
    recent_turns: RecentTurns = field(default_factory=RecentTurns)
    # Set up right after this object (it needs the entry's client).
    cache: ResponseCacheStep | None = None


type AiMemoryConfigEntry = ConfigEntry[AiMemoryData]
