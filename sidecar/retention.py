"""Retention: delete conversation history and training data older than their configured ages.

Two independent ages, each 0 = keep forever:

* `RETENTION_CONVERSATIONS_DAYS`: turns (`conversations`) said longer ago than this go. A
  training example made from such a turn is a separate copy with its own age limit: it is
  detached from the turn (turn_id set to NULL) instead of being deleted with it.
* `RETENTION_TRAINING_DAYS`: training examples, feedback and implicit training signals older
  than this go.

Nothing else is touched (memories, preferences and the cache have their own TTLs). Deletes run
in batches of `BATCH_SIZE` rows, each in its own short transaction, so a sweep over a large
backlog never holds locks for long. Every sidecar runs the sweep at start and every
`RETENTION_INTERVAL_SECONDS`; running it twice at once is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from .db import DATABASE_ERRORS

_LOGGER = logging.getLogger(__name__)

BATCH_SIZE = 1000
# Rows are picked under FOR UPDATE SKIP LOCKED: a concurrent sweep takes other rows.
SELECT_OLD_TURNS = """
SELECT id, turn_id FROM conversations WHERE created_at < $1
ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
"""
DETACH_TRAINING = "UPDATE training_data SET turn_id = NULL WHERE turn_id = ANY($1::text[])"
DELETE_TURNS = "DELETE FROM conversations WHERE id = ANY($1::bigint[])"
# Training tables (the signals table exists from migration 0002 on).
TRAINING_TABLES = ("training_data", "feedback", "training_signals")
DELETE_OLD = """
DELETE FROM {table} WHERE id IN (
    SELECT id FROM {table} WHERE created_at < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
)
"""
TABLE_EXISTS = "SELECT to_regclass($1) IS NOT NULL"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    conversation_days: int = 0
    training_days: int = 0

    @property
    def enabled(self) -> bool:
        return bool(self.conversation_days or self.training_days)


@dataclass(slots=True)
class PruneResult:
    deleted: dict[str, int] = field(default_factory=dict)
    detached_training: int = 0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _cutoff(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


async def _prune_turns(pool: asyncpg.Pool, cutoff: datetime, result: PruneResult) -> None:
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(SELECT_OLD_TURNS, cutoff, BATCH_SIZE)
            if not rows:
                return
            status = await conn.execute(DETACH_TRAINING, [row["turn_id"] for row in rows])
            result.detached_training += int(status.split()[-1])
            await conn.execute(DELETE_TURNS, [row["id"] for row in rows])
        result.deleted["conversations"] = result.deleted.get("conversations", 0) + len(rows)
        if len(rows) < BATCH_SIZE:
            return


async def _prune_table(
    pool: asyncpg.Pool, table: str, cutoff: datetime, result: PruneResult
) -> None:
    if not await pool.fetchval(TABLE_EXISTS, table):
        return
    statement = DELETE_OLD.format(table=table)  # table names come from TRAINING_TABLES
    while True:
        deleted = int((await pool.execute(statement, cutoff, BATCH_SIZE)).split()[-1])
        result.deleted[table] = result.deleted.get(table, 0) + deleted
        if deleted < BATCH_SIZE:
            return


async def prune(
    pool: asyncpg.Pool, policy: RetentionPolicy, *, now: datetime | None = None
) -> PruneResult:
    """Delete what the policy says is too old; returns what was deleted, per table."""
    now = now or datetime.now(UTC)
    result = PruneResult()
    if policy.training_days:
        cutoff = _cutoff(policy.training_days, now)
        for table in TRAINING_TABLES:
            await _prune_table(pool, table, cutoff, result)
    if policy.conversation_days:
        await _prune_turns(pool, _cutoff(policy.conversation_days, now), result)
    return result


class RetentionWorker:
    """Runs `prune` at start and then every `interval` seconds until stopped."""

    def __init__(self, pool: asyncpg.Pool, policy: RetentionPolicy, *, interval: float) -> None:
        self._pool = pool
        self._policy = policy
        self._interval = interval
        self._stop = asyncio.Event()
        self.last_result: PruneResult | None = None

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.last_result = result = await prune(self._pool, self._policy)
                if result.total or result.detached_training:
                    _LOGGER.info(
                        "Retention deleted %s (training examples kept, detached from their "
                        "turns: %s)",
                        ", ".join(f"{n} from {t}" for t, n in result.deleted.items() if n),
                        result.detached_training,
                    )
            except (asyncpg.PostgresError, *DATABASE_ERRORS) as err:
                _LOGGER.warning("Retention sweep failed, retrying later: %s", err)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self._interval)
