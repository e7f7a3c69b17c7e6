"""Health, readiness, identity, stats, metrics and the OpenAPI document."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from sidecar import __version__
from sidecar.api.routes import ROUTES
from sidecar.db.migrate import default_migrations_dir, load_migrations

from .conftest import MakeClient


async def test_health_and_readiness_need_no_token(make_client: MakeClient) -> None:
    client = await make_client(authorized=False)
    assert await (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await (await client.get("/readyz")).json()
    assert ready["status"] == "ready"
    every = len(load_migrations(default_migrations_dir()))
    assert ready["migrations"] == {"applied": every, "pending": 0}
    assert ready["embeddings"]["dimensions"] == 384


async def test_instance_id_is_stable_for_a_database(make_client: MakeClient) -> None:
    first = await (await (await make_client()).get("/info")).json()
    second = await (await (await make_client()).get("/info")).json()
    assert first["instance_id"] == second["instance_id"]
    assert len(first["instance_id"]) == 36
    assert first["embeddings"]["model"] == "nomic-embed-text"


async def test_stats_count_everything(client: TestClient) -> None:
    await client.post("/memory/add", json={"content": "a fact"})
    await client.post(
        "/preferences/set",
        json={"key": "entity_alias.lamp", "value": {"entity_id": "light.x"}, "category": "aliases"},
    )
    stats = await (await client.get("/stats")).json()
    assert stats["memories"] == 1
    assert stats["preferences"] == 1
    assert stats["aliases"] == 1
    assert stats["turns"] == 0
    assert stats["cache"]["entries"] == 0
    assert stats["embeddings"]["available"] is True
    assert stats["version"] == __version__  # HA polls /stats and checks the sidecar's age


async def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    await client.get("/memory/12345")
    text = await (await client.get("/metrics")).text()
    assert (
        'ai_memory_http_requests_total{method="GET",route="/memory/{memory_id}",status="404"} 1.0'
        in text
    )
    assert "ai_memory_embedding_available 1.0" in text
    assert "test-token" not in text


async def test_openapi_document_matches_the_routes(client: TestClient) -> None:
    document = await (await client.get("/openapi.json")).json()
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    served = {
        (route.method, route.resource.canonical)
        for route in client.app.router.routes()
        if route.method != "HEAD"
    }
    assert documented == served
    assert documented == {(route.method, route.path) for route in ROUTES}
    add = document["paths"]["/memory/add"]["post"]
    schema = add["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["content"]
    assert schema["additionalProperties"] is False
    assert add["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/healthz"]["get"]
    search = {p["name"]: p for p in document["paths"]["/memory/search"]["get"]["parameters"]}
    assert search["query"]["required"] is True
    assert search["limit"]["schema"]["maximum"] == 100
