"""Start the real pieces for a fault test: a private PostgreSQL, a database, sidecar processes.

Context managers rather than fixtures so that every test module can use them without
conftest changes; each cleans up what it started, in reverse order.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.sidecar_process import SidecarProcess

from .postgres import PostgresProcess

TOKEN = "reliability-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# No provider: vectors come only from clients, in an 8-dimensional space.
NO_EMBEDDINGS = {"EMBEDDING_PROVIDER": "none", "EMBEDDING_DIMENSIONS": "8"}


@contextmanager
def private_postgres(database: str = "ai_memory") -> Iterator[PostgresProcess]:
    """A started PostgreSQL of this test's own, with an empty `database`."""
    pg = PostgresProcess()
    try:
        pg.start()
        pg.create_database(database)
        yield pg
    finally:
        pg.cleanup()


@contextmanager
def running_sidecar(
    database_url: str, *, env: dict[str, str] | None = None, start: bool = True
) -> Iterator[SidecarProcess]:
    """`python -m sidecar serve` on a free loopback port against `database_url`."""
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-sidecar-"))
    sidecar = SidecarProcess(
        data_dir, database_url=database_url, env={**NO_EMBEDDINGS, **(env or {})}, token=TOKEN
    )
    try:
        if start:
            sidecar.start()
        yield sidecar
    finally:
        sidecar.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
