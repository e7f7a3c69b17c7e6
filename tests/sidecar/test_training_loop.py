"""The training loop: idempotent feedback, implicit signals, complaints about cache hits, and
the export in the chat-messages format with tool calls, streamed and marked in batches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from .conftest import table_counts
from .test_conversations import ingest, turn

TOOL_CALLS = [
    {
        "id": "call_1",
        "name": "HassTurnOn",
        "arguments": {"name": "Kitchen light"},
        "result": {"response_type": "action_done", "data": {"success": [{"id": "light.k"}]}},
    }
]


def at(seconds: float) -> str:
    """A fixed point in time `seconds` after a base (turns need distinct times)."""
    return (datetime(2026, 1, 5, 18, 0, tzinfo=UTC) + timedelta(seconds=seconds)).isoformat()


async def export(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/training/export", params=params)
    assert response.status == 200
    # A standard JSON reader, one line at a time: the JSONL contract.
    return [json.loads(line) for line in (await response.text()).splitlines()]


def by_turn(examples: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {example["metadata"]["turn_id"]: example for example in examples}


async def test_feedback_with_the_same_id_is_recorded_once(client: TestClient) -> None:
    await ingest(client, turn("t1"))
    body = {"interaction_id": "t1", "score": 2, "feedback_id": "fb-1", "source": "voice"}
    first = await client.post("/training/feedback", json=body)
    again = await client.post("/training/feedback", json={**body, "score": 5})
    assert first.status == 201
    assert again.status == 200
    first_body, again_body = await first.json(), await again.json()
    assert first_body["created"] is True
    assert again_body == {**first_body, "created": False}
    assert (await table_counts(client))["feedback"] == 1
    [example] = await export(client)
    assert example["metadata"]["feedback_score"] == 2  # the re-send changed nothing


async def test_export_carries_tool_calls_in_the_chat_messages_format(client: TestClient) -> None:
    await ingest(
        client,
        turn("t1", metadata={"handled_by": "target_agent", "tool_calls": TOOL_CALLS}),
        turn("t2", content="tell me a joke", response="Knock knock", response_type=None),
    )
    examples = by_turn(await export(client))
    messages = examples["t1"]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    call = messages[1]["tool_calls"][0]
    assert call["type"] == "function"
    assert call["function"]["name"] == "HassTurnOn"
    assert json.loads(call["function"]["arguments"]) == {"name": "Kitchen light"}
    assert messages[1]["content"] is None
    assert messages[2]["tool_call_id"] == call["id"] == "call_1"
    assert json.loads(messages[2]["content"])["response_type"] == "action_done"
    assert messages[3] == {"role": "assistant", "content": "Turned on the kitchen light"}
    assert examples["t1"]["metadata"]["interaction_type"] == "command"
    assert examples["t1"]["metadata"]["handled_by"] == "target_agent"
    assert [m["role"] for m in examples["t2"]["messages"]] == ["user", "assistant"]
    assert examples["t2"]["metadata"]["interaction_type"] == "conversation"


async def test_export_filters_by_interaction_type(client: TestClient) -> None:
    await ingest(
        client,
        turn("cmd"),
        turn("q", content="what time is it", response="Noon", response_type="query_answer"),
    )
    only = await export(client, interaction_type="question", mark_exported="false")
    assert [e["metadata"]["turn_id"] for e in only] == ["q"]
    bad = await client.get("/training/export", params={"interaction_type": "chat"})
    assert bad.status == 400


async def test_a_repeated_request_marks_the_first_answer(client: TestClient) -> None:
    await ingest(
        client,
        turn("first", created_at=at(0)),
        turn("again", created_at=at(15)),
        turn("later", content="what time is it", created_at=at(200)),
        turn("later-again", content="what time is it", created_at=at(400)),  # too late
    )
    signals = {k: e["metadata"]["signals"] for k, e in by_turn(await export(client)).items()}
    assert signals == {"first": ["repeated"], "again": [], "later": [], "later-again": []}


async def test_an_immediate_correction_marks_the_answer_it_corrects(client: TestClient) -> None:
    await ingest(
        client,
        turn("wrong", content="turn on the bedroom lamp", created_at=at(0)),
        turn("fix", content="no, the kitchen lamp", created_at=at(8)),
        turn("rephrase", content="switch the kitchen lamp on", created_at=at(60)),
        turn("rephrased", content="switch the kitchen lamp on please", created_at=at(70)),
        # Another device in between does not count.
        turn("other", content="turn on the bedroom lamp", created_at=at(71), device_id="phone"),
        turn("unrelated", content="what is the weather", created_at=at(75)),
    )
    signals = {k: e["metadata"]["signals"] for k, e in by_turn(await export(client)).items()}
    assert signals["wrong"] == ["corrected"]
    assert signals["fix"] == []  # a different request, 52 s later
    assert signals["rephrase"] == ["corrected"]
    assert signals["rephrased"] == []
    assert signals["other"] == []


async def test_turns_arriving_out_of_order_in_one_batch_are_compared_in_time_order(
    client: TestClient,
) -> None:
    await ingest(client, turn("b", created_at=at(10)), turn("a", created_at=at(0)))
    signals = {k: e["metadata"]["signals"] for k, e in by_turn(await export(client)).items()}
    assert signals == {"a": ["repeated"], "b": []}


async def cached_plan(client: TestClient) -> int:
    stored = await client.post(
        "/cache/store",
        json={"query": "turn on the kitchen light", "response": "Done", "kind": "plan"},
    )
    return (await stored.json())["id"]


def cache_hit(entry_id: int) -> dict[str, Any]:
    return {"handled_by": "cache", "cache": {"hit": True, "match": "exact", "entry_id": entry_id}}


async def test_negative_feedback_on_a_cache_hit_drops_the_entry_once(client: TestClient) -> None:
    entry_id = await cached_plan(client)
    await ingest(client, turn("hit", metadata=cache_hit(entry_id)))
    for score in (1, 2):
        await client.post("/training/feedback", json={"interaction_id": "hit", "score": score})
    lookup = await client.post("/cache/lookup", json={"query": "turn on the kitchen light"})
    assert (await lookup.json())["hit"] is False
    counters = await (await client.get("/cache/stats")).json()
    assert counters["false_hits"] == 1
    [example] = await export(client)
    assert example["metadata"]["signals"] == ["cache_complaint"]
    assert example["metadata"]["cache"]["entry_id"] == entry_id


async def test_praise_for_a_cache_hit_keeps_the_entry(client: TestClient) -> None:
    entry_id = await cached_plan(client)
    await ingest(client, turn("hit", metadata=cache_hit(entry_id)))
    await client.post("/training/feedback", json={"interaction_id": "hit", "score": 5})
    lookup = await client.post("/cache/lookup", json={"query": "turn on the kitchen light"})
    assert (await lookup.json())["hit"] is True
    assert (await (await client.get("/cache/stats")).json())["false_hits"] == 0


async def test_a_correction_right_after_a_cache_hit_is_a_complaint(client: TestClient) -> None:
    entry_id = await cached_plan(client)
    await ingest(client, turn("hit", metadata=cache_hit(entry_id), created_at=at(0)))
    await ingest(client, turn("fix", content="no, I said the hall light", created_at=at(5)))
    counters = await (await client.get("/cache/stats")).json()
    assert (counters["false_hits"], counters["entries"]) == (1, 0)
    signals = {k: e["metadata"]["signals"] for k, e in by_turn(await export(client)).items()}
    assert signals["hit"] == ["cache_complaint", "corrected"]


async def test_a_large_export_streams_marks_everything_and_is_not_repeated(
    client: TestClient,
) -> None:
    for start in range(0, 1200, 400):
        await ingest(
            client,
            *(
                turn(f"t{i}", content=f"request number {i}", created_at=at(i * 100))
                for i in range(start, start + 400)
            ),
        )
    response = await client.get("/training/export")
    assert response.content_type == "application/x-ndjson"
    lines = 0
    async for line in response.content:
        example = json.loads(line)
        assert example["messages"][0]["role"] == "user"
        lines += 1
    assert lines == 1200
    assert await export(client) == []
    stats = await (await client.get("/stats")).json()
    assert stats["training"]["pending_export"] == 0
    assert len(await export(client, include_exported="true", mark_exported="false")) == 1200
