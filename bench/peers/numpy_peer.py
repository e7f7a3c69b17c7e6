"""The floor: an exact scan with numpy (matrix-vector product, argpartition)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import Peer


class NumpyExact(Peer):
    name = "numpy-exact"
    single_add_supported = False

    def __init__(self) -> None:
        self.vectors = np.empty((0, 0), dtype=np.float32)
        self.by_domain: dict[str, np.ndarray] = {}
        self.domain_vectors: dict[str, np.ndarray] = {}

    def version(self) -> str:
        return np.__version__

    def load(self, contents: Sequence[str], domains: Sequence[str], vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        domain_array = np.asarray(domains)
        for domain in sorted(set(domains)):
            rows = np.flatnonzero(domain_array == domain)
            self.by_domain[domain] = rows
            self.domain_vectors[domain] = self.vectors[rows]

    def search(self, vector: np.ndarray, k: int, domain: str | None) -> list[int]:
        if domain is None:
            matrix, rows = self.vectors, None
        else:
            matrix, rows = self.domain_vectors.get(domain), self.by_domain.get(domain)
            if matrix is None or rows is None:
                return []
        scores = matrix @ vector
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return (top if rows is None else rows[top]).tolist()

    def disk_bytes(self) -> int:
        return 0
