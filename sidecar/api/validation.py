"""Request parsing and voluptuous building blocks shared by the handlers.

Everything a handler reads went through here: bodies are strict UTF-8 JSON without NaN or
Infinity, strings carry no NUL (PostgreSQL rejects it mid-transaction), nesting is bounded,
and unknown fields are refused.
"""

from __future__ import annotations

import contextvars
import math
import re
from array import array
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import voluptuous as vol
from aiohttp import web

from ..db.embedding_space import HALF_OVERFLOW, HALF_ZERO
from .errors import ApiError, bad_request

MAX_TEXT = 32_000
MAX_JSON_DEPTH = 16
_NAME = re.compile(r"^[\w.:-]{1,64}$")
_KEY = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")
# Numbers in query strings arrive as text; only plain ASCII decimals are numbers (int() would
# also take " 5", "1_0" and non-ASCII digits). JSON bodies must send real numbers.
_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]{1,20}$")
_NUMBER_TEXT = re.compile(
    r"^[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,3})?$"
)
_IN_QUERY: contextvars.ContextVar[bool] = contextvars.ContextVar("in_query", default=False)


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


# No "pattern" in the document: JSON Schema regexes are ECMA-262, where \w is ASCII only, but
# names may use letters of any script (Polish tags).
@openapi(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "description": "letters of any script, digits and . _ : -",
    }
)
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


HALF_RANGE_MESSAGE = "numbers must fit a 16-bit float (|x| <= 65504)"


@openapi({"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 2000})
def vector(value: Any) -> list[float]:
    """A list of finite numbers that fit the half-precision floats vectors are stored as and
    is not all zeros there (its cosine distance is undefined); the dimension is checked
    against the model later."""
    if not isinstance(value, list) or not 1 <= len(value) <= 2000:
        raise vol.Invalid("expected a list of 1-2000 numbers")
    # Whole-vector operations in C: per-element Python loops cost several times more
    # (160 → 40 → 20 µs for 384 dimensions), which an import pays for every row.
    try:
        as_floats = array("f", value)  # refuses non-numbers
    except (TypeError, OverflowError):
        raise vol.Invalid("expected finite numbers") from None
    if bool in set(map(type, value)):  # array() takes true and false as 1 and 0
        raise vol.Invalid("expected finite numbers")
    # NaN or ±inf anywhere (a number beyond float32 becomes inf) makes the largest non-finite.
    largest = float(np.abs(np.frombuffer(as_floats, dtype=np.float32)).max())
    if not math.isfinite(largest):
        if all(math.isfinite(x) for x in value):
            raise vol.Invalid(HALF_RANGE_MESSAGE)
        raise vol.Invalid("expected finite numbers")
    if largest >= HALF_OVERFLOW:
        raise vol.Invalid(HALF_RANGE_MESSAGE)
    if largest <= HALF_ZERO:
        raise vol.Invalid("a vector of zeros has no direction")
    return value


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


_BOOLEAN_TEXT = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@openapi(
    {
        "anyOf": [
            {"type": "boolean"},
            {"type": "string", "enum": sorted(_BOOLEAN_TEXT)},
        ]
    }
)
def boolean(value: Any) -> bool:
    """true/false in JSON, or 1/0/true/false/yes/no (as text, e.g. in a query string)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[value.lower()]
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


def _in_range(value: float, minimum: float, maximum: float) -> None:
    if not value >= minimum:  # also refuses NaN
        raise vol.Invalid(f"value must be at least {minimum}")
    if not value <= maximum:
        raise vol.Invalid(f"value must be at most {maximum}")


def integer(minimum: int, maximum: int) -> Callable[[Any], int]:
    """A JSON integer (not a boolean), or its decimal text in a query string."""

    @openapi({"type": "integer", "minimum": minimum, "maximum": maximum})
    def validate(value: Any) -> int:
        query_text = isinstance(value, str) and _IN_QUERY.get() and _INTEGER_TEXT.match(value)
        if query_text or (isinstance(value, float) and value.is_integer()):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise vol.Invalid("expected int")
        _in_range(value, minimum, maximum)
        return value

    return validate


def number(minimum: float, maximum: float) -> Callable[[Any], float]:
    """A finite JSON number (not a boolean), or its decimal text in a query string."""

    @openapi({"type": "number", "minimum": minimum, "maximum": maximum})
    def validate(value: Any) -> float:
        if isinstance(value, str) and _IN_QUERY.get() and _NUMBER_TEXT.match(value):
            value = float(value)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise vol.Invalid("expected a number")
        _in_range(value, minimum, maximum)
        return float(value)

    return validate


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
    token = _IN_QUERY.set(True)
    try:
        return validate(schema, dict(query))
    finally:
        _IN_QUERY.reset(token)
