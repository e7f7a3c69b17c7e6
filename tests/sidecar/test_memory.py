"""Memories: seed 001's add, dedup as a no-op, batch add, get/update/delete, list, expiry."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from .conftest import table_counts

SEED_MEMORY = {
    "content": "The user prefers lights at 50% brightness in the evening",
    "tags": ["preference", "lighting"],
    "source": "user_feedback",
}


async def test_seed_add_example_stores_an_embedded_memory(client: TestClient) -> None:
    response = await client.post("/memory/add", json=SEED_MEMORY)
    assert response.status == 201
    body = await response.json()
    assert body["created"] is True
    assert body["embedding_status"] == "stored"

    memory = await (await client.get(f"/memory/{body['id']}")).json()
    assert memory["content"] == SEED_MEMORY["content"]
    assert memory["tags"] == ["lighting", "preference"]
    assert memory["source"] == "user_feedback"
    assert memory["domain"] == "default"
    assert memory["scope"] == "household"


async def test_re_adding_the_same_fact_is_a_no_op_returning_the_existing_id(
    client: TestClient,
) -> None:
    first = await (await client.post("/memory/add", json=SEED_MEMORY)).json()
    # Same fact, different case and spacing: still the same fact.
    again = await client.post(
        "/memory/add",
        json={
            **SEED_MEMORY,
            "content": "  the user prefers LIGHTS at 50%  brightness in the evening",
        },
    )
    assert again.status == 200
    body = await again.json()
    assert body == {"id": first["id"], "created": False, "embedding_status": "stored"}
    assert (await table_counts(client))["knowledge"] == 1
    # Nothing about the original was lost.
    memory = await (await client.get(f"/memory/{first['id']}")).json()
    assert memory["content"] == SEED_MEMORY["content"]


async def test_same_text_in_another_domain_or_scope_is_a_separate_memory(
    client: TestClient,
) -> None:
    ids = set()
    for extra in ({}, {"domain": "health"}, {"scope": "person", "scope_id": "anna"}):
        body = await (await client.post("/memory/add", json={**SEED_MEMORY, **extra})).json()
        assert body["created"] is True
        ids.add(body["id"])
    assert len(ids) == 3


async def test_batch_add_reports_each_item_and_dedups_within_and_across_batches(
    client: TestClient,
) -> None:
    existing = await (await client.post("/memory/add", json={"content": "Anna likes tea"})).json()
    response = await client.post(
        "/memory/batch",
        json={
            "items": [
                {"content": "Bob likes coffee", "tags": ["drinks"]},
                {"content": "anna likes tea"},  # already stored
                {"content": "Bob likes   COFFEE"},  # duplicate inside the batch
                {"content": "The cat is called Mruczek", "domain": "pets"},
            ]
        },
    )
    assert response.status == 200
    body = await response.json()
    assert body["created"] == 2
    assert body["duplicates"] == 2
    results = body["results"]
    assert [r["created"] for r in results] == [True, False, False, True]
    assert results[1]["id"] == existing["id"]
    assert results[2]["id"] == results[0]["id"]
    assert (await table_counts(client))["knowledge"] == 3
    listed = await (await client.get("/memory/list", params={"domain": "pets"})).json()
    assert [m["content"] for m in listed["memories"]] == ["The cat is called Mruczek"]


async def test_batch_add_embeds_every_item(client: TestClient) -> None:
    items = [{"content": f"Fact number {i} about the house"} for i in range(40)]
    await client.post("/memory/batch", json={"items": items})
    listed = await (await client.get("/memory/list", params={"limit": 100})).json()
    assert len(listed["memories"]) == 40
    assert {m["embedding_status"] for m in listed["memories"]} == {"stored"}


async def test_update_changes_fields_and_re_embeds_new_content(client: TestClient) -> None:
    created = await (await client.post("/memory/add", json=SEED_MEMORY)).json()
    response = await client.patch(
        f"/memory/{created['id']}",
        json={"content": "The user prefers lights at 30% in the evening", "importance": 0.9},
    )
    assert response.status == 200
    memory = await response.json()
    assert memory["content"] == "The user prefers lights at 30% in the evening"
    assert memory["importance"] == 0.9
    assert memory["tags"] == ["lighting", "preference"]  # untouched fields stay

    async def embedded() -> bool:
        current = await (await client.get(f"/memory/{created['id']}")).json()
        return current["embedding_status"] == "stored"

    from .conftest import eventually

    await eventually(embedded)
    # The old text is no longer a duplicate: it can be added again as a new fact.
    again = await (await client.post("/memory/add", json=SEED_MEMORY)).json()
    assert again["created"] is True


async def test_update_to_an_existing_fact_is_a_conflict(client: TestClient) -> None:
    await client.post("/memory/add", json={"content": "Anna likes tea"})
    other = await (await client.post("/memory/add", json={"content": "Bob likes tea"})).json()
    response = await client.patch(f"/memory/{other['id']}", json={"content": "anna likes tea"})
    assert response.status == 409
    assert (await response.json())["error"] == "conflict"
    unchanged = await (await client.get(f"/memory/{other['id']}")).json()
    assert unchanged["content"] == "Bob likes tea"


async def test_delete_forgets_and_missing_ids_are_404(client: TestClient) -> None:
    created = await (await client.post("/memory/add", json=SEED_MEMORY)).json()
    response = await client.delete(f"/memory/{created['id']}")
    assert await response.json() == {"deleted": True, "id": created["id"]}
    for method in ("GET", "DELETE"):
        missing = await client.request(method, f"/memory/{created['id']}")
        assert missing.status == 404
        assert (await missing.json())["error"] == "not_found"
    patched = await client.patch("/memory/999999", json={"importance": 1})
    assert patched.status == 404
    not_a_number = await client.get("/memory/abc")
    assert not_a_number.status == 404


async def test_list_pages_newest_first(client: TestClient) -> None:
    items = [{"content": f"Memory {i}"} for i in range(5)]
    await client.post("/memory/batch", json={"items": items})
    first = await (await client.get("/memory/list", params={"limit": 3})).json()
    assert [m["content"] for m in first["memories"]] == ["Memory 4", "Memory 3", "Memory 2"]
    second = await (
        await client.get("/memory/list", params={"limit": 3, "before_id": first["next_before_id"]})
    ).json()
    assert [m["content"] for m in second["memories"]] == ["Memory 1", "Memory 0"]
    assert second["next_before_id"] is None


async def test_expired_memories_disappear_and_can_be_added_again(client: TestClient) -> None:
    created = await (
        await client.post(
            "/memory/add", json={"content": "Guests stay until Sunday", "ttl_seconds": 1}
        )
    ).json()
    assert created["created"] is True
    await asyncio.sleep(1.1)
    listed = await (await client.get("/memory/list")).json()
    assert listed["memories"] == []
    search = await (await client.get("/memory/search", params={"query": "guests"})).json()
    assert search["results"] == []
    revived = await (
        await client.post("/memory/add", json={"content": "Guests stay until Sunday"})
    ).json()
    assert revived["id"] == created["id"]
    listed = await (await client.get("/memory/list")).json()
    assert [m["id"] for m in listed["memories"]] == [created["id"]]
    assert listed["memories"][0]["expires_at"] is None
