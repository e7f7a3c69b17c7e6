"""Load and a short soak against a real sidecar process: 50 concurrent clients, mixed traffic.

Zero 5xx, every answer means what the API says, every acknowledged write is in PostgreSQL
exactly once (read straight from the database), and the sidecar's memory levels off. The long
soak is the same code: `python -m tests.reliability.load --help`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.reliability.embedding_process import EmbeddingProcess
from tests.reliability.ledger_check import check_ledger
from tests.reliability.load import soak
from tests.reliability.stack import TOKEN
from tests.reliability.workload import Ledger, run_load
from tests.support.sidecar_process import SidecarProcess

CLIENTS = 50
WARMUP = 300
ROUNDS = 3
REQUESTS_PER_ROUND = 1000
ROUND_SECONDS = 90.0
# After warm-up, memory must level off: what three rounds may add at most.
MAX_RSS_GROWTH_MIB = 12.0
MAX_RSS_MIB = 150.0  # PRODUCT.md: sidecar RSS ≲ 100 MB on the Pi


@pytest.fixture
def sidecar(database_url: str) -> Iterator[SidecarProcess]:
    provider = EmbeddingProcess(dimensions=64)
    provider.start()
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-load-"))
    process = SidecarProcess(
        data_dir,
        database_url=database_url,
        token=TOKEN,
        env={
            "EMBEDDING_PROVIDER": "ollama",
            "EMBEDDING_URL": provider.url,
            "CACHE_MAX_ENTRIES": "1000000",  # nothing is evicted: every store must be found
            "LOG_LEVEL": "WARNING",
        },
    )
    try:
        process.start()
        yield process
    finally:
        process.stop()
        provider.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


async def test_fifty_clients_lose_nothing_and_memory_levels_off(
    sidecar: SidecarProcess,
    database_url: str,
    record_property: Callable[[str, Any], None],
) -> None:
    assert sidecar.process is not None
    result = await soak(
        sidecar.url,
        TOKEN,
        database_url,
        pid=sidecar.process.pid,
        clients=CLIENTS,
        requests=REQUESTS_PER_ROUND,
        rounds=ROUNDS,
        round_seconds=ROUND_SECONDS,
        warmup=WARMUP,
    )
    summary = result.summary()
    record_property("soak", json.dumps(summary))
    print(json.dumps({k: v for k, v in summary.items() if k != "rounds"}))  # shown with -s

    assert result.server_errors == 0
    assert result.problem_samples == []
    assert result.ledger_problems == []
    assert all(r["requests"] == REQUESTS_PER_ROUND for r in result.rounds[1:]), "time limit hit"
    rss = result.rss_mib
    assert rss[-1] - rss[1] <= MAX_RSS_GROWTH_MIB, rss
    assert max(rss) <= MAX_RSS_MIB, rss


async def test_the_ledger_check_notices_lost_and_doubled_writes(
    sidecar: SidecarProcess, database_url: str
) -> None:
    """The soak's verdict means something: damage done behind the sidecar's back is found."""
    ledger = Ledger(run_id="meta")
    report = await run_load(
        sidecar.url, TOKEN, ledger=ledger, clients=10, requests=200, duration=60
    )
    assert report.server_errors == []
    assert await check_ledger(database_url, ledger, exclusive=True) == []
    lost_turn = next(iter(ledger.turn_ids))
    changed_key = next(iter(ledger.preferences))
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM conversations WHERE turn_id = $1", lost_turn)
        await conn.execute("UPDATE preferences SET value = '1' WHERE key = $1", changed_key)
        await conn.execute("UPDATE cache_counters SET misses = misses + 1")
        await conn.execute("INSERT INTO feedback (interaction_id, score) VALUES ('meta-extra', 3)")
    finally:
        await conn.close()
    problems = await check_ledger(database_url, ledger, exclusive=True)
    assert any(lost_turn in p and "missing" in p for p in problems)
    assert any(changed_key in p for p in problems)
    assert any("cache counters" in p for p in problems)
    assert any("feedback rows" in p for p in problems)
