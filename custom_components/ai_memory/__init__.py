"""AI Memory: memory, aliases and turn recording for Assist, backed by a sidecar."""

from __future__ import annotations

from homeassistant.const import CONF_TOKEN, CONF_URL, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .aliases import async_import_registry_aliases
from .api import AiMemoryAuthError, AiMemoryClient, AiMemoryError
from .const import CONF_ALIAS_SYNC, DEFAULT_OPTIONS, DOMAIN, LOGGER, REQUEST_TIMEOUT
from .coordinator import AiMemoryCoordinator
from .data import AiMemoryConfigEntry, AiMemoryData
from .feedback_setup import async_setup_feedback
from .llm_api import async_register_llm_api
from .outbox import Outbox
from .preference_snapshot import PreferenceSnapshot
from .response_cache import ResponseCacheStep
from .services import async_setup_services

PLATFORMS = [Platform.BINARY_SENSOR, Platform.CONVERSATION, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (they exist even while no entry is loaded) and feedback."""
    async_setup_services(hass)
    async_setup_feedback(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: AiMemoryConfigEntry) -> bool:
    """Set up AI Memory from a config entry.

    A sidecar that is down does not fail the setup: the agent must exist so that
    Assist keeps answering, and records wait in the outbox. A refused token does.
    """
    client = AiMemoryClient(
        entry.data[CONF_URL],
        entry.data[CONF_TOKEN],
        async_get_clientsession(hass),
        timeout=REQUEST_TIMEOUT,
    )
    try:
        info = await client.async_get_info()
    except AiMemoryAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="authentication_error"
        ) from err
    except AiMemoryError as err:
        LOGGER.warning("AI Memory sidecar not reachable yet, starting anyway: %s", err)
        info = None

    coordinator = AiMemoryCoordinator(hass, entry, client)
    outbox = Outbox(hass, entry.entry_id, client)
    await outbox.async_load()
    entry.runtime_data = AiMemoryData(
        client=client,
        coordinator=coordinator,
        outbox=outbox,
        preferences=PreferenceSnapshot(client),
        info=info,
    )
    entry.runtime_data.cache = ResponseCacheStep(hass, entry)
    entry.async_on_unload(entry.runtime_data.cache.async_start())
    await coordinator.async_refresh()

    @callback
    def _deliver_when_reachable() -> None:
        # The poll doubles as the retry timer for records queued during an outage.
        if coordinator.last_update_success:
            outbox.async_schedule_flush()

    entry.async_on_unload(coordinator.async_add_listener(_deliver_when_reachable))
    entry.runtime_data.llm_api_id = async_register_llm_api(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    if info is not None and {**DEFAULT_OPTIONS, **entry.options}[CONF_ALIAS_SYNC]:
        entry.async_create_background_task(
            hass, _async_import_aliases(hass, entry), f"{DOMAIN} alias import"
        )
    outbox.async_schedule_flush()
    return True


async def _async_import_aliases(hass: HomeAssistant, entry: AiMemoryConfigEntry) -> None:
    """Copy registry aliases to the sidecar; a failure only costs a retry next start."""
    try:
        imported = await async_import_registry_aliases(hass, entry.runtime_data.client)
    except AiMemoryError as err:
        LOGGER.info("Could not import entity aliases into AI Memory: %s", err)
        return
    LOGGER.debug("Imported %s entity aliases into AI Memory", imported)


async def async_unload_entry(hass: HomeAssistant, entry: AiMemoryConfigEntry) -> bool:
    """Unload a config entry, keeping queued records on disk."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    await entry.runtime_data.outbox.async_save()
    return unloaded
