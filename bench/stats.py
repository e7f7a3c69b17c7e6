"""Percentiles and summaries of latency samples (pure Python: used by both venvs)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(samples: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(seconds: Sequence[float], wall: float | None = None) -> dict[str, Any]:
    """p50/p95/p99/mean in milliseconds; throughput when the phase's wall time is given."""
    millis = [s * 1000 for s in seconds]
    summary: dict[str, Any] = {
        "count": len(millis),
        "p50_ms": round(percentile(millis, 50), 3),
        "p95_ms": round(percentile(millis, 95), 3),
        "p99_ms": round(percentile(millis, 99), 3),
        "mean_ms": round(sum(millis) / len(millis), 3) if millis else math.nan,
    }
    if wall:
        summary["throughput_per_s"] = round(len(millis) / wall, 1)
    return summary


def recall_at_k(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]], k: int) -> float:
    """Mean share of the exact top-k that a search returned (order ignored)."""
    if not truth:
        return math.nan
    hits = [len(set(list(f)[:k]) & set(list(t)[:k])) / k for f, t in zip(found, truth, strict=True)]
    return round(sum(hits) / len(hits), 4)


def mean_rows(found: Sequence[Sequence[int]]) -> float:
    return round(sum(len(f) for f in found) / len(found), 2) if found else math.nan
