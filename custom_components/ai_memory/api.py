"""HTTP client for the AI Memory sidecar.

Imports nothing from Home Assistant so it can be reused and tested on its own;
the caller injects the aiohttp session and maps the exceptions below.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

import aiohttp

from .api_types import CacheStats, Info, Stats, TurnResults

DEFAULT_TIMEOUT = 10.0


class AiMemoryError(Exception):
    """Base error of the sidecar client."""


class AiMemoryConnectionError(AiMemoryError):
    """The sidecar could not be reached, timed out or is temporarily unavailable."""


class AiMemoryAuthError(AiMemoryError):
    """The sidecar refused the token (HTTP 401)."""


class AiMemoryBadRequestError(AiMemoryError):
    """The sidecar refused the request as invalid (HTTP 4xx)."""


class AiMemoryNotFoundError(AiMemoryError):
    """The requested object does not exist (HTTP 404)."""


def _query(params: Mapping[str, Any]) -> dict[str, str]:
    """Drop unset values and encode the rest the way the sidecar parses them."""
    query: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            query[key] = ",".join(str(item) for item in value)
        else:
            query[key] = str(value)
    return query


def _body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset fields: the sidecar refuses unknown keys and explicit nulls mean 'clear'."""
    return {key: value for key, value in fields.items() if value is not None}


class AiMemoryClient:
    """Typed access to the endpoints of the sidecar that the integration uses."""

    def __init__(
        self,
        url: str,
        token: str,
        session: aiohttp.ClientSession,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Initialize the client."""
        self.url = url.rstrip("/")
        self._token = token
        self._session = session
        self._timeout = timeout
        # Preference writes sent so far (counted when sent: one that timed out may still
        # land), which PreferenceSnapshot compares.
        self.preference_writes = 0

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        request_timeout: float | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON (or text for NDJSON)."""
        try:
            async with asyncio.timeout(request_timeout or self._timeout):
                response = await self._session.request(
                    method,
                    f"{self.url}{path}",
                    params=_query(params or {}),
                    json=body,
                    headers={"Authorization": f"Bearer {self._token}"},
                )
                async with response:
                    text = await response.text()
        except TimeoutError as err:
            raise AiMemoryConnectionError(f"Timeout talking to {self.url}") from err
        except aiohttp.ClientError as err:
            raise AiMemoryConnectionError(f"Cannot reach {self.url}: {err}") from err
        self._raise_for_status(response.status, text)
        if not text or "ndjson" in (response.content_type or ""):
            return text or None
        try:
            return json.loads(text)
        except ValueError:
            return text

    @staticmethod
    def _raise_for_status(status: int, text: str) -> None:
        if status < 400:
            return
        try:
            message = str(json.loads(text).get("message", text))
        except (ValueError, AttributeError):
            message = text[:200]
        if status == 401:
            raise AiMemoryAuthError(message)
        if status == 404:
            raise AiMemoryNotFoundError(message)
        if status >= 500 or status == 429:
            raise AiMemoryConnectionError(f"Sidecar unavailable ({status}): {message}")
        raise AiMemoryBadRequestError(message)

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
        """Stream the NDJSON export into `write` chunk by chunk; returns the line count.

        Nothing is held in memory beyond one chunk; each read has its own timeout, so a
        large export may take as long as it needs while a stalled one still fails.
        """
        timeout = read_timeout or self._timeout
        lines = 0
        try:
            async with asyncio.timeout(timeout):
                response = await self._session.get(
                    f"{self.url}/training/export",
                    params=_query(filters),
                    headers={"Authorization": f"Bearer {self._token}"},
                )
            async with response:
                if response.status >= 400:
                    async with asyncio.timeout(timeout):
                        self._raise_for_status(response.status, await response.text())
                stream = response.content
                while True:
                    async with asyncio.timeout(timeout):
                        chunk = await stream.readany()
                    if not chunk:
                        break
                    lines += chunk.count(b"\n")
                    await write(chunk)
        except TimeoutError as err:
            raise AiMemoryConnectionError(f"Timeout talking to {self.url}") from err
        except aiohttp.ClientError as err:
            raise AiMemoryConnectionError(f"Cannot reach {self.url}: {err}") from err
        return lines

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
