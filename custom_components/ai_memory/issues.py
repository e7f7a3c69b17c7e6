"""Repair issue raised when the sidecar stays unreachable."""

from __future__ import annotations

from datetime import datetime

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import DOMAIN, ISSUE_UNREACHABLE, UNREACHABLE_ISSUE_AFTER


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
