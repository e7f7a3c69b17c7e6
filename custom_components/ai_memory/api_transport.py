"""One authenticated HTTP exchange with the sidecar: timeouts, and every failure an error.

Imports nothing from Home Assistant; the caller injects the aiohttp session.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiohttp

from .api_errors import AiMemoryConnectionError, raise_for_status

DEFAULT_TIMEOUT = 10.0


def encode_query(params: Mapping[str, Any]) -> dict[str, str]:
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


class SidecarTransport:
    """Sends requests to one sidecar with its token; failures raise AiMemoryError."""

    def __init__(
        self,
        url: str,
        token: str,
        session: aiohttp.ClientSession,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Initialize the transport."""
        self.url = url.rstrip("/")
        self._token = token
        self._session = session
        self._timeout = timeout

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    @contextmanager
    def _connection_errors(self) -> Iterator[None]:
        """A timeout or a failed connection is worth retrying: AiMemoryConnectionError."""
        try:
            yield
        except TimeoutError as err:
            raise AiMemoryConnectionError(f"Timeout talking to {self.url}") from err
        except aiohttp.ClientError as err:
            raise AiMemoryConnectionError(f"Cannot reach {self.url}: {err}") from err

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
        with self._connection_errors():
            async with asyncio.timeout(request_timeout or self._timeout):
                response = await self._session.request(
                    method,
                    f"{self.url}{path}",
                    params=encode_query(params or {}),
                    json=body,
                    headers=self._headers,
                )
                async with response:
                    text = await response.text()
        raise_for_status(response.status, text)
        if not text or "ndjson" in (response.content_type or ""):
            return text or None
        try:
            return json.loads(text)
        except ValueError:
            return text

    async def stream(
        self,
        path: str,
        params: Mapping[str, Any],
        write: Callable[[bytes], Awaitable[None]],
        *,
        read_timeout: float | None = None,
    ) -> int:
        """GET `path` and hand its body to `write` chunk by chunk; returns the line count.

        Nothing is held in memory beyond one chunk; each read has its own timeout, so a
        large answer may take as long as it needs while a stalled one still fails.
        """
        timeout = read_timeout or self._timeout
        lines = 0
        with self._connection_errors():
            async with asyncio.timeout(timeout):
                response = await self._session.get(
                    f"{self.url}{path}", params=encode_query(params), headers=self._headers
                )
            async with response:
                if response.status >= 400:
                    async with asyncio.timeout(timeout):
                        raise_for_status(response.status, await response.text())
                stream = response.content
                while True:
                    async with asyncio.timeout(timeout):
                        chunk = await stream.readany()
                    if not chunk:
                        break
                    lines += chunk.count(b"\n")
                    await write(chunk)
        return lines
