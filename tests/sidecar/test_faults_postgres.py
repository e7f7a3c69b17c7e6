"""PostgreSQL stopped (or crashed) and restarted under traffic, with a real sidecar process.

While the database is away the sidecar answers 503 + Retry-After at once (never a crash, never
a hung request, never a 500), stays alive and ready to say so on /readyz, reconnects by itself
when the database is back, and every write it acknowledged is in the database afterwards.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import aiohttp
import pytest

from tests.reliability.fixtures import (  # noqa: F401 - pytest fixtures
    database_fixture,
    database_url_fixture,
    sidecar_fixture,
)
from tests.reliability.ledger_check import check_ledger
from tests.reliability.postgres import PostgresProcess
from tests.reliability.stack import AUTH
from tests.reliability.workload import Ledger, Outcome, Workload, choose_ops
from tests.support.sidecar_process import SidecarProcess

# Mostly writes (what must not be lost), a few reads.
MIX = {"turns": 4, "memory_add": 2, "preference": 1, "feedback": 1, "cache_store": 1, "search": 1}
CLIENTS = 8
# Any request is answered within this, outage or not (a refused connection fails at once;
# the pool's connect timeout is 10 s).
MAX_SECONDS = 12.0


async def _status(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url) as answer:
        return answer.status


async def _wait_ready(session: aiohttp.ClientSession, url: str, within: float = 30) -> float:
    started = time.monotonic()
    while await _status(session, f"{url}/readyz") != 200:
        assert time.monotonic() - started < within, "the sidecar did not reconnect"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.parametrize("outage", ["stop", "crash"])
async def test_database_outage_is_503_and_loses_no_acknowledged_write(
    database: PostgresProcess, database_url: str, sidecar: SidecarProcess, outage: str
) -> None:
    ledger = Ledger(run_id=f"pg-{uuid.uuid4().hex[:8]}")
    timeout = aiohttp.ClientTimeout(total=MAX_SECONDS * 2)
    async with aiohttp.ClientSession(headers=AUTH, timeout=timeout) as session:
        workload = Workload(session, sidecar.url, ledger=ledger, seed=7)
        stop = asyncio.Event()

        async def client(seed: int) -> None:
            chooser = random.Random(seed)
            while not stop.is_set():
                await workload.run(choose_ops(1, MIX, chooser.randrange(2**32))[0])

        clients = [asyncio.create_task(client(n)) for n in range(CLIENTS)]
        await asyncio.sleep(1.0)
        before_outage = len(workload.outcomes)
        assert before_outage > 0

        await asyncio.to_thread(getattr(database, outage))
        await asyncio.sleep(1.0)
        assert await _status(session, f"{sidecar.url}/healthz") == 200
        assert await _status(session, f"{sidecar.url}/readyz") == 503
        await asyncio.sleep(1.5)
        during_outage = list(workload.outcomes[before_outage:])

        await asyncio.to_thread(database.start)
        await _wait_ready(session, sidecar.url)
        after_restart = len(workload.outcomes)
        await asyncio.sleep(1.5)
        stop.set()
        await asyncio.gather(*clients)

        # What the integration's queue does: send unanswered turn batches again.
        for batch in list(ledger.unacknowledged_batches):
            assert await workload.send_turns(batch, op="resend")

    outcomes: list[Outcome] = workload.outcomes
    unexpected = [o for o in outcomes if o.status not in {200, 201, 503}]
    assert unexpected == [], _tracebacks(sidecar)
    unavailable = [o for o in outcomes if o.status == 503]
    assert unavailable, "no request saw the outage"
    assert all(o.error == "database_unavailable" and o.retry_after for o in unavailable)
    assert max(o.seconds for o in outcomes) < MAX_SECONDS
    assert {o.status for o in during_outage} >= {503}
    assert any(o.status in {200, 201} for o in workload.outcomes[after_restart:])
    assert [o.problem for o in outcomes if o.problem] == []
    assert sidecar.running
    assert "Unhandled error" not in sidecar.log_tail(100_000)
    assert await check_ledger(database_url, ledger) == []
    assert ledger.turn_ids
    assert ledger.memories
    assert ledger.preferences


def _tracebacks(sidecar: SidecarProcess) -> str:
    """The sidecar's own unhandled errors (asyncpg's pool logs reconnect attempts too)."""
    log = sidecar.log_tail(100_000)
    start = log.find("Unhandled error")
    return log[start : start + 4000] if start >= 0 else log[-2000:]
