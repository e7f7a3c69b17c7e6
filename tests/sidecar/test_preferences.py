"""Preferences and aliases (seed 001's examples)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

SEED_ALIAS = {
    "key": "entity_alias.my_office",
    "value": {"entity_id": "light.office_main"},
    "category": "aliases",
}


async def test_seed_set_and_get_example(client: TestClient) -> None:
    response = await client.post("/preferences/set", json=SEED_ALIAS)
    assert response.status == 200
    assert (await response.json())["created"] is True
    got = await (
        await client.get("/preferences/get", params={"key": "entity_alias.my_office"})
    ).json()
    assert got["value"] == {"entity_id": "light.office_main"}
    assert got["category"] == "aliases"


async def test_setting_again_updates_the_value_and_keeps_the_category(client: TestClient) -> None:
    await client.post("/preferences/set", json=SEED_ALIAS)
    response = await client.post(
        "/preferences/set",
        json={"key": "entity_alias.my_office", "value": {"entity_id": "light.desk"}},
    )
    body = await response.json()
    assert body["created"] is False
    assert body["value"] == {"entity_id": "light.desk"}
    assert body["category"] == "aliases"
    assert body["updated_at"] >= body["created_at"]


async def test_any_json_value_is_kept_as_given(client: TestClient) -> None:
    for value in ("pl", 7, 0.5, True, ["a", "b"], {"time": "07:00", "days": [1, 2]}):
        await client.post("/preferences/set", json={"key": "user.value", "value": value})
        got = await (await client.get("/preferences/get", params={"key": "user.value"})).json()
        assert got["value"] == value
    refused = await client.post("/preferences/set", json={"key": "user.value", "value": None})
    assert refused.status == 400
    assert "delete the preference instead" in (await refused.json())["message"]


async def test_list_by_category_and_prefix_then_delete(client: TestClient) -> None:
    await client.post("/preferences/set", json=SEED_ALIAS)
    await client.post(
        "/preferences/set",
        json={
            "key": "entity_alias.lampka",
            "value": {"entity_id": "light.bed"},
            "category": "aliases",
        },
    )
    await client.post(
        "/preferences/set", json={"key": "user.wake_time", "value": {"time": "07:00"}}
    )
    aliases = await (await client.get("/preferences/list", params={"category": "aliases"})).json()
    assert [p["key"] for p in aliases["preferences"]] == [
        "entity_alias.lampka",
        "entity_alias.my_office",
    ]
    users = await (await client.get("/preferences/list", params={"prefix": "user."})).json()
    assert [p["key"] for p in users["preferences"]] == ["user.wake_time"]

    deleted = await client.delete("/preferences/delete", params={"key": "entity_alias.lampka"})
    assert await deleted.json() == {"deleted": True, "key": "entity_alias.lampka"}
    again = await client.delete("/preferences/delete", params={"key": "entity_alias.lampka"})
    assert again.status == 404
    missing = await client.get("/preferences/get", params={"key": "entity_alias.lampka"})
    assert missing.status == 404
