"""Runs each peer in its own process with bench/.venv's Python (never the main venv)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from ..config import Size
from ..data.dataset import Dataset
from .sidecar_run import REPO_ROOT

PEERS = ("chroma-embedded", "chroma-server", "sqlite-faiss", "numpy-exact")


def run_peers(
    python: Path, dataset: Dataset, dim: int, size: Size, work_dir: Path, *, log: Any
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for peer in PEERS:
        out = work_dir / f"peer-{peer}-{dim}.json"
        command = [
            str(python),
            "-m",
            "bench.peers",
            "--peer",
            peer,
            "--data",
            str(dataset.path),
            "--dim",
            str(dim),
            "--work",
            str(work_dir / f"peer-{peer}-{dim}"),
            "--out",
            str(out),
            "--warmup",
            str(size.warmup),
            "--concurrent-requests",
            str(size.concurrent_requests),
            "--single-adds",
            str(min(size.single_adds, 300)),
            "--phase-seconds",
            str(size.phase_seconds),
        ]
        log(f"  peer {peer} ({dim}-d)")
        begin = time.monotonic()
        try:
            completed = subprocess.run(
                command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=3600, check=False
            )
        except subprocess.TimeoutExpired:
            results[peer] = {"error": "timed out after 3600 s"}
            continue
        if completed.returncode != 0 or not out.exists():
            results[peer] = {"error": (completed.stderr or completed.stdout)[-1500:]}
            continue
        results[peer] = json.loads(out.read_text())
        results[peer]["wall_s"] = round(time.monotonic() - begin, 1)
    return results
