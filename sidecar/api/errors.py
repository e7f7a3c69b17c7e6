"""Errors that become JSON answers: `{"error": code, "message": …, "details": […]}`."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web


class ApiError(Exception):
    """An expected failure with its HTTP status and machine-readable code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers

    def response(self) -> web.Response:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return web.Response(
            status=self.status,
            body=orjson.dumps(body),
            content_type="application/json",
            headers=self.headers,
        )


def bad_request(message: str, details: list[dict[str, Any]] | None = None) -> ApiError:
    return ApiError(400, "invalid_request", message, details)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


# Status codes aiohttp raises itself (unknown route, body too large, …) and our codes for them.
HTTP_STATUS_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}
