"""HTTP client for the AI Memory sidecar: one typed method per endpoint the integration uses.

Imports nothing from Home Assistant so it can be reused and tested on its own; the caller
injects the aiohttp session and maps the exceptions (api_errors.py, re-exported here as the
client's public surface). api_transport.py sends the requests.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from .api_errors import (
    AiMemoryAuthError,
    AiMemoryBadRequestError,
    AiMemoryConnectionError,
    AiMemoryError,
    AiMemoryNotFoundError,
)
from .api_transport import SidecarTransport
from .api_types import CacheStats, Info, Stats, TurnResults

__all__ = [
    "AiMemoryAuthError",
    "AiMemoryBadRequestError",
    "AiMemoryClient",
    "AiMemoryConnectionError",
    "AiMemoryError",
    "AiMemoryNotFoundError",
]


def _body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset fields: the sidecar refuses unknown keys and explicit nulls mean 'clear'."""
    return {key: value for key, value in fields.items() if value is not None}


class AiMemoryClient(SidecarTransport):
    """Typed access to the endpoints of the sidecar that the integration uses."""

    # Preference writes sent so far (counted when sent: one that timed out may still
    # land), which PreferenceSnapshot compares. Per client: the first `+= 1` makes it an
    # attribute of the instance.
    preference_writes: int = 0

    async def async_get_info(self) -> Info:
        """Return the identity of the sidecar (instance id, version, embeddings)."""
        info = await self.request("GET", "/info")
        if not isinstance(info, dict) or not info.get("instance_id"):
            raise AiMemoryError(f"{self.url} does not look like an AI Memory sidecar")
        return cast(Info, info)

    async def async_get_stats(self) -> Stats:
        """Return the dashboard counters."""
        return cast(Stats, await self.request("GET", "/stats"))

    async def async_add_memory(self, **fields: Any) -> dict[str, Any]:
        """Store a memory; re-adding the same content returns the existing id."""
        return cast(dict[str, Any], await self.request("POST", "/memory/add", body=_body(fields)))

    async def async_search_memory(
        self, query: str, *, request_timeout: float | None = None, **filters: Any
    ) -> dict[str, Any]:
        """Search memories (hybrid, or lexical when embeddings are unavailable)."""
        return cast(
            dict[str, Any],
            await self.request(
                "GET",
                "/memory/search",
                params={"query": query, **filters},
                request_timeout=request_timeout,
            ),
        )

    async def async_delete_memory(self, memory_id: str) -> dict[str, Any]:
        """Delete one memory by id."""
        return cast(dict[str, Any], await self.request("DELETE", f"/memory/{memory_id}"))

    async def async_set_preference(
        self, key: str, value: Any, category: str | None = None
    ) -> dict[str, Any]:
        """Create or replace a preference."""
        body = _body({"key": key, "value": value, "category": category})
        body["value"] = value  # a null value is a legitimate preference value
        self.preference_writes += 1
        return cast(dict[str, Any], await self.request("POST", "/preferences/set", body=body))

    async def async_get_preference(self, key: str) -> dict[str, Any]:
        """Return one preference (raises AiMemoryNotFoundError when missing)."""
        return cast(
            dict[str, Any], await self.request("GET", "/preferences/get", params={"key": key})
        )

    async def async_list_preferences(
        self,
        *,
        category: str | None = None,
        prefix: str | None = None,
        limit: int | None = None,
        request_timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        """List preferences, optionally filtered by category or key prefix."""
        params = {"category": category, "prefix": prefix, "limit": limit}
        answer = await self.request(
            "GET", "/preferences/list", params=params, request_timeout=request_timeout
        )
        return cast(list[dict[str, Any]], answer["preferences"])

    async def async_delete_preference(self, key: str) -> dict[str, Any]:
        """Delete one preference (raises AiMemoryNotFoundError when missing)."""
        self.preference_writes += 1
        return cast(
            dict[str, Any],
            await self.request("DELETE", "/preferences/delete", params={"key": key}),
        )

    async def async_post_turns(
        self, turns: list[dict[str, Any]], *, request_timeout: float | None = None
    ) -> TurnResults:
        """Deliver turns in one transaction; idempotent on each turn_id."""
        return cast(
            TurnResults,
            await self.request(
                "POST",
                "/conversations/turns",
                body={"turns": turns},
                request_timeout=request_timeout,
            ),
        )

    async def async_get_history(self, **filters: Any) -> list[dict[str, Any]]:
        """Return recorded turns, oldest first."""
        answer = await self.request("GET", "/conversations/history", params=filters)
        return cast(list[dict[str, Any]], answer["turns"])

    async def async_record_feedback(
        self, *, request_timeout: float | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Attach a 1-5 score to a turn (applied later if the turn has not arrived)."""
        return cast(
            dict[str, Any],
            await self.request(
                "POST", "/training/feedback", body=_body(fields), request_timeout=request_timeout
            ),
        )

    async def async_export_training(self, **filters: Any) -> list[dict[str, Any]]:
        """Export training examples; the sidecar answers with NDJSON."""
        answer = await self.request("GET", "/training/export", params=filters)
        if isinstance(answer, list):
            return answer
        if isinstance(answer, dict):
            return [answer]
        return [json.loads(line) for line in str(answer or "").splitlines() if line.strip()]

    async def async_export_training_to(
        self,
        write: Callable[[bytes], Awaitable[None]],
        *,
        read_timeout: float | None = None,
        **filters: Any,
    ) -> int:
        """Stream the NDJSON export into `write` chunk by chunk; returns the line count."""
        return await self.stream("/training/export", filters, write, read_timeout=read_timeout)

    async def async_cache_lookup(
        self, *, request_timeout: float | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Look a request up in the response cache (exact, then signature-guarded semantic)."""
        return cast(
            dict[str, Any],
            await self.request(
                "POST", "/cache/lookup", body=_body(fields), request_timeout=request_timeout
            ),
        )

    async def async_cache_store(
        self, *, request_timeout: float | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Store an answer or a plan in the response cache."""
        return cast(
            dict[str, Any],
            await self.request(
                "POST", "/cache/store", body=_body(fields), request_timeout=request_timeout
            ),
        )

    async def async_cache_invalidate(self, **fields: Any) -> dict[str, Any]:
        """Drop cache entries by id, dependency or mentioned phrase."""
        return cast(
            dict[str, Any], await self.request("POST", "/cache/invalidate", body=_body(fields))
        )

    async def async_get_cache_stats(self) -> CacheStats:
        """Return response-cache statistics."""
        return cast(CacheStats, await self.request("GET", "/cache/stats"))

    async def async_clear_cache(self, *, clear_all: bool = False) -> dict[str, Any]:
        """Drop expired cache entries, or every entry when clear_all is set."""
        params = {"all": True} if clear_all else {}
        return cast(dict[str, Any], await self.request("DELETE", "/cache/clear", params=params))
