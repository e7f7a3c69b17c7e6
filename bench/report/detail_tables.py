"""Tables beside the main one: where time goes, tuning experiments, embedding round trip."""

from __future__ import annotations

from typing import Any

from .markdown import dig, num, table


def time_split_table(sidecar: dict[str, Any]) -> str:
    rows = []
    for name, node in (sidecar.get("search") or {}).items():
        http = dig(node, "c1", "p50_ms")
        sql = dig(sidecar, "search_in_database_c1", name, "p50_ms")
        sql95 = dig(sidecar, "search_in_database_c1", name, "p95_ms")
        gap = None if http is None or sql is None else http - sql
        rows.append([name, num(http), f"{num(sql)} / {num(sql95)}", num(gap)])
    split = table(
        ["search (c=1)", "HTTP p50 ms", "SQL only p50 / p95 ms", "HTTP + sidecar overhead ms"], rows
    )
    return (
        f"{split}\n\nThe two columns come from separate phases (HTTP first, then the same "
        "queries by SQL), so the last one also carries the machine's noise between them; HTTP and "
        "JSON cost about the same for every kind of search (10 rows each)."
    )


def sweep_table(title: str, sweep: dict[str, Any]) -> str:
    rows = []
    for setting, node in sweep.items():
        if not isinstance(node, dict):
            continue
        rows.append(
            [
                f"`{setting}`",
                num(node.get("p50_ms")),
                num(node.get("p95_ms")),
                num(node.get("recall_at_10"), 3),
                num(node.get("mean_rows"), 1),
            ]
        )
    return f"**{title}**\n\n" + table(["setting", "p50 ms", "p95 ms", "recall@10", "rows"], rows)


def hnsw_table(builds: dict[str, Any]) -> str:
    rows = []
    for params, node in builds.items():
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key.startswith("ef_search"):
                rows.append(
                    [
                        params,
                        num(node["build_s"]),
                        f"{num(node['index_mb'])} / {num(node.get('table_mb'))}",
                        num(node.get("insert_ms_per_row")),
                        key.split("=")[1],
                        num(value["p50_ms"]),
                        num(value["p95_ms"]),
                        num(value["recall_at_10"], 3),
                    ]
                )
    header = [
        "HNSW",
        "build s",
        "index / table MB",
        "insert ms/row",
        "ef_search",
        "p50 ms",
        "p95 ms",
        "recall@10",
    ]
    note = f"(bulk build on a copy, maintenance_work_mem {builds.get('maintenance_work_mem')})"
    extra = f"\n\n{builds['note']}" if builds.get("note") else ""
    return f"**HNSW build parameters** {note}\n\n" + table(header, rows) + extra


def pool_table(pools: dict[str, Any]) -> str:
    rows = [
        [
            setting,
            num(dig(n, "vector_c8", "p50_ms")),
            num(dig(n, "vector_c8", "p95_ms")),
            num(dig(n, "vector_c8", "throughput_per_s")),
            num(dig(n, "hybrid_c8", "p95_ms")),
            num(dig(n, "hybrid_c8", "throughput_per_s")),
        ]
        for setting, n in pools.items()
    ]
    return "**Pool size (search at concurrency 8)**\n\n" + table(
        [
            "setting",
            "vector p50 ms",
            "vector p95 ms",
            "vector req/s",
            "hybrid p95 ms",
            "hybrid req/s",
        ],
        rows,
    )


def batch_table(batches: dict[str, Any]) -> str:
    rows = [
        [
            setting,
            num(n["rows_per_s"]),
            " / ".join(num(x) for x in n.get("rows_per_s_runs", [])),
            num(n["request_p50_ms"]),
            num(n["body_kb"]),
        ]
        for setting, n in batches.items()
        if isinstance(n, dict)
    ]
    title = f"**Batch size** (MAX_BODY_BYTES raised to {batches.get('MAX_BODY_BYTES')})"
    header = ["batch", "rows/s (best)", "runs", "request p50 ms", "body KB"]
    return f"{title}\n\n" + table(header, rows)


