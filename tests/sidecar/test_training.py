"""Feedback and the JSONL export in the chat-messages format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from .test_conversations import ingest, turn


async def export(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/training/export", params=params)
    assert response.status == 200
    assert response.content_type == "application/x-ndjson"
    return [json.loads(line) for line in (await response.text()).splitlines()]


async def test_seed_feedback_example_waits_for_its_turn(client: TestClient) -> None:
    response = await client.post(
        "/training/feedback",
        json={
            "interaction_id": "conv_123",
            "score": 5,
            "comment": "Correctly turned on all lights",
        },
    )
    assert response.status == 201
    body = await response.json()
    assert body["matched"] is False  # the turn has not arrived yet (HA may still queue it)
    await ingest(client, turn("conv_123", content="turn on all lights"))
    [example] = await export(client)
    assert example["metadata"]["feedback_score"] == 5


async def test_latest_feedback_wins_and_matches_known_turns(client: TestClient) -> None:
    await ingest(client, turn("t1"))
    first = await client.post("/training/feedback", json={"interaction_id": "t1", "score": 2})
    assert (await first.json())["matched"] is True
    await client.post(
        "/training/feedback", json={"interaction_id": "t1", "score": 4, "source": "voice"}
    )
    [example] = await export(client)
    assert example["metadata"]["feedback_score"] == 4


async def test_export_is_chat_messages_jsonl_and_marks_what_it_exported(client: TestClient) -> None:
    await ingest(
        client,
        turn("t1"),
        turn("t2", content="what time is it", response="Noon", response_type="query_answer"),
    )
    examples = await export(client)
    assert [e["messages"] for e in examples] == [
        [
            {"role": "user", "content": "turn on the kitchen light"},
            {"role": "assistant", "content": "Turned on the kitchen light"},
        ],
        [
            {"role": "user", "content": "what time is it"},
            {"role": "assistant", "content": "Noon"},
        ],
    ]
    assert examples[0]["metadata"]["language"] == "en"
    assert examples[0]["metadata"]["interaction_type"] == "command"
    assert await export(client) == []  # already exported
    assert len(await export(client, include_exported="true")) == 2
    stats = await (await client.get("/stats")).json()
    assert stats["training"] == {"examples": 2, "pending_export": 0, "with_feedback": 0}


async def test_export_filters_by_score_language_time_and_limit(client: TestClient) -> None:
    old = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    await ingest(
        client,
        turn("en-good"),
        turn("en-bad"),
        turn("pl-good", language="pl-PL", content="włącz światło", response="Włączono"),
        turn("old", created_at=old),
    )
    for interaction_id, score in (("en-good", 5), ("en-bad", 1), ("pl-good", 4), ("old", 5)):
        await client.post(
            "/training/feedback", json={"interaction_id": interaction_id, "score": score}
        )

    def ids(examples: list[dict[str, Any]]) -> list[str]:
        return [e["metadata"]["turn_id"] for e in examples]

    keep = {"mark_exported": "false"}
    assert ids(await export(client, min_score="4", **keep)) == ["en-good", "pl-good", "old"]
    assert ids(await export(client, language="pl", **keep)) == ["pl-good"]
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert ids(await export(client, since=since, **keep)) == ["en-good", "en-bad", "pl-good"]
    assert len(await export(client, limit="2", **keep)) == 2
    # Marking only covers what was exported.
    assert ids(await export(client, min_score="5")) == ["en-good", "old"]
    assert ids(await export(client)) == ["en-bad", "pl-good"]
