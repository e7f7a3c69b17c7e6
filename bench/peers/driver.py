"""Times a peer exactly like the sidecar is timed: bulk load, searches at concurrency 1
(every query once after a warm-up; recall@10 against the same exact top-10) and 8 (threads),
single adds, peak memory and disk use."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import psutil

from ..stats import latency_summary, mean_rows, recall_at_k
from .base import Peer

TOP_K = 10
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Budget:
    warmup: int
    concurrent_requests: int
    single_adds: int
    phase_seconds: float


class TreeSampler:
    """Peak RSS of a process and its children, sampled from a thread."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
            total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            return
        self.peak_mb = max(self.peak_mb, total / MB)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()
        return round(self.peak_mb, 1)


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / MB


def _hwm_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _serial(
    action: Callable[[int], list[int]], count: int, warmup: int, deadline: float
) -> tuple[list[float], list[list[int]], float]:
    for i in range(min(warmup, count)):
        action(i)
    latencies, found = [], []
    started = time.perf_counter()
    for i in range(count):
        if time.perf_counter() - started > deadline:
            break
        begin = time.perf_counter()
        found.append(action(i))
        latencies.append(time.perf_counter() - begin)
    return latencies, found, time.perf_counter() - started


def _concurrent(action: Callable[[int], Any], count: int, deadline: float) -> dict[str, Any]:
    stop_at = time.perf_counter() + deadline

    def timed(i: int) -> float | None:
        if time.perf_counter() > stop_at:
            return None
        begin = time.perf_counter()
        action(i)
        return time.perf_counter() - begin

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        latencies = [x for x in pool.map(timed, range(count)) if x is not None]
    return latency_summary(latencies, time.perf_counter() - started)


def run_peer(peer: Peer, data: dict[str, Any], budget: Budget) -> dict[str, Any]:
    contents, domains, vectors = data["contents"], data["domains"], data["vectors"]
    server = TreeSampler(pid) if (pid := peer.server_pid()) else None
    result: dict[str, Any] = {"peer": peer.name, "version": peer.version(), "rows": len(contents)}
    baseline = _rss_mb()
    begin = time.perf_counter()
    peer.load(contents, domains, vectors)
    load_seconds = time.perf_counter() - begin
    result["ingest"] = {
        "batched_rows_per_s": round(len(contents) / load_seconds, 1),
        "seconds": round(load_seconds, 2),
    }
    searches: dict[str, Any] = {}
    for name, queries in data["queries"].items():
        qvec, truth, texts, domain = (
            queries["vectors"],
            queries["truth"],
            queries["texts"],
            queries["domain"],
        )
        count = len(qvec)
        scenarios = [(name, lambda i, q=qvec, d=domain: peer.search(q[i], TOP_K, d))]
        if name == "vector" and peer.hybrid_supported:
            scenarios.append(("hybrid", lambda i, q=qvec, t=texts: peer.hybrid(t[i], q[i], TOP_K)))
        for label, action in scenarios:
            latencies, found, wall = _serial(action, count, budget.warmup, budget.phase_seconds)
            entry: dict[str, Any] = {
                "c1": latency_summary(latencies, wall),
                "mean_rows": mean_rows(found),
            }
            entry["rows_complete"] = round(
                sum(1 for f in found if len(f) >= TOP_K) / max(len(found), 1), 4
            )
            if label != "hybrid":
                entry["recall_at_10"] = recall_at_k(found, truth[: len(found)].tolist(), TOP_K)
            entry["c8"] = _concurrent(
                lambda i, a=action, n=count: a(i % n),
                budget.concurrent_requests,
                budget.phase_seconds,
            )
            searches[label] = entry
    result["search"] = searches
    if peer.single_add_supported and budget.single_adds:
        rng = np.random.default_rng(7)
        extra = rng.standard_normal((budget.single_adds, vectors.shape[1])).astype(np.float32)
        extra /= np.linalg.norm(extra, axis=1, keepdims=True)
        n = len(contents)
        latencies, _, wall = _serial(
            lambda i: (
                peer.add_one(n + i, f"{contents[i]} [single {i}]", domains[i], extra[i]) or []
            ),
            budget.single_adds,
            0,
            budget.phase_seconds,
        )
        single = latency_summary(latencies, wall)
        single["rows_per_s"] = round(len(latencies) / wall, 1)
        result["ingest"]["single_c1"] = single
    result["memory"] = {
        "process_rss_baseline_mb": round(baseline, 1),
        "process_rss_peak_mb": round(_hwm_mb(), 1),
        "process_rss_end_mb": round(_rss_mb(), 1),
    }
    if server is not None:
        result["memory"]["server_rss_peak_mb"] = server.stop()
    result["disk_mb"] = round(peer.disk_bytes() / MB, 1)
    return result
