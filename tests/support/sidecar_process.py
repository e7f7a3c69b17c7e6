"""Run the real sidecar as a subprocess on loopback (for HA tests and fault tests).

    sidecar = SidecarProcess(tmp_path / "sidecar", database_url=url, env={...})
    sidecar.start()            # blocks until it listens; picks a free port the first time
    sidecar.url, sidecar.token
    sidecar.stop()             # SIGTERM, graceful;  sidecar.kill() is SIGKILL
    sidecar.start()            # again, on the same port and data

Without `database_url` the sidecar starts its embedded PostgreSQL in `data_dir`. As root,
PostgreSQL runs as an unprivileged user that must be able to reach `data_dir`: pytest's
`tmp_path` lives under a 0700 directory, so use `tempfile.mkdtemp()` for it instead. Unless `env`
says otherwise, no embedding provider is used (EMBEDDING_PROVIDER=none).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


class SidecarError(RuntimeError):
    """The sidecar did not come up; carries the tail of its output."""


class SidecarProcess:
    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
        token: str = "test-token",
        port: int = 0,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.extra_env = env or {}
        self.token = token
        self.port = port
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _environment(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AI_MEMORY_", "POSTGRES_", "EMBEDDING_", "DATABASE_URL"))
        }
        env.update({"EMBEDDING_PROVIDER": "none", "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"})
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    @property
    def log_path(self) -> Path:
        return self.data_dir / "sidecar.log"

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def start(self, timeout: float = 60) -> None:
        """Start and block until the sidecar prints that it listens (no threads: HA's test
        harness fails tests that leave threads behind, so output goes to a log file)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "sidecar",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--token",
            self.token,
        ]
        log = self.log_path.open("a")
        offset = log.tell()
        try:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=self._environment(),
                text=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while True:
            with self.log_path.open() as output:
                output.seek(offset)
                if match := _LISTENING.search(output.read()):
                    self.port = int(match.group(2))
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._terminate(signal.SIGKILL)
                raise SidecarError(f"sidecar did not start:\n{self.log_tail()}")
            time.sleep(0.05)

    def _terminate(self, sig: signal.Signals, timeout: float = 20) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Graceful: SIGTERM and wait."""
        self._terminate(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all (the embedded PostgreSQL keeps running)."""
        self._terminate(signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None
