"""JSON answers (orjson: datetimes as RFC 3339, fast)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg
import orjson
from aiohttp import web


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json")


def rows(records: Iterable[asyncpg.Record]) -> list[dict[str, Any]]:
    return [dict(record) for record in records]
