"""Counts for dashboards (HA's sensors poll them)."""

from __future__ import annotations

import asyncpg

STATS = """
SELECT
    (SELECT count(*) FROM knowledge WHERE expires_at IS NULL OR expires_at > now()) AS memories,
    (SELECT count(*) FROM conversations) AS turns,
    (SELECT count(*) FROM preferences) AS preferences,
    (SELECT count(*) FROM preferences WHERE category = 'aliases') AS aliases,
    (SELECT count(*) FROM training_data) AS training_examples,
    (SELECT count(*) FROM training_data WHERE NOT exported) AS training_pending_export,
    (SELECT count(*) FROM training_data WHERE feedback_score IS NOT NULL) AS training_with_feedback,
    (SELECT count(*) FROM feedback) AS feedback
"""
INSTANCE = "SELECT instance_id::text AS instance_id FROM instance"


async def counts(pool: asyncpg.Pool) -> asyncpg.Record:
    return await pool.fetchrow(STATS)


async def instance_id(pool: asyncpg.Pool) -> str:
    return await pool.fetchval(INSTANCE)
