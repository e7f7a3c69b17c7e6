"""The last turns per device and conversation, for feedback and for cache complaints.

Feedback such as "that was wrong" is about the last answer given on the same device (or in
the same conversation); a request repeated or corrected right after an answer from the cache
says the cached answer was wrong. Both need to know the last turns before the sidecar does
(turns may still wait in the outbox), so the agent keeps a small bounded record here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

MAX_TURNS = 200


@dataclass(frozen=True, slots=True)
class RecentTurn:
    turn_id: str
    text: str
    device_id: str | None
    conversation_id: str | None
    language: str | None
    cache_entry_id: int | None  # the cache entry that answered it, if any
    at: float  # time.monotonic()

    def age(self) -> float:
        return time.monotonic() - self.at


class RecentTurns:
    """Bounded memory of recorded turns, newest last."""

    def __init__(self, max_turns: int = MAX_TURNS) -> None:
        self._turns: OrderedDict[str, RecentTurn] = OrderedDict()
        self._max = max_turns

    def add(self, turn: RecentTurn) -> None:
        self._turns[turn.turn_id] = turn
        self._turns.move_to_end(turn.turn_id)
        while len(self._turns) > self._max:
            self._turns.popitem(last=False)

    def last(
        self,
        *,
        device_id: str | None = None,
        conversation_id: str | None = None,
        within: float | None = None,
    ) -> RecentTurn | None:
        """The newest turn of this conversation, else of this device (None if unknown)."""
        for key, value in (("conversation_id", conversation_id), ("device_id", device_id)):
            if value is None:
                continue
            for turn in reversed(self._turns.values()):
                if getattr(turn, key) == value:
                    return turn if within is None or turn.age() <= within else None
        return None
