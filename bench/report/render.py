"""The whole report of one run as Markdown (printed, and put into bench/README.md)."""

from __future__ import annotations

from typing import Any

from .detail_tables import (
    attribution_table,
    batch_table,
    commit_table,
    embedding_table,
    fulltext_table,
    hit_writes_table,
    hnsw_table,
    json_table,
    pool_table,
    reset_table,
    sweep_table,
    time_split_table,
)
from .integration_table import integration_section
from .main_table import main_table
from .markdown import dig, num
from .targets import check_targets, targets_table

INTEGRATION_PENDING = "not measured yet: integration pending"


def machine_line(results: dict[str, Any]) -> str:
    m = results.get("machine") or {}
    load = m.get("load") or {}
    return (
        f"{m.get('cpu_model')} ({', '.join(m.get('cpu_flags') or []) or 'no AVX flags'}), "
        f"{m.get('logical_cores')} logical cores, {m.get('ram_gb')} GB RAM, {m.get('os')}; "
        f"Python {m.get('python')} (sidecar), {m.get('python_peers')} (peers); "
        f"PostgreSQL {m.get('postgresql')}, pgvector {m.get('pgvector')}. "
        f"Shared machine: load average {load.get('loadavg_start')} at start, "
        f"{load.get('loadavg_end')} at end; CPU busy {num(load.get('cpu_busy_share'), 2)}, "
        f"steal {num(load.get('cpu_steal_share'), 3)} over the run."
    )


def _tuning(tuning: dict[str, Any]) -> list[str]:
    failed = [f"{name}: {node['error']}" for name, node in tuning.items() if "error" in node]
    tuning = {name: node for name, node in tuning.items() if "error" not in node}
    parts = [f"experiment failed — {line}" for line in failed] + [
        sweep_table(title, sweep) for title, sweep in (tuning.get("sql") or {}).items()
    ]
    if "hnsw_build" in tuning:
        parts.append(hnsw_table(tuning["hnsw_build"]))
    if "pool_size" in tuning:
        parts.append(pool_table(tuning["pool_size"]))
    if "batch_size" in tuning:
        parts.append(batch_table(tuning["batch_size"]))
    if "fulltext" in tuning:
        parts.append(fulltext_table(tuning["fulltext"]))
    if "ingest_attribution" in tuning:
        parts.append(attribution_table(tuning["ingest_attribution"]))
    if "pool_reset" in tuning:
        parts.append(reset_table(tuning["pool_reset"]))
    if "cache_commit" in tuning:
        parts.append(commit_table(tuning["cache_commit"]))
    if "cache_hit_writes" in tuning:
        parts.append(hit_writes_table(tuning["cache_hit_writes"]))
    if "json_costs" in tuning:
        parts.append(json_table(tuning["json_costs"]))
    return parts


def render(results: dict[str, Any], *, with_tuning: bool = True) -> str:
    data = results.get("dataset") or {}
    lines = [
        f"## Results: `--size {results.get('size')}` ({results.get('started_at')}, "
        f"{num(results.get('duration_s'))} s)",
        "",
        f"Machine: {machine_line(results)}",
        "",
        f"Code: commit {dig(results, 'code', 'commit')}, "
        f"{dig(results, 'code', 'sidecar_uncommitted_files')} uncommitted sidecar files.",
        "",
        f"Data: {data.get('rows'):,} memories (median {data.get('content_chars_median')} "
        f"characters, p90 {data.get('content_chars_p90')}), {data.get('queries')} queries per "
        f"scenario, seed {data.get('seed')}. Peer cells: value (peer ÷ sidecar).",
    ]
    for dim, run in (results.get("results") or {}).items():
        lines += [
            "",
            f"### {data.get('rows'):,} × {dim}",
            "",
            main_table(run, data.get("selectivity") or {}),
            "",
            time_split_table(run.get("sidecar") or {}),
        ]
        if with_tuning and run.get("tuning"):
            lines += ["", f"#### Tuning experiments ({dim}-d)", ""]
            lines += [part + "\n" for part in _tuning(run["tuning"])]
    lines += [
        "",
        "### Targets",
        "",
        # Checked again from the figures: a target added later shows for earlier runs too.
        targets_table(check_targets(results)),
        "",
        "### Embedding round trip through the provider API",
        "",
        embedding_table(results.get("embedding_round_trip") or {}),
        "",
        "### Integration overhead (time AI Memory adds to an Assist turn)",
        "",
        integration_section(results.get("integration_overhead") or {"status": INTEGRATION_PENDING}),
    ]
    return "\n".join(lines) + "\n"
