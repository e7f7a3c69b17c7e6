"""Clustered, normalised embedding-like vectors, seeded and reproducible.

Uniform random unit vectors make every ANN index look either perfect or hopeless; text
embeddings are neither. Each vector here is the sum of
  * a direction shared by everything (real embedding spaces are anisotropic),
  * its family's centroid (an intent, a preference template, an integration),
  * its topic's offset (family + the household word filled in, e.g. intent + area),
  * a point in a low-rank subspace of its family (local structure, intrinsic dimension
    about `RANK`, like sentence embeddings), and
  * isotropic noise,
weighted so that unrelated texts have cosine ≈ 0.1, the same family ≈ 0.4 and the same topic
≈ 0.6, then normalised. Centroids and bases are derived from (seed, dimension, name) alone, so
a family gets the same centroid whatever the data set size; queries use the same recipe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

RANK = 16
# Shares of the squared norm (sum to 1): global, family, topic, low-rank, isotropic.
WEIGHTS = (0.10, 0.30, 0.20, 0.25, 0.15)


def _stable(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def _rng(seed: int, dim: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, dim, _stable(name)])


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def clustered_vectors(
    families: Sequence[str], topics: Sequence[str], dim: int, seed: int, stream: str
) -> np.ndarray:
    """One float32 unit vector per (family, topic) pair; `stream` names the noise sequence
    (documents and queries draw different noise from the same clusters)."""
    if len(families) != len(topics):
        raise ValueError("families and topics must have the same length")
    w_global, w_family, w_topic, w_rank, w_noise = (np.sqrt(w) for w in WEIGHTS)
    scale = np.sqrt(dim)
    shared = _rng(seed, dim, "global").standard_normal(dim) / scale
    noise_rng = _rng(seed, dim, f"noise:{stream}")
    out = np.empty((len(families), dim), dtype=np.float32)
    family_array = np.asarray(families, dtype=object)
    topic_array = np.asarray(topics, dtype=object)
    for family in sorted(set(families)):
        rows = np.flatnonzero(family_array == family)
        frng = _rng(seed, dim, f"family:{family}")
        centroid = frng.standard_normal(dim) / scale
        basis = frng.standard_normal((dim, RANK)) / np.sqrt(RANK) / scale
        topic_names = topic_array[rows]
        offsets = {
            name: _rng(seed, dim, f"topic:{name}").standard_normal(dim) / scale
            for name in sorted(set(topic_names))
        }
        topic_part = np.stack([offsets[name] for name in topic_names])
        low_rank = noise_rng.standard_normal((len(rows), RANK)) @ basis.T
        noise = noise_rng.standard_normal((len(rows), dim)) / scale
        block = (
            w_global * shared
            + w_family * centroid
            + w_topic * topic_part
            + w_rank * low_rank
            + w_noise * noise
        )
        out[rows] = _unit(block)
    return out
