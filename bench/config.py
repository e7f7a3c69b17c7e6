"""Suite sizes: how many rows, dimensions, requests and time each `--size` uses.

Every request loop is bounded by a count and by `phase_seconds`; `quick` finishes in a few
minutes on 2 cores, `full` is the 100k-row run the targets are stated for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Size:
    name: str
    rows: int
    dimensions: tuple[int, ...]
    queries: int  # distinct query vectors per search scenario
    warmup: int  # requests before any timed phase
    concurrent_requests: int  # requests in each concurrency-8 phase
    single_adds: int  # POST /memory/add requests (each concurrency)
    cache_entries: int
    cache_lookups: int
    turns: int  # turns sent batched
    single_turns: int
    embedding_round_trips: int
    # Memories added by /memory/batch to the loaded table (the index kept up row by row).
    batch_ingest_rows: int = 2_000
    # Hybrid search ranks every full-text match: slow at 100k, so fewer requests.
    hybrid_queries: int = 100
    hybrid_concurrent: int = 100
    ef_search: tuple[int, ...] = (40, 64, 100, 200, 400)
    pool_sizes: tuple[int, ...] = (1, 2, 4, 8, 16)
    batch_sizes: tuple[int, ...] = (100, 250, 1000)
    # (stored type, m, ef_construction): the sidecar's halfvec (migration 0005) against the
    # 32-bit vector it used before, and denser graphs.
    hnsw_builds: tuple[tuple[str, int, int], ...] = (
        ("halfvec", 16, 64),
        ("vector", 16, 64),
        ("halfvec", 16, 128),
    )
    phase_seconds: float = 60.0
    seed: int = 20250404


SIZES = {
    "quick": Size(
        name="quick",
        rows=10_000,
        dimensions=(384,),
        queries=200,
        warmup=30,
        concurrent_requests=400,
        single_adds=300,
        cache_entries=500,
        cache_lookups=500,
        turns=2_000,
        single_turns=200,
        embedding_round_trips=200,
    ),
    "full": Size(
        name="full",
        rows=100_000,
        dimensions=(384, 768),
        queries=500,
        warmup=50,
        concurrent_requests=1_000,
        single_adds=1_000,
        cache_entries=1_000,
        cache_lookups=1_000,
        turns=10_000,
        single_turns=500,
        embedding_round_trips=300,
        batch_ingest_rows=5_000,
        hybrid_queries=60,
        hybrid_concurrent=60,
        hnsw_builds=(("halfvec", 16, 64), ("vector", 16, 64), ("halfvec", 16, 128)),
        phase_seconds=240.0,
    ),
}

TOP_K = 10
FILTER_DOMAINS = ("devices", "security")  # ~10% of rows, and a rare one (< 1%)
