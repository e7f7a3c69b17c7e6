"""What every peer implements; the driver (peers/driver.py) times these calls."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class Peer(ABC):
    name: str = ""
    hybrid_supported: bool = False
    single_add_supported: bool = True

    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def load(self, contents: Sequence[str], domains: Sequence[str], vectors: np.ndarray) -> None:
        """Bulk load rows 0..n-1 (row index = id), in the peer's natural batch size."""

    @abstractmethod
    def search(self, vector: np.ndarray, k: int, domain: str | None) -> list[int]:
        """Row ids of the k nearest (cosine), restricted to `domain` when given; fetches the
        stored text too, as an application would."""

    def hybrid(self, text: str, vector: np.ndarray, k: int) -> list[int]:
        raise NotImplementedError

    def add_one(self, row: int, content: str, domain: str, vector: np.ndarray) -> None:
        raise NotImplementedError

    def server_pid(self) -> int | None:
        """The server process to measure, for client/server peers."""
        return None

    def disk_bytes(self) -> int:
        return 0

    def close(self) -> None:
        return None


def directory_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0
