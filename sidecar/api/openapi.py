"""The OpenAPI 3.1 document, generated from the route table so it cannot drift."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

import voluptuous as vol
from voluptuous_openapi import UNSUPPORTED, convert

from .. import __version__

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object"}},
    },
}
_PATH_PARAMETER = re.compile(r"{(\w+)}")
# Routes answered without the database (everything else may answer 503 + Retry-After).
_NO_DATABASE = frozenset({"/healthz", "/info", "/metrics", "/openapi.json"})


def _serializer(schema: Any) -> Any:
    # A copy: the converter adds "nullable" and "default" to what it gets, which would leak
    # from one field into every other field using the same validator.
    spec = getattr(schema, "openapi", UNSUPPORTED)
    return copy.deepcopy(spec) if isinstance(spec, dict) else spec


def _array_bounds(node: Any) -> Any:
    """The converter writes vol.Length on lists as min/maxLength; arrays use min/maxItems."""
    if isinstance(node, list):
        return [_array_bounds(item) for item in node]
    if not isinstance(node, dict):
        return node
    fixed = {key: _array_bounds(value) for key, value in node.items()}
    if fixed.get("type") == "array":
        for length, items in (("minLength", "minItems"), ("maxLength", "maxItems")):
            if length in fixed:
                fixed[items] = fixed.pop(length)
    return fixed


def _schema(schema: vol.Schema) -> dict[str, Any]:
    converted: dict[str, Any] = _array_bounds(convert(schema, custom_serializer=_serializer))
    if converted.get("type") == "object":
        converted.setdefault("additionalProperties", False)
    return converted


def _parameters(route: Any) -> list[dict[str, Any]]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for name in _PATH_PARAMETER.findall(route.path)
    ]
    if route.query is not None:
        converted = _schema(route.query)
        required = set(converted.get("required", []))
        for name, schema in converted.get("properties", {}).items():
            parameters.append(
                {"name": name, "in": "query", "required": name in required, "schema": schema}
            )
    return parameters


def _operation(route: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": f"{route.method.lower()}_{route.path.strip('/').replace('/', '_')}".replace(
            "{", ""
        )
        .replace("}", "")
        .replace(".", "_"),
        "responses": {
            "200": {"description": "OK", "content": {route.produces: {"schema": {}}}},
            "400": {"$ref": "#/components/responses/Error"},
        },
    }
    if route.method == "POST" and route.path in {
        "/memory/add",
        "/cache/store",
        "/training/feedback",
    }:
        operation["responses"]["201"] = {
            "description": "Created",
            "content": {"application/json": {"schema": {}}},
        }
    if "{" in route.path or route.path in {"/preferences/get", "/preferences/delete"}:
        operation["responses"]["404"] = {"$ref": "#/components/responses/Error"}
    responses = operation["responses"]
    if route.body is not None:
        responses["413"] = responses["415"] = {"$ref": "#/components/responses/Error"}
    if route.method == "PATCH":  # the change would duplicate an existing memory
        responses["409"] = {"$ref": "#/components/responses/Error"}
    if route.path == "/readyz":
        responses["503"] = {"description": "Not ready", "content": {"application/json": {}}}
    elif route.path not in _NO_DATABASE:
        responses["503"] = {"$ref": "#/components/responses/Unavailable"}
    if parameters := _parameters(route):
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            # NDJSON bodies (/memory/import) are described by the schema of one line.
            "content": {route.consumes: {"schema": _schema(route.body)}},
        }
    if not route.public:
        operation["security"] = [{"bearer": []}]
        operation["responses"]["401"] = {"$ref": "#/components/responses/Error"}
    return operation


@functools.cache
def build_openapi() -> dict[str, Any]:
    """Built once per process: the route table is constant."""
    from .routes import ROUTES  # noqa: PLC0415 - the routes import the handler serving this

    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "AI Memory sidecar", "version": __version__},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR},
            "responses": {
                "Error": {
                    "description": "Error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "Unavailable": {
                    "description": "The database is unreachable; retry after the given seconds",
                    "headers": {"Retry-After": {"required": True, "schema": {"type": "string"}}},
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        },
    }
