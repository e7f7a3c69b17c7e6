"""Compare a workload's ledger with what PostgreSQL holds: nothing lost, nothing doubled.

Read straight from the database (not through the sidecar), so a sidecar that answers from
somewhere else, or acknowledges before committing, cannot pass.
"""

from __future__ import annotations

import json

import asyncpg

from .workload import Ledger

TURNS = """
SELECT turn_id, count(*) AS copies, min(id) AS id FROM conversations
WHERE starts_with(turn_id, $1) GROUP BY turn_id
"""
TRAINING = """
SELECT turn_id, count(*) AS copies FROM training_data
WHERE starts_with(turn_id, $1) GROUP BY turn_id
"""
MEMORIES = "SELECT content, id FROM knowledge WHERE starts_with(content, $1)"
PREFERENCES = "SELECT key, value FROM preferences WHERE starts_with(key, $1)"
FEEDBACK = "SELECT id, interaction_id, score FROM feedback WHERE starts_with(interaction_id, $1)"
CACHE = "SELECT query_text, response FROM response_cache WHERE starts_with(query_text, $1)"
COUNTERS = "SELECT hits, misses FROM cache_counters"


async def _check_turns(conn: asyncpg.Connection, ledger: Ledger) -> list[str]:
    problems = []
    # Turns of batches whose answer never came may be stored or not; never twice.
    unknown = {t["turn_id"] for batch in ledger.unacknowledged_batches for t in batch}
    stored = {row["turn_id"]: row for row in await conn.fetch(TURNS, ledger.run_id)}
    for turn_id, row_id in ledger.turn_ids.items():
        row = stored.get(turn_id)
        if row is None:
            problems.append(f"acknowledged turn {turn_id} is missing")
        elif row["id"] != row_id:
            problems.append(f"turn {turn_id} has id {row['id']}, acknowledged as {row_id}")
    for turn_id, row in stored.items():
        if row["copies"] != 1:
            problems.append(f"turn {turn_id} is stored {row['copies']} times")
        if turn_id not in ledger.turn_ids and turn_id not in unknown:
            problems.append(f"turn {turn_id} is stored but was never sent")
    training = dict(await conn.fetch(TRAINING, ledger.run_id))
    for turn_id in ledger.turns_with_response & ledger.turn_ids.keys():
        if training.get(turn_id) != 1:
            problems.append(f"turn {turn_id} has {training.get(turn_id, 0)} training examples")
    return problems


async def _check_writes(conn: asyncpg.Connection, ledger: Ledger) -> list[str]:
    problems = []
    memories = dict(await conn.fetch(MEMORIES, ledger.run_id))
    for content, memory_id in ledger.memories.items():
        if memories.get(content) != memory_id:
            problems.append(f"memory {memory_id} ({content!r}) is missing or changed id")
    rows = await conn.fetch(PREFERENCES, ledger.run_id)
    preferences = {key: json.loads(value) for key, value in rows}
    for key, value in ledger.preferences.items():
        if preferences.get(key) != value:
            problems.append(f"preference {key}: stored {preferences.get(key)!r}, sent {value!r}")
    rows = await conn.fetch(FEEDBACK, ledger.run_id)
    feedback = {row["id"]: (row["interaction_id"], row["score"]) for row in rows}
    for feedback_id, expected in ledger.feedback.items():
        if feedback.get(feedback_id) != expected:
            problems.append(f"feedback {feedback_id}: stored {feedback.get(feedback_id)}")
    cache = dict(await conn.fetch(CACHE, ledger.run_id))
    for query, response in ledger.cache.items():
        if cache.get(query) != response:
            problems.append(f"cache entry {query!r}: stored {cache.get(query)!r}")
    return problems


async def check_ledger(database_url: str, ledger: Ledger, *, exclusive: bool = False) -> list[str]:
    """Every problem found; empty when the database holds exactly what was acknowledged.

    `exclusive`: the workload was the only client of this database, so there must be no
    feedback rows it did not send, and the shared cache hit/miss counters must equal the
    lookups it saw answered.
    """
    conn = await asyncpg.connect(database_url)
    try:
        problems = await _check_turns(conn, ledger) + await _check_writes(conn, ledger)
        if exclusive and not ledger.uncertain_writes:
            stored = await conn.fetchval("SELECT count(*) FROM feedback")
            if stored != len(ledger.feedback):
                problems.append(f"{stored} feedback rows, {len(ledger.feedback)} acknowledged")
            counters = await conn.fetchrow(COUNTERS)
            seen = (ledger.cache_hits, ledger.cache_lookups)
            if (counters["hits"], counters["hits"] + counters["misses"]) != seen:
                problems.append(f"cache counters {dict(counters)}; (hits, lookups) seen: {seen}")
    finally:
        await conn.close()
    return problems
