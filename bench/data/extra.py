"""Fresh memories beyond the data set, for write benchmarks (single adds, turns, cache)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .memories import generate
from .vectors import clustered_vectors


@dataclass(frozen=True, slots=True)
class Extra:
    contents: list[str]
    domains: list[str]
    vectors: np.ndarray


def extra_memories(seed: int, stream: str, count: int, dim: int) -> Extra:
    """`count` memories from their own stream, made distinct from the data set by a tag."""
    offset = int.from_bytes(stream.encode()[:6].ljust(6, b"\0"), "little")
    memories = list(itertools.islice(generate(seed + offset), count))
    return Extra(
        contents=[f"{m.content} [{stream} {i}]" for i, m in enumerate(memories)],
        domains=[m.domain for m in memories],
        vectors=clustered_vectors(
            [m.family for m in memories], [m.topic for m in memories], dim, seed, stream
        ),
    )
