"""Memory tools of the "AI Memory" LLM API."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import llm
from homeassistant.util.json import JsonObjectType

from .aliases import async_learn_alias
from .const import CONF_ALIAS_SYNC, DEFAULT_OPTIONS, DOMAIN
from .data import AiMemoryConfigEntry
from .errors import translate_sidecar_errors


class AiMemoryTool(llm.Tool):
    """Base of the tools: sidecar errors become translated HA errors."""

    integration = DOMAIN  # HA 2026.11 reads this; older versions ignore it

    def __init__(self, entry: AiMemoryConfigEntry) -> None:
        """Initialize the tool."""
        self.entry = entry

    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> JsonObjectType:
        """Run the tool."""
        # HA 2025.4 does not apply the schema before calling; later versions do,
        # and validating twice is harmless.
        args = self.parameters(tool_input.tool_args)
        with translate_sidecar_errors(hass, self.entry):
            return await self.async_run(hass, args, llm_context)

    async def async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> JsonObjectType:
        """Do the tool's work."""
        raise NotImplementedError


class RememberTool(AiMemoryTool):
    """Store a fact."""

    name = "remember"
    description = "Store a fact or note about the household in long-term memory."
    parameters = vol.Schema(
        {
            vol.Required("content", description="The fact, in one sentence"): cv.string,
            vol.Optional("domain", description="Topic, e.g. lighting"): cv.string,
            vol.Optional("tags"): [cv.string],
        }
    )

    async def async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> JsonObjectType:
        """Store the memory."""
        client = self.entry.runtime_data.client
        metadata = {"device_id": getattr(llm_context, "device_id", None)}
        answer = await client.async_add_memory(source="llm", metadata=metadata, **args)
        return {"id": answer["id"], "created": answer.get("created", True)}


class RecallTool(AiMemoryTool):
    """Search memory."""

    name = "recall"
    description = "Search long-term memory for facts relevant to a question."
    parameters = vol.Schema(
        {
            vol.Required("query", description="What to look for"): cv.string,
            vol.Optional("limit", default=5): vol.All(vol.Coerce(int), vol.Range(min=1, max=20)),
        }
    )

    async def async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> JsonObjectType:
        """Search the memories."""
        client = self.entry.runtime_data.client
        found = await client.async_search_memory(args["query"], limit=args["limit"])
        return {
            "memories": [
                {"id": m["id"], "content": m["content"], "score": m.get("score")}
                for m in found.get("results", [])
            ]
        }


class ForgetTool(AiMemoryTool):
    """Delete a memory."""

    name = "forget"
    description = "Delete a memory by the id that recall returned."
    parameters = vol.Schema({vol.Required("memory_id"): cv.string})

    async def async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> JsonObjectType:
        """Delete the memory."""
        await self.entry.runtime_data.client.async_delete_memory(args["memory_id"])
        return {"deleted": True, "id": args["memory_id"]}


class SetPreferenceTool(AiMemoryTool):
    """Store a preference."""

    name = "set_preference"
    description = "Store a household preference as a key and a value."
    parameters = vol.Schema(
        {
            vol.Required("key", description="e.g. user.wake_time"): cv.string,
            vol.Required("value"): cv.string,
        }
    )

    async def async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> JsonObjectType:
        """Store the preference."""
        client = self.entry.runtime_data.client
        await client.async_set_preference(args["key"], args["value"], "llm")
        return {"stored": True, "key": args["key"]}


class SetAliasTool(AiMemoryTool):
    """Teach a name for an entity."""

    name = "set_alias"
    description = "Remember another name the user uses for a device (an entity id)."
    parameters = vol.Schema(
        {
            vol.Required("alias", description="The user's name"): cv.string,
            vol.Required("entity_id", description="e.g. light.kitchen"): cv.entity_id,
        }
    )

    async def async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> JsonObjectType:
        """Store the alias."""
        if hass.states.get(args["entity_id"]) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entity_not_found",
                translation_placeholders={"entity_id": args["entity_id"]},
            )
        options = {**DEFAULT_OPTIONS, **self.entry.options}
        await async_learn_alias(
            hass,
            self.entry.runtime_data.client,
            args["alias"],
            args["entity_id"],
            sync_registry=bool(options[CONF_ALIAS_SYNC]),
        )
        return {"stored": True, "alias": args["alias"], "entity_id": args["entity_id"]}


TOOLS: tuple[type[AiMemoryTool], ...] = (
    RememberTool,
    RecallTool,
    ForgetTool,
    SetPreferenceTool,
    SetAliasTool,
)
