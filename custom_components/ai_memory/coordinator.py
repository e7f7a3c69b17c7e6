"""Poll the sidecar's counters and track how long it has been unreachable."""

from __future__ import annotations

from datetime import datetime

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import AiMemoryAuthError, AiMemoryClient, AiMemoryError
from .api_types import Stats
from .const import DOMAIN, LOGGER, UPDATE_INTERVAL
from .data import AiMemoryConfigEntry
from .issues import (
    async_check_embeddings_issue,
    async_check_unreachable_issue,
    async_check_version_issue,
    async_clear_embeddings_issue,
    async_clear_unreachable_issue,
)


class AiMemoryCoordinator(DataUpdateCoordinator[Stats]):
    """Fetch GET /stats for the sensors; its success doubles as the health signal."""

    config_entry: AiMemoryConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: AiMemoryConfigEntry, client: AiMemoryClient
    ) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self.unreachable_since: datetime | None = None
        self.embeddings_down_since: datetime | None = None

    async def _async_update_data(self) -> Stats:
        """Fetch the counters, raising translated errors."""
        try:
            stats = await self.client.async_get_stats()
        except AiMemoryAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="authentication_error"
            ) from err
        except AiMemoryError as err:
            if self.unreachable_since is None:
                self.unreachable_since = dt_util.utcnow()
            async_check_unreachable_issue(self.hass, self.config_entry, self.unreachable_since)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"error": str(err)},
            ) from err
        if self.unreachable_since is not None:
            self.unreachable_since = None
            async_clear_unreachable_issue(self.hass, self.config_entry)
        self._track_embeddings(stats)
        self._check_version(stats)
        return stats

    def _check_version(self, stats: Stats) -> None:
        """Checked on every poll: an updated sidecar clears the issue within a poll. A
        sidecar from before /stats carried its version is judged by the setup's /info."""
        version = stats.get("version")
        if version is None and (info := self.config_entry.runtime_data.info) is not None:
            version = info["version"]
        if version is not None:
            async_check_version_issue(self.hass, self.config_entry, version)

    def _track_embeddings(self, stats: Stats) -> None:
        """Time how long the provider has been down (never, with no provider configured)."""
        status = stats.get("embeddings") or {}
        if status.get("provider", "none") != "none" and status.get("available") is False:
            if self.embeddings_down_since is None:
                self.embeddings_down_since = dt_util.utcnow()
            async_check_embeddings_issue(
                self.hass, self.config_entry, self.embeddings_down_since, status
            )
        elif self.embeddings_down_since is not None:
            self.embeddings_down_since = None
            async_clear_embeddings_issue(self.hass, self.config_entry)
