"""Prometheus metrics, one registry per app (tests build many apps in one process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "ai_memory_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ai_memory_http_request_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.embedding_backlog = Gauge(
            "ai_memory_embedding_backlog", "Rows waiting for an embedding", registry=self.registry
        )
        self.embedding_available = Gauge(
            "ai_memory_embedding_available",
            "1 when the embedding provider answers",
            registry=self.registry,
        )
        self.search_degraded = Counter(
            "ai_memory_search_degraded",
            "Searches answered without vectors",
            registry=self.registry,
        )
        self.cache_lookups = Counter(
            "ai_memory_cache_lookups", "Cache lookups by result", ["result"], registry=self.registry
        )
