"""Request parsing and voluptuous building blocks shared by the handlers.

Everything a handler reads went through here: bodies are strict UTF-8 JSON without NaN or
Infinity, strings carry no NUL (PostgreSQL rejects it mid-transaction), nesting is bounded,
and unknown fields are refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson
import voluptuous as vol
from aiohttp import web

from .errors import ApiError, bad_request

MAX_TEXT = 32_000
MAX_JSON_DEPTH = 16
_NAME = re.compile(r"^[\w.:-]{1,64}$")
_KEY = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")


def openapi(spec: dict[str, Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach the OpenAPI schema of a custom validator (read by api/openapi.py)."""

    def attach(validator: Callable[..., Any]) -> Callable[..., Any]:
        validator.openapi = spec  # type: ignore[attr-defined]
        return validator

    return attach


def text(max_length: int = MAX_TEXT, *, allow_empty: bool = False) -> Callable[[Any], str]:
    """A string without NUL, at most `max_length` characters, non-blank unless allowed."""

    @openapi({"type": "string", "maxLength": max_length, "minLength": 0 if allow_empty else 1})
    def validate(value: Any) -> str:
        if not isinstance(value, str):
            raise vol.Invalid("expected a string")
        if "\x00" in value:
            raise vol.Invalid("must not contain NUL characters")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as err:
                raise vol.Invalid("must not contain unpaired surrogates") from err
        if len(value) > max_length:
            raise vol.Invalid(f"longer than {max_length} characters")
        if not allow_empty and not value.strip():
            raise vol.Invalid("must not be empty")
        return value

    return validate


@openapi({"type": "string", "pattern": _NAME.pattern})
def name(value: Any) -> str:
    """A domain, tag or id: letters, digits and . _ : - (1–64)."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise vol.Invalid("expected 1-64 letters, digits or . _ : - characters")
    return value


@openapi({"type": "string", "minLength": 1, "maxLength": 255})
def key(value: Any) -> str:
    """A preference key: 1–255 printable characters."""
    if not isinstance(value, str) or not _KEY.match(value):
        raise vol.Invalid("expected 1-255 printable characters")
    return value


@openapi({"description": "any JSON value"})
def json_value(value: Any, depth: int = 0) -> Any:
    """Any JSON value, bounded in depth, without NUL in strings (jsonb refuses \\u0000)."""
    if depth > MAX_JSON_DEPTH:
        raise vol.Invalid(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        return text(MAX_TEXT, allow_empty=True)(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise vol.Invalid("numbers must be finite")
    if isinstance(value, list):
        return [json_value(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {text(255, allow_empty=True)(k): json_value(v, depth + 1) for k, v in value.items()}
    return value


@openapi({"type": "object", "additionalProperties": True})
def json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise vol.Invalid("expected an object")
    return json_value(value)


@openapi({"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 2000})
def vector(value: Any) -> list[float]:
    """A list of finite numbers (the dimension is checked against the model later)."""
    if not isinstance(value, list) or not 1 <= len(value) <= 2000:
        raise vol.Invalid("expected a list of 1-2000 numbers")
    if not all(
        isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in value
    ):
        raise vol.Invalid("expected finite numbers")
    return [float(x) for x in value]


@openapi({"type": "string", "format": "date-time"})
def timestamp(value: Any) -> datetime:
    """ISO 8601 with a time zone (naive times would be read in the server's zone)."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as err:
            raise vol.Invalid("expected an ISO 8601 timestamp") from err
    if parsed.tzinfo is None:
        raise vol.Invalid("timestamp needs a time zone, e.g. 2026-01-01T12:00:00Z")
    return parsed


@openapi({"type": "boolean"})
def boolean(value: Any) -> bool:
    """true/false in JSON, or 1/0/true/false/yes/no in a query string."""
    if isinstance(value, bool):
        return value
    lowered = str(value).lower()
    if lowered in {"1", "true", "yes"}:
        return True
    if lowered in {"0", "false", "no"}:
        return False
    raise vol.Invalid("expected true or false")


def comma_list(item: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    """`a,b` in a query string, or a JSON list."""

    @openapi({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
    def validate(value: Any) -> list[Any]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or len(items) > 32:
            raise vol.Invalid("expected at most 32 items")
        return [item(entry) for entry in items if entry != ""]

    return validate


def integer(minimum: int, maximum: int) -> vol.All:
    return vol.All(vol.Coerce(int), vol.Range(min=minimum, max=maximum))


def number(minimum: float, maximum: float) -> vol.All:
    return vol.All(vol.Coerce(float), vol.Range(min=minimum, max=maximum))


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or a 4xx naming what is wrong with it."""
    if request.content_type not in ("application/json", "application/octet-stream", ""):
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    raw = await request.read()
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ApiError(400, "invalid_json", f"body is not valid UTF-8 (byte {err.start})") from err
    try:
        # orjson refuses NaN and Infinity and stops at 1024 levels of nesting.
        return orjson.loads(decoded)
    except orjson.JSONDecodeError as err:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {err}") from err


def _path(error: vol.Invalid) -> str:
    return ".".join(str(part) for part in error.path) or "(body)"


def validate(schema: vol.Schema, data: Any) -> Any:
    """Run a schema; every problem becomes one entry of a 400's details."""
    try:
        return schema(data)
    except vol.MultipleInvalid as err:
        details = [{"path": _path(error), "message": error.msg} for error in err.errors]
        summary = "; ".join(f"{d['path']}: {d['message']}" for d in details)
        raise bad_request(summary, details) from err
    except vol.Invalid as err:
        raise bad_request(
            f"{_path(err)}: {err.msg}", [{"path": _path(err), "message": err.msg}]
        ) from err


def validate_query(schema: vol.Schema, query: Mapping[str, str]) -> Any:
    """Query strings: a repeated parameter is an error, not a silent pick."""
    repeated = sorted({name for name in query if len(query.getall(name)) > 1})  # type: ignore[attr-defined]
    if repeated:
        raise bad_request(f"parameter given more than once: {', '.join(repeated)}")
    return validate(schema, dict(query))
