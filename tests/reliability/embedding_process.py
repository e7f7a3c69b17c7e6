"""The fake embedding provider (tests/support/embedding_server.py) as a separate process.

Fault tests switch its behaviour over HTTP while the sidecar uses it:

    provider = EmbeddingProcess(dimensions=64); provider.start()
    provider.control(mode="slow")          # ok | down | error | slow | garbage
    provider.control(dimensions=32)        # the model now answers with another dimension
    provider.stop()
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


class EmbeddingProcess:
    def __init__(self, dimensions: int = 64) -> None:
        self.dimensions = dimensions
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._log = Path(tempfile.mkstemp(prefix="ai-memory-embedder-", suffix=".log")[1])

    def start(self, timeout: float = 30) -> None:
        with self._log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.support.embedding_server",
                    "--port",
                    "0",
                    "--dimensions",
                    str(self.dimensions),
                ],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while not (match := _LISTENING.search(self._log.read_text(errors="replace"))):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"embedding server did not start: {self._log.read_text()}")
            time.sleep(0.05)
        self.url = match.group(1)

    def control(self, **changes: Any) -> dict[str, Any]:
        """Change `mode` and/or `dimensions` of the running server."""
        request = urllib.request.Request(
            f"{self.url}/control",
            data=json.dumps(changes).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self._log.unlink(missing_ok=True)
