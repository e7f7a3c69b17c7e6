"""A sidecar on its embedded PostgreSQL in a throwaway data dir, for end-to-end tests.

The data dir is not pytest's tmp dir: that is private to root (0700) and the embedded
PostgreSQL runs as its own unprivileged user, which must reach it. On exit the sidecar, the
PostgreSQL it may have left behind and the data dir all go.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .sidecar_process import SidecarProcess


@contextmanager
def embedded_sidecar(prefix: str, env: dict[str, str]) -> Iterator[SidecarProcess]:
    """A started sidecar whose data dir (and database) is named after `prefix`."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    data_dir.chmod(0o755)
    process = SidecarProcess(data_dir, env=env)
    try:
        process.start()
        yield process
    finally:
        process.stop()
        _stop_embedded_postgres(data_dir / "pgdata")
        shutil.rmtree(data_dir, ignore_errors=True)


def _stop_embedded_postgres(pgdata: Path) -> None:
    """Stop the embedded PostgreSQL the sidecar left behind.

    After a SIGKILL (test_e2e.py kills one) the restarted sidecar reuses the server it did not
    start, and so does not stop it on exit; without this, each run leaks one.
    """
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    # SIGINT is PostgreSQL's "fast" shutdown (pg_ctl refuses to run as root).
    with suppress(ProcessLookupError, ValueError):
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            os.kill(pid, 0)  # raises ProcessLookupError once it is gone
            time.sleep(0.1)
