"""Peak memory of the sidecar process and of PostgreSQL (postmaster + all its children).

A background thread samples every `interval` seconds. For PostgreSQL two figures: the sum
of RSS over its processes (what the issue asks for; it counts shared buffers once per process
that touched them, so it overstates) and the sum of PSS (shared pages split between the
processes that map them: the honest total). The sidecar's peak also comes from the kernel's
own high-water mark (VmHWM), which catches spikes between samples.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import psutil

MB = 1024 * 1024


@dataclass(slots=True)
class Peaks:
    sidecar_rss_mb: float = 0.0
    postgres_rss_sum_mb: float = 0.0
    postgres_pss_sum_mb: float = 0.0
    postgres_processes: int = 0
    samples: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "sidecar_rss_peak_mb": round(self.sidecar_rss_mb, 1),
            "postgres_rss_sum_peak_mb": round(self.postgres_rss_sum_mb, 1),
            "postgres_pss_sum_peak_mb": round(self.postgres_pss_sum_mb, 1),
            "postgres_processes_max": self.postgres_processes,
            "samples": self.samples,
        }


def high_water_mark_mb(pid: int) -> float | None:
    """VmHWM: the largest RSS the process ever had."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def postgres_tree(postmaster_pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(postmaster_pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def postgres_memory_mb(postmaster_pid: int, *, pss: bool) -> tuple[float, float, int]:
    """(RSS sum, PSS sum or 0, process count) over the postmaster and its children."""
    rss = pss_sum = 0.0
    processes = postgres_tree(postmaster_pid)
    for process in processes:
        try:
            if pss:
                info = process.memory_full_info()
                rss += info.rss
                pss_sum += info.pss
            else:
                rss += process.memory_info().rss
        except psutil.Error:
            continue
    return rss / MB, pss_sum / MB, len(processes)


class MemoryProbe:
    """Samples until stopped; `peaks` holds the maxima seen."""

    def __init__(self, sidecar_pid: int, postmaster_pid: int, interval: float = 0.25) -> None:
        self.sidecar_pid = sidecar_pid
        self.postmaster_pid = postmaster_pid
        self.interval = interval
        self.peaks = Peaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-probe", daemon=True)

    def __enter__(self) -> MemoryProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.sample(pss=True)
        if (hwm := high_water_mark_mb(self.sidecar_pid)) is not None:
            self.peaks.sidecar_rss_mb = max(self.peaks.sidecar_rss_mb, hwm)

    def sample(self, *, pss: bool) -> None:
        try:
            sidecar = psutil.Process(self.sidecar_pid).memory_info().rss / MB
        except psutil.Error:
            sidecar = 0.0
        rss, pss_sum, count = postgres_memory_mb(self.postmaster_pid, pss=pss)
        peaks = self.peaks
        peaks.sidecar_rss_mb = max(peaks.sidecar_rss_mb, sidecar)
        peaks.postgres_rss_sum_mb = max(peaks.postgres_rss_sum_mb, rss)
        peaks.postgres_pss_sum_mb = max(peaks.postgres_pss_sum_mb, pss_sum)
        peaks.postgres_processes = max(peaks.postgres_processes, count)
        peaks.samples += 1

    def _run(self) -> None:
        tick = 0
        while not self._stop.wait(self.interval):
            # PSS reads every process's smaps: every 4th sample only.
            self.sample(pss=tick % 4 == 0)
            tick += 1


def steady_memory(sidecar_pid: int, postmaster_pid: int) -> dict[str, float]:
    """Current (not peak) figures, e.g. after the searches, when the caches are warm."""
    try:
        sidecar = psutil.Process(sidecar_pid).memory_info().rss / MB
    except psutil.Error:
        sidecar = 0.0
    rss, pss, count = postgres_memory_mb(postmaster_pid, pss=True)
    return {
        "sidecar_rss_mb": round(sidecar, 1),
        "postgres_rss_sum_mb": round(rss, 1),
        "postgres_pss_sum_mb": round(pss, 1),
        "postgres_processes": count,
    }
