"""Pooled connections go back to the pool as they are (no reset query: sidecar/db/pool.py), so
no request may leave session state behind for the next one."""

from __future__ import annotations

from sidecar.keys import POOL
from tests.support.embedding_server import embed_text

from .conftest import MakeClient

NDJSON = {"Content-Type": "application/x-ndjson"}
SETTINGS = """
SELECT name, setting FROM pg_settings
WHERE name IN ('synchronous_commit', 'maintenance_work_mem', 'hnsw.ef_search',
               'hnsw.iterative_scan', 'plan_cache_mode')
"""


async def test_requests_leave_no_session_state_on_pooled_connections(
    make_client: MakeClient,
) -> None:
    client = await make_client(pool_min_size=1, pool_max_size=1)  # one connection for all
    pool = client.app[POOL]
    async with pool.acquire() as conn:
        before = dict(await conn.fetch(SETTINGS))
    signature = {"intent": "HassTurnOn", "entities": ["light.kitchen"]}
    await client.post(
        "/cache/store", json={"query": "lights on", "response": "Done", "signature": signature}
    )
    lookup = await client.post(  # sets synchronous_commit inside its statement
        "/cache/lookup", json={"query": "lights on please", "signature": signature}
    )
    assert lookup.status == 200
    line = (
        b'{"content": "The shed key is blue", "embedding": %s}\n'
        % str(embed_text("shed key", 384)).encode()
    )
    imported = await client.post(  # raises maintenance_work_mem for its index build
        "/memory/import", data=line, headers=NDJSON
    )
    assert (await imported.json())["index_rebuilt"] is True
    await client.get("/memory/search", params={"query": "shed key"})

    async with pool.acquire() as conn:
        assert dict(await conn.fetch(SETTINGS)) == before
        assert not conn.is_in_transaction()
    assert before["hnsw.ef_search"] == "100"  # the startup settings are what stays
