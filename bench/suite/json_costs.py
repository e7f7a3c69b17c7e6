"""Where the sidecar's CPU goes per request, outside the database: parsing the JSON body,
validating it (voluptuous, per-float checks of the vector), encoding the vector for asyncpg
and encoding the answer. Micro-benchmarks of the sidecar's own functions, in this process."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
from pgvector import HalfVector

from sidecar.api.handlers.memory import BATCH_SCHEMA, SEARCH_BODY_SCHEMA
from sidecar.api.validation import validate

from ..data.dataset import Dataset
from .http_load import encode

REPEATS = 300


def _micros(action: Callable[[], Any], repeats: int = REPEATS) -> float:
    for _ in range(10):
        action()
    samples = []
    for _ in range(repeats):
        begin = time.perf_counter()
        action()
        samples.append(time.perf_counter() - begin)
    samples.sort()
    return round(samples[len(samples) // 2] * 1e6, 1)


def _fake_results(dataset: Dataset, count: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    rows = [
        {
            "id": i + 1,
            "content": dataset.contents[i],
            "domain": dataset.domains[i],
            "source": None,
            "tags": [],
            "importance": 0.5,
            "metadata": {},
            "scope": "household",
            "scope_id": "",
            "created_at": now,
            "updated_at": now,
            "expires_at": None,
            "embedding_status": "stored",
            "score": 0.0323,
            "similarity": 0.81,
        }
        for i in range(count)
    ]
    return {"query": "q", "mode": "vector", "degraded": False, "results": rows}


def json_costs(dataset: Dataset, dim: int, batch_items: int) -> dict[str, Any]:
    """Median microseconds of each step for one search request and one batch request."""
    queries = dataset.queries["vector"]
    vector = queries.vectors[dim][0]
    body = encode({"query": queries.texts[0], "embedding": vector, "mode": "vector", "limit": 10})
    parsed = orjson.loads(body)
    checked = validate(SEARCH_BODY_SCHEMA, parsed)
    answer = _fake_results(dataset, 10)
    items = [
        {
            "content": dataset.contents[i],
            "domain": dataset.domains[i],
            "embedding": dataset.vectors[dim][i],
        }
        for i in range(batch_items)
    ]
    batch = orjson.loads(encode({"items": items}))
    as_list = vector.tolist()
    return {
        "dimensions": dim,
        "search_body_bytes": len(body),
        "search_parse_us": _micros(lambda: orjson.loads(body)),
        "search_validate_us": _micros(lambda: validate(SEARCH_BODY_SCHEMA, orjson.loads(body))),
        "vector_to_pg_binary_us": _micros(lambda: HalfVector(checked["embedding"]).to_binary()),
        "vector_numpy_to_pg_binary_us": _micros(
            lambda: HalfVector(np.asarray(as_list, dtype=np.float32)).to_binary()
        ),
        "answer_encode_us": _micros(lambda: orjson.dumps(answer)),
        "answer_bytes": len(orjson.dumps(answer)),
        f"batch{batch_items}_validate_us": _micros(lambda: validate(BATCH_SCHEMA, batch), 20),
    }
