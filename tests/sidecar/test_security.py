"""Auth on every non-health route, and bad input: a clear 4xx, nothing written."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from sidecar.api.routes import ROUTES

from .conftest import MakeClient, table_counts


def concrete(path: str) -> str:
    return re.sub(r"{\w+}", "1", path)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic dGVzdDp0ZXN0"},
        {"Authorization": "Bearer"},
        {"Authorization": "test-token-0123456789"},  # right token, no scheme
    ],
    ids=["missing", "wrong", "basic", "empty", "no-scheme"],
)
async def test_every_non_health_route_refuses_bad_tokens(
    make_client: MakeClient, headers: dict[str, str]
) -> None:
    client = await make_client(authorized=False)
    for route in ROUTES:
        response = await client.request(route.method, concrete(route.path), headers=headers)
        if route.public:
            assert response.status in (200, 503), route.path
            continue
        assert response.status == 401, (route.method, route.path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"] == "unauthorized"
    assert set((await table_counts(client)).values()) == {0}


async def test_errors_never_echo_the_token(make_client: MakeClient) -> None:
    client = await make_client(authorized=False)
    response = await client.get("/stats", headers={"Authorization": "Bearer test-token-01234567"})
    assert "test-token" not in await response.text()


DEEP: Any = 1
for _ in range(20):
    DEEP = [DEEP]
DEEP = {"a": DEEP}

BAD_INPUT: list[tuple[str, str, Any, str]] = [
    ("POST", "/memory/add", {}, "content: required key not provided"),
    ("POST", "/memory/add", {"content": "x", "colour": "red"}, "colour: extra keys not allowed"),
    ("POST", "/memory/add", {"content": "a\u0000b"}, "content: must not contain NUL"),
    ("POST", "/memory/add", {"content": "   "}, "content: must not be empty"),
    ("POST", "/memory/add", {"content": "x", "metadata": {"k": "v\u0000"}}, "NUL"),
    ("POST", "/memory/add", {"content": "x", "importance": 2}, "importance"),
    ("POST", "/memory/add", {"content": "x", "domain": "a b; DROP TABLE knowledge"}, "domain"),
    ("POST", "/memory/add", {"content": "x", "tags": ["ok", "not ok!"]}, "tags.1"),
    ("POST", "/memory/add", {"content": "x", "embedding": [0.1, 0.2]}, "expected 384 dimensions"),
    ("POST", "/memory/add", {"content": "x", "embedding": [1, "a"]}, "embedding"),
    ("POST", "/memory/add", {"content": "x" * 40_000}, "longer than"),
    ("POST", "/memory/add", {"content": "x", "metadata": DEEP}, "nested deeper than 16"),
    ("POST", "/memory/batch", {"items": []}, "items"),
    ("GET", "/memory/search?query=x&limit=100000", None, "limit"),
    ("GET", "/memory/search?limit=5", None, "query: required key not provided"),
    ("GET", "/memory/search?query=x&query=y", None, "more than once"),
    ("GET", "/memory/search?query=x&since=yesterday", None, "since"),
    ("GET", "/memory/search?query=x&since=2026-01-01T00:00:00", None, "time zone"),
    ("POST", "/preferences/set", {"key": "a\nb", "value": 1}, "key"),
    (
        "POST",
        "/conversations/turns",
        {"turns": [{"turn_id": "t", "content": "x", "memories_used": ["1; DROP"]}]},
        "memories_used",
    ),
    ("POST", "/training/feedback", {"interaction_id": "t", "score": 6}, "score"),
    ("POST", "/training/feedback", {"interaction_id": "t", "score": "5"}, "score"),
    ("POST", "/training/feedback", {"interaction_id": "t", "score": True}, "score"),
    ("POST", "/cache/store", {"query": "q", "response": "r", "kind": "shell"}, "kind"),
    ("GET", "/training/export?min_score=9", None, "min_score"),
    ("DELETE", "/cache/clear?all=maybe", None, "all"),
]


@pytest.mark.parametrize(("method", "path", "body", "message"), BAD_INPUT)
async def test_bad_input_is_a_4xx_naming_the_problem_and_writes_nothing(
    client: TestClient, method: str, path: str, body: Any, message: str
) -> None:
    response = await client.request(method, path, json=body)
    assert response.status == 400, await response.text()
    answer = await response.json()
    assert answer["error"] == "invalid_request"
    assert message in answer["message"]
    assert set((await table_counts(client)).values()) == {0}


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"{not json", "invalid_json"),
        (b'{"content": NaN}', "invalid_json"),
        (b'{"content": Infinity}', "invalid_json"),
        (b'{"content": "\xff\xfe"}', "invalid_json"),
        (b"[" * 5000 + b"]" * 5000, "invalid_json"),
        (b'["content"]', "invalid_request"),
        (b'"just a string"', "invalid_request"),
        (b'{"content": "\\ud800"}', "invalid_"),
    ],
    ids=["syntax", "nan", "infinity", "utf8", "deep", "array", "string", "surrogate"],
)
async def test_malformed_bodies_are_refused(client: TestClient, raw: bytes, error: str) -> None:
    response = await client.post(
        "/memory/add", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["error"].startswith(error)
    assert (await table_counts(client))["knowledge"] == 0


async def test_oversized_bodies_and_wrong_media_types_are_refused(make_client: MakeClient) -> None:
    client = await make_client(max_body_bytes=4096)
    big = await client.post("/memory/add", json={"content": "x" * 5000})
    assert big.status == 413
    assert (await big.json())["error"] == "payload_too_large"
    form = await client.post(
        "/memory/add", data="content=x", headers={"Content-Type": "text/plain"}
    )
    assert form.status == 415
    assert (await form.json())["error"] == "unsupported_media_type"
    unknown = await client.get("/nothing/here")
    assert unknown.status == 404
    assert (await unknown.json())["error"] == "not_found"
    wrong_verb = await client.put("/memory/add")
    assert wrong_verb.status == 405
    assert (await wrong_verb.json())["error"] == "method_not_allowed"
    assert (await table_counts(client))["knowledge"] == 0
