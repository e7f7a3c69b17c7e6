"""The side-by-side table: every figure for the sidecar, then each peer as value (ratio).

A ratio is peer ÷ sidecar of the row's key number: below 1 on a latency row the peer is
faster, above 1 on a rate row the peer is faster; on memory and disk rows, below 1 is leaner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .markdown import dig, num, table

PEERS = ("chroma-embedded", "chroma-server", "sqlite-faiss", "numpy-exact")
Getter = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    sidecar: Getter  # -> (text, key number)
    peer: Getter | None  # same, from a peer's result


def _lat(node: Any) -> tuple[str, Any]:
    if not node:
        return "–", None
    return f"{num(node['p50_ms'])} / {num(node['p95_ms'])} / {num(node['p99_ms'])}", node["p95_ms"]


def _lat_hits(node: Any) -> tuple[str, Any]:
    """Latencies and the share of lookups that hit (the sanity check of a hit/miss phase)."""
    text, key = _lat(node)
    if node and node.get("hit_rate") is not None:
        text += f" · {node['hit_rate'] * 100:.0f}% hits"
    return text, key


def _one(value: Any, suffix: str = "") -> tuple[str, Any]:
    return (num(value) + suffix if value is not None else "–"), value


def _recall(node: Any) -> tuple[str, Any]:
    if not node:
        return "–", None
    recall = node.get("recall_at_10")
    rows = node.get("mean_rows")
    text = (
        f"{num(recall, 3)} · {num(rows, 1)} rows" if recall is not None else f"{num(rows, 1)} rows"
    )
    return text, recall


def _search_rows(name: str, label: str) -> list[Row]:
    return [
        Row(
            f"{label}: c=1 p50 / p95 / p99 ms",
            lambda s: _lat(dig(s, "search", name, "c1")),
            lambda p: _lat(dig(p, "search", name, "c1")),
        ),
        Row(
            f"{label}: recall@10 · rows returned",
            lambda s: _recall(dig(s, "search", name)),
            lambda p: _recall(dig(p, "search", name)),
        ),
        Row(
            f"{label}: c=8 p95 ms",
            lambda s: _one(dig(s, "search", name, "c8", "p95_ms")),
            lambda p: _one(dig(p, "search", name, "c8", "p95_ms")),
        ),
        Row(
            f"{label}: c=8 requests/s",
            lambda s: _one(dig(s, "search", name, "c8", "throughput_per_s")),
            lambda p: _one(dig(p, "search", name, "c8", "throughput_per_s")),
        ),
    ]


def _footprint(s: dict[str, Any]) -> tuple[str, Any]:
    peak = s.get("memory_peak") or {}
    total = (peak.get("sidecar_rss_peak_mb") or 0) + (peak.get("postgres_pss_sum_peak_mb") or 0)
    return f"{num(total)} MB", total


def _peer_footprint(p: dict[str, Any]) -> tuple[str, Any]:
    memory = p.get("memory") or {}
    value = memory.get("server_rss_peak_mb") or memory.get("process_rss_peak_mb")
    return (f"{num(value)} MB" if value else "–"), value


def rows_for(selectivity: dict[str, float]) -> list[Row]:
    def share(domain: str) -> str:
        value = selectivity.get(domain)
        return f"{value * 100:.1f}%" if value is not None else "?"

    return [
        *_search_rows("vector", "search vector"),
        *_search_rows("hybrid", "search hybrid"),
        *_search_rows("filtered:devices", f"filtered, domain {share('devices')}"),
        *_search_rows("filtered:security", f"filtered, domain {share('security')}"),
        Row(
            # The peers' figure is their batched load of the same rows into an empty store.
            "ingest: the data set into an empty store (sidecar: POST /memory/import), rows/s",
            lambda s: _one(dig(s, "ingest_import", "rows_per_s")),
            lambda p: _one(dig(p, "ingest", "batched_rows_per_s")),
        ),
        Row(
            "ingest: /memory/batch into the loaded store (index kept up per row), rows/s",
            lambda s: _one(dig(s, "ingest_batched", "rows_per_s")),
            None,
        ),
        Row(
            "ingest single add c=1, rows/s",
            lambda s: _one(dig(s, "ingest_single", "c1", "rows_per_s")),
            lambda p: _one(dig(p, "ingest", "single_c1", "rows_per_s")),
        ),
        Row(
            "ingest single add c=8, rows/s",
            lambda s: _one(dig(s, "ingest_single", "c8", "rows_per_s")),
            None,
        ),
        Row(
            "cache entries while looking up (of them with signature + vector)",
            lambda s: (
                f"{num(dig(s, 'cache', 'entries'))} "
                f"({num(dig(s, 'cache', 'fill_with_vectors', 'count'))})",
                dig(s, "cache", "entries"),
            ),
            None,
        ),
        Row(
            "cache exact hit c=1 p50 / p95 / p99 ms",
            lambda s: _lat(dig(s, "cache", "exact_hit_c1")),
            None,
        ),
        Row(
            "cache exact hit, entry with signature + vector, c=1 p50 / p95 / p99 ms",
            lambda s: _lat_hits(dig(s, "cache", "exact_hit_signed_c1")),
            None,
        ),
        Row(
            "cache exact miss c=1 p50 / p95 / p99 ms",
            lambda s: _lat(dig(s, "cache", "exact_miss_c1")),
            None,
        ),
        Row(
            "cache exact hit c=8 p50 / p95 / p99 ms",
            lambda s: _lat(dig(s, "cache", "exact_hit_c8")),
            None,
        ),
        Row(
            "cache store c=1 p50 / p95 / p99 ms", lambda s: _lat(dig(s, "cache", "store_c1")), None
        ),
        Row(
            "cache semantic hit (after exact miss), vector given, c=1 p50 / p95 / p99 ms",
            lambda s: _lat_hits(dig(s, "cache", "semantic_hit_c1")),
            None,
        ),
        Row(
            "cache semantic miss, vector given, c=1 p50 / p95 / p99 ms",
            lambda s: _lat_hits(dig(s, "cache", "semantic_miss_c1")),
            None,
        ),
        Row(
            "cache semantic statement's plan, largest signature group",
            lambda s: (
                ", ".join(dig(s, "cache", "semantic_plan", "largest group") or []) or "–",
                None,
            ),
            None,
        ),
        Row(
            "cache store with vector c=8 (filling), entries/s",
            lambda s: _one(dig(s, "cache", "fill_with_vectors", "entries_per_s")),
            None,
        ),
        Row(
            "turns batched (50/request), turns/s",
            lambda s: _one(dig(s, "turns", "batched", "turns_per_s")),
            None,
        ),
        Row(
            "turn single c=1 p50 / p95 / p99 ms", lambda s: _lat(dig(s, "turns", "single_c1")), None
        ),
        Row(
            "turn single c=8, turns/s",
            lambda s: _one(dig(s, "turns", "single_c8", "turns_per_s")),
            None,
        ),
        Row(
            "memory: total peak (sidecar RSS + PostgreSQL PSS; peer process/server RSS)",
            _footprint,
            _peer_footprint,
        ),
        Row(
            "memory: sidecar RSS peak",
            lambda s: _one(dig(s, "memory_peak", "sidecar_rss_peak_mb"), " MB"),
            None,
        ),
        Row(
            "memory: PostgreSQL RSS sum peak (PSS sum)",
            lambda s: (
                f"{num(dig(s, 'memory_peak', 'postgres_rss_sum_peak_mb'))} MB "
                f"({num(dig(s, 'memory_peak', 'postgres_pss_sum_peak_mb'))} MB)",
                dig(s, "memory_peak", "postgres_rss_sum_peak_mb"),
            ),
            None,
        ),
        Row(
            "disk, MB",
            lambda s: _one(dig(s, "database_size_end", "database_mb"), " MB"),
            lambda p: _one(p.get("disk_mb"), " MB"),
        ),
    ]


def _ratio(peer: Any, sidecar: Any) -> str:
    if not isinstance(peer, int | float) or not isinstance(sidecar, int | float) or not sidecar:
        return ""
    return f" ({peer / sidecar:.2f}×)"


def main_table(run: dict[str, Any], selectivity: dict[str, float]) -> str:
    sidecar = run.get("sidecar") or {}
    peers = run.get("peers") or {}
    present = [p for p in PEERS if p in peers]
    body = []
    for row in rows_for(selectivity):
        text, key = row.sidecar(sidecar)
        cells = [row.label, text]
        for name in present:
            result = peers[name]
            if "error" in result:
                cells.append("error")
            elif row.peer is None:
                cells.append("n/a")
            else:
                peer_text, peer_key = row.peer(result)
                cells.append(peer_text + (_ratio(peer_key, key) if peer_text != "–" else ""))
        body.append(cells)
    return table(["figure", "sidecar (HTTP)", *present], body)
