"""Implicit training signals: what the next request says about the previous answer.

When turns arrive, each new turn is compared with the turn just before it on the same device
(or, without a device, in the same conversation) within `SIGNAL_WINDOW_SECONDS`:

* the same request again (same normalised text)              → `repeated` on the earlier turn;
* a request that starts with a negation ("no, …", "nie …"), or
  a close rephrasing (word overlap ≥ `REPHRASE_OVERLAP`) within
  `REPHRASE_WINDOW_SECONDS`                                   → `corrected` on the earlier turn.

If the earlier turn was answered from the response cache, a repeat or a negation — like
negative feedback on it — is a complaint about a cache hit: `cache_complaint` is recorded
once, the cache entry is dropped and counted as a false hit, so the next request goes to the
agent. A mere rephrasing is too weak for that ("turn on the light" from the cache, then "turn
off the light" is a new wish, not a complaint); it stays a training signal only.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from ..text import normalize_utterance

SIGNAL_WINDOW_SECONDS = 60.0
# A rephrasing counts as a correction only when it comes right away ("turn on the light",
# then a minute later "turn off the light" is not one).
REPHRASE_WINDOW_SECONDS = 20.0
REPHRASE_OVERLAP = 0.5
# First words that reject the previous answer, in the languages most users speak to HA in.
# Only one of two ways to spot a correction (the other, word overlap, is language-free).
NEGATIONS = frozenset(
    {"no", "nope", "wrong", "nie", "nein", "non", "nee", "nej", "ne", "нет", "ні", "não"}
)
NEGATIVE_SCORE = 2
_WORD = re.compile(r"\w+")

# For each new turn: the one just before it on the same device (or conversation).
PREVIOUS_TURNS = """
SELECT n.turn_id AS later_id, n.content AS later_content,
       p.turn_id AS earlier_id, p.content AS earlier_content, p.metadata AS earlier_metadata,
       extract(epoch FROM n.created_at - p.created_at)::float8 AS gap
FROM conversations n
CROSS JOIN LATERAL (
    SELECT turn_id, content, metadata, created_at FROM conversations p
    WHERE p.created_at < n.created_at
      AND p.created_at >= n.created_at - make_interval(secs => $2)
      AND ((n.device_id IS NOT NULL AND p.device_id = n.device_id)
           OR (n.device_id IS NULL AND n.conversation_id IS NOT NULL
               AND p.conversation_id = n.conversation_id))
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT 1
) p
WHERE n.turn_id = ANY($1::text[])
"""
INSERT_SIGNAL = """
INSERT INTO training_signals (turn_id, kind, evidence, details) VALUES ($1, $2, $3, $4)
ON CONFLICT ON CONSTRAINT training_signals_once DO NOTHING
RETURNING id
"""
TURN_METADATA = "SELECT metadata FROM conversations WHERE turn_id = $1"
DROP_FALSE_HIT = """
WITH gone AS (DELETE FROM response_cache WHERE id = $1 RETURNING id)
UPDATE cache_counters SET false_hits = false_hits + 1,
                          invalidations = invalidations + (SELECT count(*) FROM gone)
"""


def _words(text: str) -> set[str]:
    return set(_WORD.findall(normalize_utterance(text)))


def classify(earlier: str, later: str, gap: float) -> tuple[str, bool] | None:
    """(signal, rejects the earlier answer outright) for a request `gap` seconds after
    another one, or None: ('repeated', True), ('corrected', True) for a negation,
    ('corrected', False) for a close rephrasing."""
    before, after = normalize_utterance(earlier), normalize_utterance(later)
    if before == after:
        return "repeated", True
    first = after.split(" ", 1)[0] if after else ""
    if first in NEGATIONS:
        return "corrected", True
    a, b = _words(before), _words(after)
    if gap <= REPHRASE_WINDOW_SECONDS and a and b and len(a & b) / len(a | b) >= REPHRASE_OVERLAP:
        return "corrected", False
    return None


def cache_entry_of(metadata: dict[str, Any] | None) -> int | None:
    """The cache entry a turn was answered from (the integration records it), if any."""
    cache = (metadata or {}).get("cache")
    if isinstance(cache, dict) and cache.get("hit"):
        entry_id = cache.get("entry_id")
        return entry_id if isinstance(entry_id, int) and not isinstance(entry_id, bool) else None
    return None


async def record(
    conn: asyncpg.Connection,
    turn_id: str,
    kind: str,
    evidence: str,
    details: dict[str, Any] | None = None,
) -> bool:
    """Store a signal once per turn and kind; True if it is new."""
    return await conn.fetchval(INSERT_SIGNAL, turn_id, kind, evidence, details or {}) is not None


async def complain_about_cache(
    conn: asyncpg.Connection, turn_id: str, metadata: dict[str, Any] | None, evidence: str
) -> bool:
    """A cache-hit turn drew a complaint: drop its entry and count one false hit (once)."""
    entry_id = cache_entry_of(metadata)
    if entry_id is None:
        return False
    if not await record(conn, turn_id, "cache_complaint", evidence, {"entry_id": entry_id}):
        return False
    await conn.execute(DROP_FALSE_HIT, entry_id)
    return True


async def detect(conn: asyncpg.Connection, turn_ids: list[str]) -> int:
    """Record the signals new turns reveal about the turns before them; returns how many."""
    found = 0
    for row in await conn.fetch(PREVIOUS_TURNS, turn_ids, SIGNAL_WINDOW_SECONDS):
        signal = classify(row["earlier_content"], row["later_content"], row["gap"])
        if signal is None:
            continue
        kind, rejects = signal
        found += await record(conn, row["earlier_id"], kind, row["later_id"])
        if rejects:
            await complain_about_cache(
                conn, row["earlier_id"], row["earlier_metadata"], row["later_id"]
            )
    return found


async def on_feedback(conn: asyncpg.Connection, turn_id: str, score: int, feedback_id: int) -> bool:
    """Negative feedback on a cache-hit turn is a complaint about the cache."""
    if score > NEGATIVE_SCORE:
        return False
    metadata = await conn.fetchval(TURN_METADATA, turn_id)
    return await complain_about_cache(conn, turn_id, metadata, f"feedback:{feedback_id}")
