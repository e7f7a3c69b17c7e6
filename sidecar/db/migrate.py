"""Forward-only, checksummed SQL migrations applied under a PostgreSQL advisory lock."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

_LOGGER = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every sidecar sharing a database.
MIGRATION_LOCK_KEY = 0x41494D454D  # "AIMEM"
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


class MigrationError(RuntimeError):
    """The migrations folder and the database disagree; the sidecar must not start."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def file_name(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    applied: int
    pending: int
    newly_applied: tuple[str, ...] = ()


def default_migrations_dir() -> Path:
    """`migrations/` next to the `sidecar` package, or AI_MEMORY_MIGRATIONS_DIR."""
    if configured := os.environ.get("AI_MEMORY_MIGRATIONS_DIR"):
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "migrations"


def load_migrations(directory: Path) -> list[Migration]:
    """Read NNNN_name.sql files; versions must run 1, 2, 3, … without gaps."""
    if not directory.is_dir():
        raise MigrationError(f"migrations folder not found: {directory}")
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_snake_name.sql")
        migrations.append(
            Migration(int(match["version"]), match["name"], path.read_text(encoding="utf-8"))
        )
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"{migration.file_name}: expected version {expected:04d}; "
                "migration versions must be consecutive"
            )
    return migrations


def _check_applied(migrations: list[Migration], applied: list[asyncpg.Record]) -> None:
    by_version = {migration.version: migration for migration in migrations}
    for row in applied:
        migration = by_version.get(row["version"])
        if migration is None:
            raise MigrationError(
                f"the database has migration {row['version']:04d}_{row['name']} which this "
                "sidecar does not know; it was written by a newer version"
            )
        if migration.checksum != row["checksum"]:
            raise MigrationError(
                f"{migration.file_name} was edited after it was applied "
                f"(database checksum {row['checksum'][:12]}…, file {migration.checksum[:12]}…); "
                "migrations are forward-only: restore the file and add a new migration"
            )


async def migration_status(
    conn: asyncpg.Connection, migrations: list[Migration]
) -> MigrationStatus:
    """How many migrations are applied and pending, checking checksums (read-only)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    applied = await conn.fetch(SELECT_APPLIED) if exists else []
    _check_applied(migrations, applied)
    return MigrationStatus(applied=len(applied), pending=len(migrations) - len(applied))


async def apply_migrations(
    conn: asyncpg.Connection, migrations: list[Migration]
) -> MigrationStatus:
    """Apply pending migrations, each in its own transaction, holding the advisory lock."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await conn.execute(CREATE_TABLE)
        applied = await conn.fetch(SELECT_APPLIED)
        _check_applied(migrations, applied)
        done = {row["version"] for row in applied}
        newly_applied = []
        for migration in migrations:
            if migration.version in done:
                continue
            _LOGGER.info("Applying migration %s", migration.file_name)
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    INSERT_APPLIED, migration.version, migration.name, migration.checksum
                )
            newly_applied.append(migration.file_name)
        return MigrationStatus(len(migrations), 0, tuple(newly_applied))
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


async def migrate(
    dsn: str, directory: Path | None = None, *, migrations: list[Migration] | None = None
) -> MigrationStatus:
    """Connect, apply what is pending, disconnect: the `migrate` command and start-up.
    `migrations` (already loaded) takes precedence over reading `directory`."""
    if migrations is None:
        migrations = load_migrations(directory or default_migrations_dir())
    conn = await asyncpg.connect(dsn, timeout=30)
    try:
        return await apply_migrations(conn, migrations)
    finally:
        await conn.close()
