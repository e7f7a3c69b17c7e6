"""Load and soak: rounds of mixed traffic from many clients, then proof that nothing was lost.

Each round sends a fixed number of requests (turns, searches, cache lookups and stores,
feedback, memories, preferences, history) from `clients` concurrent clients, within a time
limit, and reports p50/p95/p99 latency and the sidecar's RSS. After the last round the database
is compared with the ledger of acknowledged writes (ledger_check.py).

The CI test (tests/sidecar/test_load.py) runs a short version. The long soak, on loopback only,
starting its own PostgreSQL, fake embedding provider and sidecar:

    python -m tests.reliability.load --clients 50 --rounds 20 --requests 20000 --round-seconds 600

or against a sidecar that is already running (RSS is read when --pid is given):

    python -m tests.reliability.load --url http://127.0.0.1:8080 --token TOKEN \\
        --database-url postgresql://… --pid 1234
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psutil

from tests.support.sidecar_process import SidecarProcess

from .embedding_process import EmbeddingProcess
from .ledger_check import check_ledger
from .postgres import PostgresProcess
from .workload import Ledger, LoadReport, run_load

MIB = 1024 * 1024


@dataclass
class SoakResult:
    rounds: list[dict[str, Any]] = field(default_factory=list)
    ledger_problems: list[str] = field(default_factory=list)
    server_errors: int = 0
    problems: int = 0
    problem_samples: list[str] = field(default_factory=list)

    def add(self, report: LoadReport) -> None:
        self.server_errors += len(report.server_errors)
        self.problems += len(report.problems)
        self.problem_samples.extend(
            f"{o.op}: {o.problem}" for o in report.problems[: 10 - len(self.problem_samples)]
        )

    @property
    def rss_mib(self) -> list[float]:
        return [r["rss_mib"] for r in self.rounds if r.get("rss_mib") is not None]

    def summary(self) -> dict[str, Any]:
        rss = self.rss_mib
        return {
            "rounds": self.rounds,
            "server_errors": self.server_errors,
            "problems": self.problems,
            "problem_samples": self.problem_samples,
            "ledger_problems": self.ledger_problems[:20],
            "p95_ms_first_round": self.rounds[1]["p95_ms"] if len(self.rounds) > 1 else None,
            "p95_ms_last_round": self.rounds[-1]["p95_ms"] if len(self.rounds) > 1 else None,
            "rss_mib_start": rss[0] if rss else None,
            "rss_mib_end": rss[-1] if rss else None,
        }


def rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    return round(psutil.Process(pid).memory_info().rss / MIB, 1)


async def soak(
    url: str,
    token: str,
    database_url: str,
    *,
    pid: int | None,
    clients: int,
    requests: int,
    rounds: int,
    round_seconds: float,
    warmup: int = 0,
    on_round: Callable[[dict[str, Any]], None] | None = None,
) -> SoakResult:
    """`rounds` rounds of `requests` requests each; round 0 is the RSS baseline after warmup.

    The database must be used by this soak alone (cache counters and feedback are checked
    exactly).
    """
    ledger = Ledger(run_id=f"soak-{uuid.uuid4().hex[:8]}")
    result = SoakResult()
    if warmup:
        report = await run_load(
            url, token, ledger=ledger, clients=clients, requests=warmup, duration=round_seconds
        )
        result.add(report)
    result.rounds.append({"round": 0, "p95_ms": None, "rss_mib": rss_mib(pid)})
    for number in range(1, rounds + 1):
        report: LoadReport = await run_load(
            url,
            token,
            ledger=ledger,
            clients=clients,
            requests=requests,
            duration=round_seconds,
            seed=number,
        )
        result.add(report)
        entry = {"round": number, **report.summary(), "rss_mib": rss_mib(pid)}
        result.rounds.append(entry)
        if on_round is not None:
            on_round(entry)
    result.ledger_problems = await check_ledger(database_url, ledger, exclusive=True)
    return result


@contextmanager
def own_stack(env: dict[str, str] | None = None) -> Iterator[tuple[SidecarProcess, str]]:
    """PostgreSQL, the fake embedding provider and a sidecar, all on loopback."""
    pg = PostgresProcess()
    provider = EmbeddingProcess(dimensions=64)
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-soak-"))
    sidecar: SidecarProcess | None = None
    try:
        pg.start()
        pg.create_database("ai_memory")
        provider.start()
        sidecar = SidecarProcess(
            data_dir,
            database_url=pg.uri("ai_memory"),
            token=uuid.uuid4().hex,
            env={
                "EMBEDDING_PROVIDER": "ollama",
                "EMBEDDING_URL": provider.url,
                "CACHE_MAX_ENTRIES": "1000000",
                "LOG_LEVEL": "WARNING",
                **(env or {}),
            },
        )
        sidecar.start()
        yield sidecar, pg.uri("ai_memory")
    finally:
        if sidecar is not None:
            sidecar.stop()
        provider.stop()
        pg.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--round-seconds", type=float, default=300, help="time limit per round")
    parser.add_argument("--warmup", type=int, default=1000, help="requests before round 0")
    parser.add_argument("--max-rss-growth-mib", type=float, default=30.0)
    parser.add_argument("--url", help="a running sidecar (loopback) instead of starting one")
    parser.add_argument("--token")
    parser.add_argument("--database-url", help="its database (used by this soak alone)")
    parser.add_argument("--pid", type=int, help="the sidecar's pid, to report its RSS")
    parser.add_argument("--json", type=Path, help="write the full report here")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.url and urlparse(args.url).hostname not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("only loopback targets are allowed")
    if args.url and not (args.token and args.database_url):
        parser.error("--url needs --token and --database-url")

    def show(entry: dict[str, Any]) -> None:
        print(
            f"round {entry['round']}: {entry['requests']} requests in {entry['seconds']} s, "
            f"p95 {entry['p95_ms']} ms, 5xx {entry['server_errors']}, RSS {entry['rss_mib']} MiB",
            flush=True,
        )

    options = {
        "clients": args.clients,
        "requests": args.requests,
        "rounds": args.rounds,
        "round_seconds": args.round_seconds,
        "warmup": args.warmup,
        "on_round": show,
    }
    if args.url:
        result = asyncio.run(
            soak(args.url, args.token, args.database_url, pid=args.pid, **options)  # type: ignore[arg-type]
        )
    else:
        with own_stack() as (sidecar, database_url):
            pid = sidecar.process.pid if sidecar.process else None
            result = asyncio.run(
                soak(sidecar.url, sidecar.token, database_url, pid=pid, **options)  # type: ignore[arg-type]
            )
    summary = result.summary()
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "rounds"}, indent=2))
    rss = result.rss_mib
    growth = rss[-1] - rss[0] if len(rss) > 1 else 0.0
    failed = result.server_errors or result.problems or result.ledger_problems
    return 1 if failed or growth > args.max_rss_growth_mib else 0


if __name__ == "__main__":
    sys.exit(main())
