"""Repair issues: the sidecar stays unreachable, or its embedding provider stays down."""

from __future__ import annotations

from datetime import datetime

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .api_types import EmbeddingsStatus
from .const import DOMAIN, ISSUE_EMBEDDINGS, ISSUE_UNREACHABLE, UNREACHABLE_ISSUE_AFTER


def _issue_id(entry: ConfigEntry) -> str:
    return f"{ISSUE_UNREACHABLE}_{entry.entry_id}"


@callback
def async_check_unreachable_issue(hass: HomeAssistant, entry: ConfigEntry, since: datetime) -> None:
    """Create the issue once the outage has lasted long enough to matter.

    Short blips (a sidecar restart, an upgrade) are absorbed by the outbox and
    should not alarm the user.
    """
    if dt_util.utcnow() - since < UNREACHABLE_ISSUE_AFTER:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_UNREACHABLE,
        translation_placeholders={
            "url": str(entry.data.get(CONF_URL, "")),
            "since": since.isoformat(timespec="seconds"),
        },
    )


@callback
def async_clear_unreachable_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove the issue when the sidecar answers again."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry))


def _embeddings_issue_id(entry: ConfigEntry) -> str:
    return f"{ISSUE_EMBEDDINGS}_{entry.entry_id}"


@callback
def async_check_embeddings_issue(
    hass: HomeAssistant, entry: ConfigEntry, since: datetime, status: EmbeddingsStatus
) -> None:
    """Create (or refresh) the issue once the provider has been down for long: search has
    fallen back to full text and new memories wait for their vectors. A restart of Ollama
    or a model download is not worth a warning."""
    if dt_util.utcnow() - since < UNREACHABLE_ISSUE_AFTER:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        _embeddings_issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_EMBEDDINGS,
        translation_placeholders={
            "provider": str(status.get("provider", "")),
            "model": str(status.get("model", "")),
            "reason": str(status.get("reason") or "no answer"),
            "backlog": str(status.get("backlog", 0)),
            "since": since.isoformat(timespec="seconds"),
        },
    )


@callback
def async_clear_embeddings_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove the issue when the provider answers again."""
    ir.async_delete_issue(hass, DOMAIN, _embeddings_issue_id(entry))
