"""Translate sidecar client errors into Home Assistant exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    AiMemoryAuthError,
    AiMemoryBadRequestError,
    AiMemoryConnectionError,
    AiMemoryError,
    AiMemoryNotFoundError,
)
from .const import DOMAIN


@contextmanager
def translate_sidecar_errors(
    hass: HomeAssistant,
    entry: ConfigEntry,
    *,
    not_found_key: str = "not_found",
    not_found_placeholders: dict[str, str] | None = None,
) -> Iterator[None]:
    """Raise translated errors: the user's mistake as validation, the rest as HA errors."""
    try:
        yield
    except AiMemoryNotFoundError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=not_found_key,
            translation_placeholders=not_found_placeholders or {"error": str(err)},
        ) from err
    except AiMemoryBadRequestError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_request",
            translation_placeholders={"error": str(err)},
        ) from err
    except AiMemoryAuthError as err:
        # A rejected token will not fix itself: ask the user for a new one.
        entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="authentication_error"
        ) from err
    except AiMemoryConnectionError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="communication_error",
            translation_placeholders={"error": str(err)},
        ) from err
    except AiMemoryError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="unknown_error",
            translation_placeholders={"error": str(err)},
        ) from err
