"""`python -m bench --size quick|full`: the whole suite in one run (bench/run wraps this)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .config import FILTER_DOMAINS, SIZES, Size
from .data.dataset import Dataset, dataset_for
from .report.files import update_readme, write_results
from .report.machine import LoadWatch, code_version, machine_info
from .report.render import render
from .report.targets import check_targets
from .suite.embedding import embedding_round_trip
from .suite.integration_overhead import integration_overhead
from .suite.peers_runner import run_peers
from .suite.progress import log
from .suite.sidecar_bench import sidecar_benchmarks
from .suite.tuning import tuning

BENCH = Path(__file__).resolve().parent


def _dataset_facts(dataset: Dataset, size: Size) -> dict[str, Any]:
    lengths = sorted(len(text) for text in dataset.contents)
    return {
        "rows": dataset.rows,
        "dimensions": list(size.dimensions),
        "queries": size.queries,
        "seed": size.seed,
        "content_chars_median": int(statistics.median(lengths)),
        "content_chars_p90": lengths[int(len(lengths) * 0.9)],
        "content_chars_max": lengths[-1],
        "selectivity": {d: round(dataset.selectivity(d), 4) for d in FILTER_DOMAINS},
        "generator": "bench/data (HA intents + integration strings; clustered vectors)",
    }


async def _dimension(
    args: argparse.Namespace, dataset: Dataset, dim: int, size: Size, work: Path, *, first: bool
) -> dict[str, Any]:
    log(f"sidecar, {dataset.rows:,} × {dim}: ingest, search, cache, turns")
    sidecar, id_to_row, cached, data_dir = await sidecar_benchmarks(work, dataset, dim, size)
    run: dict[str, Any] = {"sidecar": sidecar}
    # Tuning runs at the first dimension only (the targets are stated for 384-d).
    if first and not args.skip_tuning:
        log(f"tuning experiments ({dim}-d)")
        run["tuning"] = await tuning(
            data_dir, dataset, dim, size, id_to_row=id_to_row, cached_queries=cached, hnsw=True
        )
    shutil.rmtree(data_dir, ignore_errors=True)
    if not args.skip_peers:
        log(f"peers ({dim}-d)")
        run["peers"] = run_peers(args.peers_python, dataset, dim, size, work, log=log)
    return run


async def run_suite(args: argparse.Namespace) -> dict[str, Any]:
    size = SIZES[args.size]
    watch = LoadWatch()
    started = time.monotonic()
    results: dict[str, Any] = {
        "suite": "ai-memory-bench",
        "format": 1,
        "size": size.name,
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine_info(None if args.skip_peers else args.peers_python),
        "code": code_version(BENCH.parent),
    }
    log(f"data set ({size.rows:,} rows, {size.dimensions})")
    dataset = dataset_for(size, BENCH / ".cache" / "data")
    results["dataset"] = _dataset_facts(dataset, size)
    results["dataset"]["dimensions"] = list(args.dimensions or size.dimensions)
    work = BENCH / ".cache" / f"work-{size.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    results["results"] = {}
    # --dimensions runs a subset of the size's dimensions on the same (cached) data set.
    for index, dim in enumerate(args.dimensions or size.dimensions):
        results["results"][str(dim)] = await _dimension(
            args, dataset, dim, size, work, first=index == 0
        )
        database = results["results"][str(dim)]["sidecar"].get("database") or {}
        results["machine"]["postgresql"] = database.get("postgresql")
        results["machine"]["pgvector"] = database.get("pgvector")
    if not args.skip_embedding:
        log("embedding round trip")
        results["embedding_round_trip"] = await embedding_round_trip(work, size)
    if args.skip_integration:
        results["integration_overhead"] = {"status": "not measured: --skip-integration"}
    else:
        log("integration overhead (HA test harness, pytest subprocess)")
        results["integration_overhead"] = integration_overhead(size, work)
    results["targets"] = check_targets(results)
    results["machine"]["load"] = watch.finish()
    results["duration_s"] = round(time.monotonic() - started, 1)
    if not args.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--peers-python", type=Path, default=BENCH / ".venv" / "bin" / "python")
    parser.add_argument(
        "--dimensions", type=int, nargs="+", help="only these of the size's dimensions"
    )
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--skip-tuning", action="store_true")
    parser.add_argument("--skip-embedding", action="store_true")
    parser.add_argument("--skip-integration", action="store_true")
    parser.add_argument("--keep-work", action="store_true", help="keep bench/.cache/work-*")
    parser.add_argument("--no-write", action="store_true", help="print only, write no files")
    args = parser.parse_args(argv)
    unknown = set(args.dimensions or ()) - set(SIZES[args.size].dimensions)
    if unknown:
        parser.error(f"--size {args.size} has dimensions {SIZES[args.size].dimensions}")
    # SIGTERM unwinds like Ctrl-C, so every sidecar and PostgreSQL started here is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    results = asyncio.run(run_suite(args))
    print(render(results))
    if not args.no_write:
        path = write_results(BENCH / "results", results)
        update_readme(BENCH / "README.md", BENCH / "results")
        log(f"results: {path.relative_to(BENCH.parent)} (and bench/results/latest.json)")
    return 0