def fulltext_table(variants: dict[str, Any]) -> str:
    rows = [
        [name, num(n["p50_ms"]), num(n["p95_ms"]), num(n["mean_fulltext_matches"])]
        for name, n in variants.items()
    ]
    return (
        "**Hybrid search: the full-text leg's tsquery (whole statement, SQL only, c=1)**\n\n"
        + table(["tsquery", "p50 ms", "p95 ms", "rows the full-text leg ranks (mean)"], rows)
    )


def attribution_table(variants: dict[str, Any]) -> str:
    rows = [
        [name, num(n["ms_per_1000_rows"]), num(n["rows_per_s"])] for name, n in variants.items()
    ]
    return "**Ingest: bulk-add statements for 1,000 rows (SQL only, rolled back)**\n\n" + table(
        ["indexes", "ms per 1,000 rows", "rows/s"], rows
    )


def commit_table(modes: dict[str, Any]) -> str:
    rows = [
        [f"`{k}`", num(v.get("p50_ms")), num(v.get("p95_ms")), num(v.get("throughput_per_s"))]
        for k, v in modes.items()
    ]
    return "**Exact cache lookup over HTTP, database commit mode**\n\n" + table(
        ["setting", "p50 ms", "p95 ms", "lookups/s"], rows
    )


def hit_writes_table(layouts: dict[str, Any]) -> str:
    rows = [
        [name, num(v["p50_ms"]), num(v["p95_ms"]), num(v["wal_bytes_per_hit"])]
        for name, v in layouts.items()
    ]
    return "**Exact cache hits over HTTP (c=1) by table layout (migration 0006)**\n\n" + table(
        ["layout", "p50 ms", "p95 ms", "WAL bytes per hit"], rows
    )


def reset_table(modes: dict[str, Any]) -> str:
    rows = [[k, num(v["p50_ms"]), num(v["p95_ms"])] for k, v in modes.items()]
    return "**asyncpg pool: connection reset on release (vector search, SQL, c=1)**\n\n" + table(
        ["pattern", "p50 ms", "p95 ms"], rows
    )


def json_table(costs: dict[str, Any]) -> str:
    rows = [[key, num(value)] for key, value in costs.items()]
    return "**Per-request CPU outside the database (median µs, in-process)**\n\n" + table(
        ["step", "value"], rows
    )


def embedding_table(figures: dict[str, Any]) -> str:
    if not figures or "error" in figures:
        return f"not measured: {figures.get('error') if figures else 'skipped'}"
    rows = [
        [
            "provider call direct (POST /api/embed, 1 text)",
            num(dig(figures, "provider_direct", "p50_ms")),
            num(dig(figures, "provider_direct", "p95_ms")),
        ],
        [
            "hybrid search, text only (sidecar embeds the query)",
            num(dig(figures, "search_text_only", "p50_ms")),
            num(dig(figures, "search_text_only", "p95_ms")),
        ],
        [
            "hybrid search, vector given",
            num(dig(figures, "search_vector_given", "p50_ms")),
            num(dig(figures, "search_vector_given", "p95_ms")),
        ],
    ]
    text = table(["embedding round trip (c=1)", "p50 ms", "p95 ms"], rows)
    return (
        f"{text}\n\nRound trip added to a search: "
        f"**{num(figures.get('round_trip_p50_ms'))} ms** at p50; "
        f"ingest with the sidecar embedding (batches of 100): "
        f"{num(figures.get('ingest_embedded_by_sidecar_rows_per_s'))} rows/s. Provider: "
        f"{figures.get('provider')} — no model inference; add the model's own time. "
        f"A voice turn on a cache miss (recall and lookup at once, then the store): "
        f"{num(dig(figures, 'voice_turn', 'provider_texts_per_turn'))} texts embedded by the "
        f"provider per turn; recall + lookup "
        f"{num(dig(figures, 'voice_turn', 'recall_and_lookup', 'p50_ms'))} ms p50."
    )
