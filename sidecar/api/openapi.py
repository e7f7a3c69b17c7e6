"""The OpenAPI 3.1 document, generated from the route table so it cannot drift."""

from __future__ import annotations

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


def _serializer(schema: Any) -> Any:
    return getattr(schema, "openapi", UNSUPPORTED)


def _schema(schema: vol.Schema) -> dict[str, Any]:
    converted = convert(schema, custom_serializer=_serializer)
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
        operation["responses"]["201"] = {"description": "Created"}
    if "{" in route.path or route.path in {"/preferences/get", "/preferences/delete"}:
        operation["responses"]["404"] = {"$ref": "#/components/responses/Error"}
    if parameters := _parameters(route):
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(route.body)}},
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
                }
            },
        },
    }
