"""Search over HTTP: vector, hybrid and domain-filtered, at concurrency 1 and 8."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config import TOP_K, Size
from ..data.dataset import Dataset, QuerySet
from ..stats import mean_rows, recall_at_k
from .http_load import Call, Client, encode, run_load


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str  # the figure's name in the results
    queries: str  # which query set of the data set
    mode: str  # the sidecar's search mode


SCENARIOS = (
    Scenario("vector", "vector", "vector"),
    Scenario("hybrid", "vector", "hybrid"),
    Scenario("filtered:devices", "filtered:devices", "vector"),
    Scenario("filtered:security", "filtered:security", "vector"),
)


def search_calls(queries: QuerySet, dim: int, mode: str, count: int) -> list[Call]:
    """`count` requests cycling through the query set."""
    calls = []
    for i in range(count):
        index = i % len(queries.texts)
        body: dict[str, Any] = {
            "query": queries.texts[index][:2000],
            "embedding": queries.vectors[dim][index],
            "mode": mode,
            "limit": TOP_K,
        }
        if queries.domain is not None:
            body["domain"] = queries.domain
        calls.append(Call("POST", "/memory/search", encode(body)))
    return calls


def result_rows(answers: Sequence[Any], id_to_row: dict[int, int]) -> list[list[int]]:
    return [
        [id_to_row.get(r["id"], -1) for r in (answer or {}).get("results", [])]
        for answer in answers
    ]


async def run_scenario(
    client: Client,
    dataset: Dataset,
    dim: int,
    size: Size,
    scenario: Scenario,
    *,
    id_to_row: dict[int, int],
    truth: Sequence[Sequence[int]] | None,
) -> dict[str, Any]:
    """Concurrency 1 (every query once, after a warm-up; recall from these) and 8."""
    queries = dataset.queries[scenario.queries]
    hybrid = scenario.mode == "hybrid"
    serial_count = min(len(queries.texts), size.hybrid_queries) if hybrid else len(queries.texts)
    concurrent_count = size.hybrid_concurrent if hybrid else size.concurrent_requests
    warm = search_calls(queries, dim, scenario.mode, size.warmup // 3 if hybrid else size.warmup)
    await run_load(client, warm, concurrency=1, deadline_seconds=size.phase_seconds)
    serial = await run_load(
        client,
        search_calls(queries, dim, scenario.mode, serial_count),
        concurrency=1,
        deadline_seconds=size.phase_seconds,
        keep_answers=True,
    )
    found = result_rows(serial.answers, id_to_row)
    figures: dict[str, Any] = {"c1": serial.summary(), "mean_rows": mean_rows(found)}
    figures["rows_complete"] = round(
        sum(1 for rows in found if len(rows) >= TOP_K) / max(len(found), 1), 4
    )
    if truth is not None:
        checked = min(len(truth), len(found))
        figures["recall_at_10"] = recall_at_k(found[:checked], truth[:checked], TOP_K)
        figures["recall_queries"] = checked
    concurrent = await run_load(
        client,
        search_calls(queries, dim, scenario.mode, concurrent_count),
        concurrency=8,
        deadline_seconds=size.phase_seconds,
    )
    figures["c8"] = concurrent.summary()
    if queries.domain is not None:
        figures["selectivity"] = round(dataset.selectivity(queries.domain), 4)
    return figures
