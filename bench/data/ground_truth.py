"""Exact top-k by cosine (dot product of unit vectors): the reference for recall@k."""

from __future__ import annotations

import numpy as np

_CHUNK = 256


def exact_top_k(docs: np.ndarray, queries: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
    """Row indexes of the k most similar documents per query, best first; `allowed` is a
    boolean mask of the rows a filter lets through (None: all)."""
    candidates = np.arange(len(docs)) if allowed is None else np.flatnonzero(allowed)
    pool = docs[candidates]
    k = min(k, len(candidates))
    out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), _CHUNK):
        scores = queries[start : start + _CHUNK] @ pool.T
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
        out[start : start + _CHUNK] = candidates[np.take_along_axis(part, order, axis=1)]
    return out
