"""What the suite ran on, and how busy the machine was (it is shared)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_flags() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return sorted(f for f in ("avx", "avx2", "avx512f", "fma") if f in flags)
    except OSError:
        pass
    return []


def _python_version(python: Path | None) -> str | None:
    if python is None or not python.exists():
        return None
    completed = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.stdout.strip() or None


class LoadWatch:
    """Load average and CPU steal/busy share from start to finish of the run."""

    def __init__(self) -> None:
        self.start_load = os.getloadavg()
        self.start_times = psutil.cpu_times()

    def finish(self) -> dict[str, Any]:
        end = psutil.cpu_times()
        total = sum(end) - sum(self.start_times)
        steal = getattr(end, "steal", 0.0) - getattr(self.start_times, "steal", 0.0)
        idle = end.idle - self.start_times.idle
        return {
            "loadavg_start": [round(x, 2) for x in self.start_load],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "cpu_busy_share": round(1 - idle / total, 3) if total else None,
            "cpu_steal_share": round(steal / total, 4) if total else None,
        }


def machine_info(peers_python: Path | None) -> dict[str, Any]:
    memory = psutil.virtual_memory()
    return {
        "cpu_model": _cpu_model(),
        "cpu_flags": _cpu_flags(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(memory.total / 1024**3, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "python_peers": _python_version(peers_python),
    }


def code_version(repo: Path) -> dict[str, Any]:
    """The commit measured, and whether the sidecar's files differed from it (shared tree)."""

    def git(*args: str) -> str:
        completed = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        return completed.stdout.strip()

    changed = git("status", "--porcelain", "--", "sidecar", "migrations").splitlines()
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "sidecar_uncommitted_files": len(changed),
    }
