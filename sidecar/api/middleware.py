"""Middlewares: JSON errors (outermost), metrics, bearer-token auth."""

from __future__ import annotations

import hmac
import logging
import time

import asyncpg
from aiohttp import web
from aiohttp.typedefs import Handler

from ..db import DATABASE_ERRORS
from ..keys import METRICS, TOKEN
from .errors import HTTP_STATUS_CODES, ApiError
from .routes import PUBLIC_PATHS

_LOGGER = logging.getLogger(__name__)


def error_for(err: Exception) -> ApiError | None:
    """The JSON answer for an exception a handler let through; None for a bug (500)."""
    if isinstance(err, ApiError):
        return err
    if isinstance(err, web.HTTPException):
        code = HTTP_STATUS_CODES.get(err.status, "invalid_request")
        message = err.reason if err.status != 413 else "request body is too large"
        # A 405 must say which methods the resource has (RFC 9110 §15.5.6).
        allow = {"Allow": err.headers["Allow"]} if "Allow" in err.headers else None
        return ApiError(err.status, code, message, headers=allow)
    if isinstance(err, asyncpg.UniqueViolationError):
        return ApiError(409, "conflict", "the same item already exists")
    if isinstance(err, asyncpg.IntegrityConstraintViolationError | asyncpg.DataError):
        # Validators should have caught it; the database is the last line of defence.
        return ApiError(400, "invalid_request", f"value refused by the database: {err}")
    if isinstance(err, DATABASE_ERRORS):
        return ApiError(
            503,
            "database_unavailable",
            "the database is unavailable; retry shortly",
            headers={"Retry-After": "5"},
        )
    return None


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as JSON; internals are logged, never sent."""
    try:
        return await handler(request)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        return error_for(err).response()  # type: ignore[union-attr]
    except Exception as err:
        if (answer := error_for(err)) is None:
            _LOGGER.exception("Unhandled error for %s %s", request.method, request.path)
            answer = ApiError(500, "internal_error", "internal error; see the sidecar log")
        elif answer.status == 503:
            _LOGGER.warning("Database unavailable for %s %s: %s", request.method, request.path, err)
        return answer.response()


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    route = request.match_info.route.resource
    # The route template ("/memory/{memory_id}"), never the raw path: bounded label values.
    template = route.canonical if route is not None else "unmatched"
    metrics = request.app[METRICS]
    metrics.requests.labels(request.method, template, str(response.status)).inc()
    metrics.latency.labels(request.method, template).observe(time.perf_counter() - started)
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bearer token on everything but health, compared in constant time."""
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    expected = request.app[TOKEN].encode()
    headers = request.headers.getall("Authorization", [])
    # Two Authorization headers are malformed: refused, whichever one holds the token.
    header = headers[0] if len(headers) == 1 else ""
    scheme, _, given = header.partition(" ")
    # Header bytes that are not UTF-8 arrive as lone surrogates: encode them, never raise.
    presented = given.strip().encode("utf-8", "surrogatepass")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented, expected):
        raise ApiError(
            401,
            "unauthorized",
            "missing or wrong bearer token",
            headers={"WWW-Authenticate": 'Bearer realm="ai-memory"'},
        )
    return await handler(request)
