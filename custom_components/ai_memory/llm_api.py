"""LLM API "AI Memory": memory tools any LLM conversation agent can use."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import llm

from .const import DOMAIN, LLM_API_NAME
from .data import AiMemoryConfigEntry
from .llm_tools import TOOLS

API_PROMPT = (
    "You have a long-term memory (AI Memory). When the user tells you a fact, a "
    "preference or a name for a device worth keeping, store it with the remember, "
    "set_preference or set_alias tools. Before answering questions about the "
    "household, the user's habits or earlier conversations, use recall. Use forget "
    "when the user asks you to forget something."
)


class AiMemoryLLMAPI(llm.API):
    """The API an LLM agent selects in its options to get the memory tools."""

    def __init__(self, hass: HomeAssistant, entry: AiMemoryConfigEntry, api_id: str) -> None:
        """Initialize the API."""
        super().__init__(hass=hass, id=api_id, name=LLM_API_NAME)
        self.entry = entry

    async def async_get_api_instance(self, llm_context: llm.LLMContext) -> llm.APIInstance:
        """Return the tools for one conversation."""
        tools: list[llm.Tool] = [tool(self.entry) for tool in TOOLS]
        return llm.APIInstance(
            api=self, api_prompt=API_PROMPT, llm_context=llm_context, tools=tools
        )


@callback
def async_register_llm_api(hass: HomeAssistant, entry: AiMemoryConfigEntry) -> str:
    """Register the API; the first sidecar gets the plain id LLM agents store."""
    taken = {api.id for api in llm.async_get_apis(hass)}
    api_id = DOMAIN if DOMAIN not in taken else f"{DOMAIN}_{entry.unique_id}"
    entry.async_on_unload(llm.async_register_api(hass, AiMemoryLLMAPI(hass, entry, api_id)))
    return api_id
