"""The data set one run uses, built once per (size, seed) and cached on disk.

Query texts are short (an utterance, a question, a few words of a document), as a user or
an LLM tool call would search; query vectors come from the same clusters as the documents.

Layout of a data set directory (also what the peer process in bench/.venv reads):
  docs.json                 {"contents": [...], "domains": [...]}          n rows
  vectors_<dim>.npy         float32 (n, dim), unit length
  queries.json              {scenario: {"texts": [...], "domain": str | null}}
  qvec_<scenario>_<dim>.npy float32 query vectors
  gt_<scenario>_<dim>.npy   int64 exact top-k row indexes (the recall reference)
Scenarios: "vector" (no filter), "filtered:<domain>" for each of FILTER_DOMAINS.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import FILTER_DOMAINS, TOP_K, Size
from .ground_truth import exact_top_k
from .memories import Memory, generate
from .vectors import clustered_vectors

FORMAT_VERSION = 2


@dataclass(frozen=True, slots=True)
class QuerySet:
    texts: list[str]
    domain: str | None
    vectors: dict[int, np.ndarray]
    truth: dict[int, np.ndarray]


@dataclass(frozen=True, slots=True)
class Dataset:
    path: Path
    contents: list[str]
    domains: list[str]
    vectors: dict[int, np.ndarray]
    queries: dict[str, QuerySet]

    @property
    def rows(self) -> int:
        return len(self.contents)

    def selectivity(self, domain: str) -> float:
        return self.domains.count(domain) / self.rows


def scenario_name(domain: str | None) -> str:
    return "vector" if domain is None else f"filtered:{domain}"


def _file_name(scenario: str) -> str:
    return scenario.replace(":", "-")


def _anchors(docs: list[Memory], domain: str, count: int, seed: int) -> list[Memory]:
    """Filtered queries ask about their own domain: query vectors near random rows of it."""
    rows = [m for m in docs if m.domain == domain]
    rng = random.Random(f"{seed}:{domain}")
    return [rng.choice(rows) for _ in range(count)]


def _build(path: Path, size: Size) -> None:
    stream = generate(size.seed)
    docs = list(itertools.islice(stream, size.rows))
    asked = list(itertools.islice(stream, size.queries))
    path.mkdir(parents=True, exist_ok=True)
    domains = [m.domain for m in docs]
    (path / "docs.json").write_text(
        json.dumps({"contents": [m.content for m in docs], "domains": domains})
    )
    query_sets: dict[str, tuple[list[Memory], str | None]] = {"vector": (asked, None)}
    for domain in FILTER_DOMAINS:
        query_sets[scenario_name(domain)] = (_anchors(docs, domain, size.queries, size.seed), domain)
    (path / "queries.json").write_text(
        json.dumps(
            {
                name: {"texts": [m.query for m in memories], "domain": domain}
                for name, (memories, domain) in query_sets.items()
            }
        )
    )
    domain_array = np.asarray(domains)
    for dim in size.dimensions:
        vectors = clustered_vectors(
            [m.family for m in docs], [m.topic for m in docs], dim, size.seed, "documents"
        )
        np.save(path / f"vectors_{dim}.npy", vectors)
        for name, (memories, domain) in query_sets.items():
            queries = clustered_vectors(
                [m.family for m in memories], [m.topic for m in memories], dim, size.seed, name
            )
            allowed = None if domain is None else domain_array == domain
            np.save(path / f"qvec_{_file_name(name)}_{dim}.npy", queries)
            np.save(
                path / f"gt_{_file_name(name)}_{dim}.npy",
                exact_top_k(vectors, queries, TOP_K, allowed),
            )
    (path / "complete").write_text(str(FORMAT_VERSION))


def load(path: Path, dimensions: tuple[int, ...]) -> Dataset:
    docs = json.loads((path / "docs.json").read_text())
    raw_queries = json.loads((path / "queries.json").read_text())
    queries = {
        name: QuerySet(
            texts=spec["texts"],
            domain=spec["domain"],
            vectors={d: np.load(path / f"qvec_{_file_name(name)}_{d}.npy") for d in dimensions},
            truth={d: np.load(path / f"gt_{_file_name(name)}_{d}.npy") for d in dimensions},
        )
        for name, spec in raw_queries.items()
    }
    return Dataset(
        path=path,
        contents=docs["contents"],
        domains=docs["domains"],
        vectors={d: np.load(path / f"vectors_{d}.npy") for d in dimensions},
        queries=queries,
    )


def dataset_for(size: Size, cache_root: Path) -> Dataset:
    """Load the cached data set of this size, building it first if needed."""
    dims = "-".join(str(d) for d in size.dimensions)
    path = cache_root / f"v{FORMAT_VERSION}-{size.rows}x{dims}-q{size.queries}-s{size.seed}"
    if not (path / "complete").exists():
        _build(path, size)
    return load(path, size.dimensions)
