"""The sidecar client's exception tree, and which HTTP answers raise which exception.

Imports nothing from Home Assistant: errors.py maps these onto HA's exceptions.
"""

from __future__ import annotations

import json


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


def raise_for_status(status: int, text: str) -> None:
    """Raise the error an HTTP status stands for; 429 and 5xx are worth retrying later."""
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
