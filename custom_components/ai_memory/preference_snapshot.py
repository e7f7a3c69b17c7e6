"""The household's preferences and aliases for the recall prompt, kept between turns.

Every turn to an LLM target puts them in the prompt, and they change seldom: reading them on
every turn was a third request on the voice path, next to the memory search and the cache
lookup (bench/README.md). The snapshot is read again when it is older than
PREFERENCES_MAX_AGE, or when this HA has written a preference since (the client counts its
writes), so what the user has just set ("call the lamp Moon") is in the next turn's prompt.
A change made by another client of the sidecar shows within PREFERENCES_MAX_AGE.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .api import AiMemoryClient
from .const import PREFERENCES_MAX_AGE

PREFERENCE_LIMIT = 100


class PreferenceSnapshot:
    """The last preference list read from the sidecar, and when."""

    def __init__(
        self,
        client: AiMemoryClient,
        *,
        max_age: float = PREFERENCES_MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Nothing is read until the first turn asks."""
        self._client, self._max_age, self._clock = client, max_age, clock
        self._preferences: list[dict[str, Any]] | None = None
        self._read_at = 0.0
        self._writes_seen = -1

    async def async_get(self, *, request_timeout: float) -> list[dict[str, Any]]:
        """The preferences, read again only when the snapshot may be out of date."""
        writes = self._client.preference_writes
        if (
            self._preferences is not None
            and writes == self._writes_seen
            and self._clock() - self._read_at < self._max_age
        ):
            return self._preferences
        # `writes` was taken before the read: a write while it is on its way makes the next
        # turn read again.
        preferences = await self._client.async_list_preferences(
            limit=PREFERENCE_LIMIT, request_timeout=request_timeout
        )
        self._preferences, self._read_at, self._writes_seen = preferences, self._clock(), writes
        return preferences
