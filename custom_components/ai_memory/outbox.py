"""Bounded, durable queue of turns and feedback waiting for the sidecar.

Recording must never block or break Assist: records are appended here, persisted
with HA's Store, and delivered in the background. Delivery of turns is idempotent
(the sidecar de-duplicates on turn_id), so a batch whose answer was lost can be sent
again safely. When the queue is full the oldest record is dropped, counted and logged.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Literal, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .api import AiMemoryBadRequestError, AiMemoryClient, AiMemoryError
from .const import (
    DELIVERY_TIMEOUT,
    DOMAIN,
    LOGGER,
    OUTBOX_BATCH_SIZE,
    OUTBOX_MAX_ITEMS,
    OUTBOX_SAVE_DELAY,
    OUTBOX_STORAGE_VERSION,
)

type RecordKind = Literal["turn", "feedback"]


class OutboxItem(TypedDict):
    """One record waiting for delivery."""

    id: str
    kind: RecordKind
    payload: dict[str, Any]


class OutboxData(TypedDict):
    """What is persisted in .storage."""

    items: list[OutboxItem]
    dropped: int
    rejected: int


class Outbox:
    """Queue records, persist them, deliver them when the sidecar answers."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: AiMemoryClient,
        *,
        max_items: int = OUTBOX_MAX_ITEMS,
    ) -> None:
        """Initialize the outbox."""
        self._hass = hass
        self._client = client
        self._max_items = max_items
        self._store = Store[OutboxData](hass, OUTBOX_STORAGE_VERSION, f"{DOMAIN}.{entry_id}.outbox")
        self._items: deque[OutboxItem] = deque()
        self._lock = asyncio.Lock()
        self._listeners: list[CALLBACK_TYPE] = []
        self.dropped = 0
        self.rejected = 0
        self.processed = 0

    @property
    def pending(self) -> int:
        """Number of records waiting for delivery."""
        return len(self._items)

    async def async_load(self) -> None:
        """Restore records that were waiting when HA stopped."""
        if stored := await self._store.async_load():
            self._items.extend(stored.get("items", []))
            self.dropped = stored.get("dropped", 0)
            self.rejected = stored.get("rejected", 0)

    async def async_save(self) -> None:
        """Write the queue now (on unload)."""
        await self._store.async_save(self._data_to_save())

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Call listener whenever the queue changes; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_add(self, kind: RecordKind, payload: dict[str, Any]) -> None:
        """Queue a record and start delivery in the background."""
        if len(self._items) >= self._max_items:
            lost = self._items.popleft()
            self.dropped += 1
            LOGGER.warning(
                "AI Memory outbox is full (%s records): dropped the oldest %s "
                "(%s dropped in total); is the sidecar reachable?",
                self._max_items,
                lost["kind"],
                self.dropped,
            )
        self._items.append(OutboxItem(id=uuid.uuid4().hex, kind=kind, payload=payload))
        self._async_changed()
        self.async_schedule_flush()

    @callback
    def async_schedule_flush(self) -> None:
        """Start a delivery run unless one is already going (it drains new items too)."""
        if self._items and not self._lock.locked():
            self._hass.async_create_background_task(
                self.async_flush(), name=f"{DOMAIN} outbox delivery"
            )

    async def async_flush(self) -> int:
        """Deliver queued records in order; stop at the first connection problem."""
        sent = 0
        async with self._lock:
            while self._items:
                batch = self._next_batch()
                try:
                    delivered = await self._async_deliver(batch)
                except AiMemoryError as err:
                    LOGGER.debug("AI Memory outbox delivery postponed: %s", err)
                    break
                sent += len(delivered)
                self._remove(delivered)
        return sent

    def _next_batch(self) -> list[OutboxItem]:
        """Take consecutive turns as one batch; feedback goes one at a time."""
        first = self._items[0]
        if first["kind"] != "turn":
            return [first]
        batch: list[OutboxItem] = []
        for item in self._items:
            if item["kind"] != "turn" or len(batch) >= OUTBOX_BATCH_SIZE:
                break
            batch.append(item)
        return batch

    async def _async_deliver(self, batch: list[OutboxItem]) -> set[str]:
        """Send a batch; return the ids that left the queue (delivered or rejected)."""
        try:
            await self._async_send(batch)
        except AiMemoryBadRequestError as err:
            if len(batch) > 1:
                # Find the bad record so that it does not block the others forever.
                done: set[str] = set()
                for item in batch:
                    done |= await self._async_deliver([item])
                return done
            self.rejected += 1
            LOGGER.warning(
                "AI Memory sidecar rejected a queued %s, dropping it: %s",
                batch[0]["kind"],
                err,
            )
        return {item["id"] for item in batch}

    async def _async_send(self, batch: list[OutboxItem]) -> None:
        if batch[0]["kind"] == "turn":
            await self._client.async_post_turns(
                [item["payload"] for item in batch], request_timeout=DELIVERY_TIMEOUT
            )
        else:
            await self._client.async_record_feedback(
                request_timeout=DELIVERY_TIMEOUT, **batch[0]["payload"]
            )

    def _remove(self, ids: set[str]) -> None:
        # Rebuild rather than popleft: async_add may have dropped items meanwhile.
        self._items = deque(item for item in self._items if item["id"] not in ids)
        self.processed += len(ids)
        self._async_changed()

    @callback
    def _async_changed(self) -> None:
        self._store.async_delay_save(self._data_to_save, OUTBOX_SAVE_DELAY)
        for listener in list(self._listeners):
            listener()

    def _data_to_save(self) -> OutboxData:
        return OutboxData(items=list(self._items), dropped=self.dropped, rejected=self.rejected)
