"""Shapes of the sidecar answers the integration reads (see docs/API.md)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class EmbeddingsStatus(TypedDict, total=False):
    """State of the embedding provider."""

    provider: str
    model: str
    dimensions: int
    available: bool
    reason: str | None
    backlog: int


class Info(TypedDict):
    """Answer of GET /info."""

    instance_id: str
    version: str
    embeddings: NotRequired[EmbeddingsStatus]


class CacheStats(TypedDict, total=False):
    """Response cache counters."""

    entries: int
    answers: int
    plans: int
    expired: int
    hits: int
    exact_hits: int
    semantic_hits: int
    misses: int
    false_hits: int
    evictions: int
    invalidations: int
    hit_rate: float
    false_hit_rate: float
    max_entries: int
    ttl_seconds: int
    similarity_threshold: float


class TrainingStats(TypedDict, total=False):
    """Training data counters."""

    examples: int
    pending_export: int
    with_feedback: int


class Stats(TypedDict, total=False):
    """Answer of GET /stats."""

    memories: int
    turns: int
    preferences: int
    aliases: int
    cache: CacheStats
    training: TrainingStats
    feedback: int
    embeddings: EmbeddingsStatus
    version: str  # the sidecar's release


class TurnResult(TypedDict):
    """Outcome of one delivered turn."""

    turn_id: str
    id: Any
    created: bool


class TurnResults(TypedDict):
    """Answer of POST /conversations/turns."""

    results: list[TurnResult]
    created: int
    duplicates: int
