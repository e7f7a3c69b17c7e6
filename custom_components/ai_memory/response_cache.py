"""Seam for the safe response cache (built in a separate issue).

The agent calls async_lookup before doing any work and async_store after the
target agent answered. Until the cache exists both are no-ops, so the agent's
flow already has the shape the cache needs: a hit must return a complete
ConversationResult (for device commands, after re-executing the stored plan
through HA), and a store decides itself what is safe to keep (see PRODUCT.md §4).
"""

from __future__ import annotations

from homeassistant.components import conversation

from .api import AiMemoryClient


class ResponseCacheStep:
    """Look up and store answers around the target agent."""

    def __init__(self, client: AiMemoryClient) -> None:
        """Initialize the step."""
        self._client = client

    async def async_lookup(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> conversation.ConversationResult | None:
        """Return a cached result for this input, or None to go on normally."""
        return None

    async def async_store(
        self,
        user_input: conversation.ConversationInput,
        result: conversation.ConversationResult,
    ) -> None:
        """Offer a finished turn to the cache."""
        return
