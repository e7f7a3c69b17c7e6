"""Integration overhead: runs bench/integration (pytest inside HA's test harness, against
a real sidecar) as a subprocess and reads the figures it writes.

A subprocess because the harness owns the event loop, blocks sockets and checks for leftover
threads — none of which the rest of the suite may be subject to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..config import Size
from .sidecar_run import REPO_ROOT

TIMEOUT_S = 900


def pytest_command() -> list[str]:
    """Run by hand the same way (see bench/README.md)."""
    return [sys.executable, "-m", "pytest", "bench/integration", "-q", "-p", "no:cacheprovider"]


def integration_overhead(size: Size, work_dir: Path) -> dict[str, Any]:
    """The figures of bench/integration/test_overhead.py, or {"status": why not}."""
    out = work_dir / "integration-overhead.json"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BENCH_INTEGRATION_OUT": str(out),
        "BENCH_INTEGRATION_ROUNDS": str(size.queries),
        "BENCH_INTEGRATION_WARMUP": str(min(size.warmup, 20)),
    }
    begin = time.monotonic()
    try:
        completed = subprocess.run(
            pytest_command(),
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"status": f"not measured: timed out after {TIMEOUT_S} s"}
    if not out.exists():
        tail = (completed.stdout + completed.stderr)[-1500:]
        return {"status": "not measured: the pytest run failed", "error": tail}
    figures: dict[str, Any] = json.loads(out.read_text())
    figures["wall_s"] = round(time.monotonic() - begin, 1)
    if completed.returncode != 0:
        # The figures were written before the correctness checks: keep them, say so.
        figures["status"] = "measured, but a correctness check failed"
        figures["error"] = completed.stdout[-1500:]
    return figures
