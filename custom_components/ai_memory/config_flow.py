"""Config flow: URL and token, checked against the sidecar's GET /info."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from yarl import URL

from .api import AiMemoryAuthError, AiMemoryClient, AiMemoryConnectionError, AiMemoryError
from .api_types import Info
from .const import DOMAIN, LOGGER
from .options_flow import AiMemoryOptionsFlow

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


async def async_validate_sidecar(
    hass: HomeAssistant, url: str, token: str
) -> tuple[Info | None, dict[str, str]]:
    """Ask the sidecar who it is; return its info or form errors."""
    parsed = URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None, {CONF_URL: "invalid_url"}
    client = AiMemoryClient(url, token, async_get_clientsession(hass), timeout=10)
    try:
        return await client.async_get_info(), {}
    except AiMemoryAuthError:
        return None, {CONF_TOKEN: "invalid_auth"}
    except AiMemoryConnectionError:
        return None, {CONF_URL: "cannot_connect"}
    except AiMemoryError as err:
        LOGGER.warning("Unexpected answer from %s: %s", url, err)
        return None, {"base": "unknown"}


def _schema(url: str | None = None) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_URL, default=url or vol.UNDEFINED): URL_SELECTOR,
            vol.Required(CONF_TOKEN): TOKEN_SELECTOR,
        }
    )


class AiMemoryConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a connection to one sidecar instance."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> AiMemoryOptionsFlow:
        """Return the options flow."""
        return AiMemoryOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the sidecar's URL and token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input[CONF_URL] = user_input[CONF_URL].rstrip("/")
            info, errors = await async_validate_sidecar(
                self.hass, user_input[CONF_URL], user_input[CONF_TOKEN]
            )
            if info is not None:
                await self.async_set_unique_id(info["instance_id"])
                self._abort_if_unique_id_configured(updates={CONF_URL: user_input[CONF_URL]})
                return self.async_create_entry(
                    title=f"AI Memory ({URL(user_input[CONF_URL]).host})",
                    data=user_input,
                )
        return self.async_show_form(
            step_id="user",
            data_schema=_schema(user_input[CONF_URL] if user_input else None),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The sidecar refused the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token."""
        errors: dict[str, str] = {}
        entry = self._get_reauth_entry()
        if user_input is not None:
            info, errors = await async_validate_sidecar(
                self.hass, entry.data[CONF_URL], user_input[CONF_TOKEN]
            )
            if info is not None:
                await self.async_set_unique_id(info["instance_id"])
                self._abort_if_unique_id_mismatch(reason="wrong_sidecar")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_TOKEN: user_input[CONF_TOKEN]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): TOKEN_SELECTOR}),
            description_placeholders={CONF_URL: entry.data[CONF_URL]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the URL or token of the same sidecar."""
        errors: dict[str, str] = {}
        entry = self._get_reconfigure_entry()
        if user_input is not None:
            user_input[CONF_URL] = user_input[CONF_URL].rstrip("/")
            info, errors = await async_validate_sidecar(
                self.hass, user_input[CONF_URL], user_input[CONF_TOKEN]
            )
            if info is not None:
                await self.async_set_unique_id(info["instance_id"])
                self._abort_if_unique_id_mismatch(reason="wrong_sidecar")
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_schema(user_input[CONF_URL] if user_input else entry.data[CONF_URL]),
            errors=errors,
        )
