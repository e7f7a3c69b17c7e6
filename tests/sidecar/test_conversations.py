"""Turns: batched idempotent ingestion, atomic batches, history, search, training examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from .conftest import eventually, table_counts


def turn(turn_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "turn_id": turn_id,
        "conversation_id": "conv-1",
        "content": "turn on the kitchen light",
        "response": "Turned on the kitchen light",
        "language": "en",
        "response_type": "action_done",
        "device_id": "satellite-kitchen",
        "area_id": "kitchen",
        "agent_id": "conversation.ai_memory",
        "latency_ms": 412.5,
        **fields,
    }


async def ingest(client: TestClient, *turns: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/conversations/turns", json={"turns": list(turns)})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_a_turn_is_stored_with_its_device_language_and_latency(client: TestClient) -> None:
    body = await ingest(client, turn("t1", memories_used=[3, 4], metadata={"pipeline": "p1"}))
    assert body["created"] == 1
    history = await (
        await client.get("/conversations/history", params={"conversation_id": "conv-1"})
    ).json()
    [stored] = history["turns"]
    assert stored["turn_id"] == "t1"
    assert stored["session_id"] == "conv-1"  # defaults to the conversation id
    assert stored["device_id"] == "satellite-kitchen"
    assert stored["language"] == "en"
    assert stored["latency_ms"] == 412.5
    assert stored["memories_used"] == [3, 4]
    assert stored["metadata"] == {"pipeline": "p1"}


async def test_re_sending_a_batch_stores_each_turn_exactly_once(client: TestClient) -> None:
    turns = [turn(f"t{i}", content=f"request {i}") for i in range(5)]
    first = await ingest(client, *turns[:3])
    # A retry after a lost answer, overlapping with new turns, and a duplicate in the batch.
    second = await ingest(client, *turns, turns[4])
    assert first["created"] == 3
    assert second["created"] == 2
    assert second["duplicates"] == 4
    assert [r["created"] for r in second["results"]] == [False, False, False, True, True, False]
    assert second["results"][0]["id"] == first["results"][0]["id"]
    assert second["results"][5]["id"] == second["results"][4]["id"]
    counts = await table_counts(client)
    assert counts["conversations"] == 5
    assert counts["training_data"] == 5


async def test_a_batch_with_one_bad_turn_writes_nothing(client: TestClient) -> None:
    response = await client.post(
        "/conversations/turns",
        json={"turns": [turn("good"), turn("bad", latency_ms=-1)]},
    )
    assert response.status == 400
    body = await response.json()
    assert body["error"] == "invalid_request"
    assert body["details"][0]["path"] == "turns.1.latency_ms"
    assert (await table_counts(client))["conversations"] == 0


async def test_history_is_oldest_first_and_limited_to_the_latest(client: TestClient) -> None:
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    await ingest(
        client,
        *[
            turn(
                f"t{i}",
                content=f"request {i}",
                created_at=(start + timedelta(minutes=i)).isoformat(),
            )
            for i in range(5)
        ],
        turn("other", conversation_id="conv-2", device_id="phone"),
    )
    history = await (
        await client.get(
            "/conversations/history", params={"conversation_id": "conv-1", "limit": "3"}
        )
    ).json()
    assert [t["content"] for t in history["turns"]] == ["request 2", "request 3", "request 4"]
    by_device = await (
        await client.get("/conversations/history", params={"device_id": "phone"})
    ).json()
    assert [t["turn_id"] for t in by_device["turns"]] == ["other"]
    missing = await client.get("/conversations/history")
    assert missing.status == 400


async def test_search_finds_past_turns_by_meaning_and_words(client: TestClient) -> None:
    await ingest(
        client,
        turn(
            "t1",
            content="what's the weather tomorrow",
            response="Sunny, 24 degrees",
            response_type="query_answer",
        ),
        turn("t2", content="turn off the garage light", response="Done"),
        turn("t3", content="add milk to the shopping list", response="Added milk", language="pl"),
    )

    async def embedded() -> bool:
        return (await (await client.get("/info")).json())["embeddings"]["backlog"] == 0

    await eventually(embedded)
    body = await (await client.get("/conversations/search", params={"query": "weather"})).json()
    assert body["mode"] == "hybrid"
    assert body["results"][0]["turn_id"] == "t1"
    polish = await (
        await client.get("/conversations/search", params={"query": "milk", "language": "pl"})
    ).json()
    assert [r["turn_id"] for r in polish["results"]] == ["t3"]


async def test_answered_turns_become_training_examples_typed_by_response(
    client: TestClient,
) -> None:
    await ingest(
        client,
        turn("cmd"),
        turn("question", response_type="query_answer", content="is the door locked"),
        turn("chat", response_type="error", content="tell me a joke"),
        turn("unanswered", response=None),
        turn("opted-out", training=False),
    )
    export = await client.get("/training/export", params={"mark_exported": "false"})
    lines = (await export.text()).splitlines()
    import json

    types = {
        json.loads(line)["metadata"]["turn_id"]: json.loads(line)["metadata"]["interaction_type"]
        for line in lines
    }
    assert types == {"cmd": "command", "question": "question", "chat": "conversation"}
