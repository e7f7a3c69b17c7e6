"""Repair issues: the sidecar stays unreachable, its embedding provider stays down, or the
sidecar is older than this integration needs.

The first two are raised only once the trouble has lasted UNREACHABLE_ISSUE_AFTER: short
blips (a sidecar or Ollama restart, an upgrade, a model download) are absorbed and should
not alarm the user. An outdated sidecar does not pass by itself, so it is raised at once.
Each goes away on its own when the trouble ends.
"""

from __future__ import annotations

from datetime import datetime

from awesomeversion import AwesomeVersion
from awesomeversion.exceptions import AwesomeVersionException
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .api_types import EmbeddingsStatus
from .const import (
    DOMAIN,
    ISSUE_EMBEDDINGS,
    ISSUE_OUTDATED,
    ISSUE_UNREACHABLE,
    MIN_SIDECAR_VERSION,
    UNREACHABLE_ISSUE_AFTER,
)


def _issue_id(kind: str, entry: ConfigEntry) -> str:
    return f"{kind}_{entry.entry_id}"


@callback
def _async_raise(
    hass: HomeAssistant,
    entry: ConfigEntry,
    kind: str,
    *,
    severity: ir.IssueSeverity,
    placeholders: dict[str, str],
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(kind, entry),
        is_fixable=False,
        severity=severity,
        translation_key=kind,
        translation_placeholders=placeholders,
    )


@callback
def _async_raise_when_long(
    hass: HomeAssistant,
    entry: ConfigEntry,
    kind: str,
    since: datetime,
    *,
    severity: ir.IssueSeverity,
    placeholders: dict[str, str],
) -> None:
    if dt_util.utcnow() - since < UNREACHABLE_ISSUE_AFTER:
        return
    since_text = since.isoformat(timespec="seconds")
    _async_raise(
        hass, entry, kind, severity=severity, placeholders={**placeholders, "since": since_text}
    )


@callback
def async_check_unreachable_issue(hass: HomeAssistant, entry: ConfigEntry, since: datetime) -> None:
    """The sidecar has not answered since `since`; the outbox keeps the records meanwhile."""
    _async_raise_when_long(
        hass,
        entry,
        ISSUE_UNREACHABLE,
        since,
        severity=ir.IssueSeverity.ERROR,
        placeholders={"url": str(entry.data.get(CONF_URL, ""))},
    )


@callback
def async_clear_unreachable_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove the issue when the sidecar answers again."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_UNREACHABLE, entry))


@callback
def async_check_embeddings_issue(
    hass: HomeAssistant, entry: ConfigEntry, since: datetime, status: EmbeddingsStatus
) -> None:
    """The provider has given no usable vectors since `since`: search has fallen back to full
    text and new memories wait for their vectors."""
    placeholders = {
        "provider": str(status.get("provider", "")),
        "model": str(status.get("model", "")),
        "reason": str(status.get("reason") or "no answer"),
        "backlog": str(status.get("backlog", 0)),
    }
    _async_raise_when_long(
        hass,
        entry,
        ISSUE_EMBEDDINGS,
        since,
        severity=ir.IssueSeverity.WARNING,
        placeholders=placeholders,
    )


@callback
def async_clear_embeddings_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove the issue when the provider answers again."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_EMBEDDINGS, entry))


def _is_supported(version: str) -> bool:
    try:
        return AwesomeVersion(version) >= MIN_SIDECAR_VERSION
    except AwesomeVersionException:
        return True  # not a release number (a development build): nothing to compare


@callback
def async_check_version_issue(hass: HomeAssistant, entry: ConfigEntry, version: str) -> None:
    """Raise the issue while the sidecar is older than MIN_SIDECAR_VERSION, else remove it."""
    if _is_supported(version):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_OUTDATED, entry))
        return
    _async_raise(
        hass,
        entry,
        ISSUE_OUTDATED,
        severity=ir.IssueSeverity.ERROR,
        placeholders={
            "url": str(entry.data.get(CONF_URL, "")),
            "version": version,
            "minimum": MIN_SIDECAR_VERSION,
        },
    )
