"""Options: which agent to wrap and what to remember."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.components import conversation
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    BooleanSelector,
    ConversationAgentSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
)

from .const import (
    CONF_ALIAS_SYNC,
    CONF_CACHE_ENABLED,
    CONF_CACHE_SIMILARITY,
    CONF_LOCAL_FIRST,
    CONF_RECALL_COUNT,
    CONF_RECALL_DOMAIN,
    CONF_RECALL_MIN_SCORE,
    CONF_RECORD_TURNS,
    CONF_TARGET_AGENT,
    CONF_TRAINING_CAPTURE,
    DEFAULT_OPTIONS,
)

COUNT = NumberSelector(NumberSelectorConfig(min=0, max=20, step=1, mode=NumberSelectorMode.BOX))
SCORE = NumberSelector(NumberSelectorConfig(min=0, max=1, step=0.01, mode=NumberSelectorMode.BOX))
SIMILARITY = NumberSelector(
    NumberSelectorConfig(min=0.5, max=1, step=0.01, mode=NumberSelectorMode.BOX)
)


class AiMemoryOptionsFlow(OptionsFlow):
    """Edit the options of an AI Memory entry."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and validate the options form."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._validate(user_input[CONF_TARGET_AGENT])
            if not errors:
                options = {**DEFAULT_OPTIONS, **user_input}
                options[CONF_RECALL_COUNT] = int(options[CONF_RECALL_COUNT])
                return self.async_create_entry(data=options)
        current = {**DEFAULT_OPTIONS, **self.config_entry.options, **(user_input or {})}
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(_SCHEMA, current),
            errors=errors,
        )

    def _validate(self, target: str) -> dict[str, str]:
        own_agent = er.async_get(self.hass).async_get_entity_id(
            "conversation",
            self.config_entry.domain,
            f"{self.config_entry.unique_id}_conversation",
        )
        if target == own_agent:
            return {CONF_TARGET_AGENT: "self_target"}
        if conversation.async_get_agent_info(self.hass, target) is None:
            return {CONF_TARGET_AGENT: "agent_not_found"}
        return {}


_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_TARGET_AGENT): ConversationAgentSelector(),
        vol.Required(CONF_LOCAL_FIRST): BooleanSelector(),
        vol.Required(CONF_RECORD_TURNS): BooleanSelector(),
        vol.Required(CONF_TRAINING_CAPTURE): BooleanSelector(),
        vol.Required(CONF_RECALL_COUNT): COUNT,
        vol.Required(CONF_RECALL_MIN_SCORE): SCORE,
        vol.Optional(CONF_RECALL_DOMAIN): TextSelector(),
        vol.Required(CONF_ALIAS_SYNC): BooleanSelector(),
        vol.Optional(CONF_CACHE_ENABLED): BooleanSelector(),
        vol.Optional(CONF_CACHE_SIMILARITY): SIMILARITY,
    }
)
