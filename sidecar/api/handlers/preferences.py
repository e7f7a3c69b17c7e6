"""Preferences and aliases: set, get, list, delete."""

from __future__ import annotations

import voluptuous as vol
from aiohttp import web

from ...keys import POOL
from ...store import preferences
from ..errors import not_found
from ..responses import json_response, rows
from ..validation import (
    integer,
    json_value,
    key,
    name,
    openapi,
    read_json,
    validate,
    validate_query,
)


@openapi({"not": {"type": "null"}, "description": "any JSON value but null"})
def _not_null(value: object) -> object:
    if value is None:
        raise vol.Invalid("must not be null; delete the preference instead")
    return json_value(value)


SET_SCHEMA = vol.Schema(
    {
        vol.Required("key"): key,
        vol.Required("value"): _not_null,
        vol.Optional("category"): vol.Any(None, name),
    }
)
KEY_QUERY_SCHEMA = vol.Schema({vol.Required("key"): key})
LIST_QUERY_SCHEMA = vol.Schema(
    {
        vol.Optional("category"): name,
        vol.Optional("prefix"): key,
        vol.Optional("limit", default=500): integer(1, 5000),
    }
)


async def set_preference(request: web.Request) -> web.Response:
    body = validate(SET_SCHEMA, await read_json(request))
    record = await preferences.set_preference(
        request.app[POOL], body["key"], body["value"], body.get("category")
    )
    return json_response(dict(record))


async def get_preference(request: web.Request) -> web.Response:
    params = validate_query(KEY_QUERY_SCHEMA, request.query)
    record = await preferences.get_preference(request.app[POOL], params["key"])
    if record is None:
        raise not_found(f"no preference {params['key']!r}")
    return json_response(dict(record))


async def list_preferences(request: web.Request) -> web.Response:
    params = validate_query(LIST_QUERY_SCHEMA, request.query)
    records = await preferences.list_preferences(
        request.app[POOL], params.get("category"), params.get("prefix"), params["limit"]
    )
    return json_response({"preferences": rows(records)})


async def delete_preference(request: web.Request) -> web.Response:
    params = validate_query(KEY_QUERY_SCHEMA, request.query)
    if not await preferences.delete_preference(request.app[POOL], params["key"]):
        raise not_found(f"no preference {params['key']!r}")
    return json_response({"deleted": True, "key": params["key"]})
