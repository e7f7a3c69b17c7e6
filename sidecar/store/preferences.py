"""Preferences and entity aliases (seed 001: `entity_alias.<alias>` in category `aliases`)."""

from __future__ import annotations

from typing import Any

import asyncpg

PREFERENCE_COLUMNS = "key, value, category, created_at, updated_at"

# Omitting the category keeps the one already stored.
UPSERT_PREFERENCE = f"""
INSERT INTO preferences (key, value, category) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE
    SET value = EXCLUDED.value,
        category = coalesce(EXCLUDED.category, preferences.category),
        updated_at = now()
RETURNING {PREFERENCE_COLUMNS}, (xmax = 0) AS created
"""
SELECT_PREFERENCE = f"SELECT {PREFERENCE_COLUMNS} FROM preferences WHERE key = $1"
LIST_PREFERENCES = f"""
SELECT {PREFERENCE_COLUMNS} FROM preferences
WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR starts_with(key, $2))
ORDER BY key LIMIT $3
"""
DELETE_PREFERENCE = "DELETE FROM preferences WHERE key = $1 RETURNING key"


async def set_preference(
    pool: asyncpg.Pool, key: str, value: Any, category: str | None
) -> asyncpg.Record:
    return await pool.fetchrow(UPSERT_PREFERENCE, key, value, category)


async def get_preference(pool: asyncpg.Pool, key: str) -> asyncpg.Record | None:
    return await pool.fetchrow(SELECT_PREFERENCE, key)


async def list_preferences(
    pool: asyncpg.Pool, category: str | None, prefix: str | None, limit: int
) -> list[asyncpg.Record]:
    return await pool.fetch(LIST_PREFERENCES, category, prefix, limit)


async def delete_preference(pool: asyncpg.Pool, key: str) -> bool:
    return await pool.fetchval(DELETE_PREFERENCE, key) is not None
