"""Bearer-token auth of a real sidecar process, and secrets that must never leak.

Every non-health operation refuses missing, wrong and malformed credentials (including the
right token presented wrongly); the token and the embedding API key appear in no log line
(at DEBUG), no metric and no error answer; and the sidecar refuses to start on a non-loopback
address without a token.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from sidecar.api.routes import ROUTES
from tests.reliability.embedding_process import EmbeddingProcess
from tests.support.sidecar_process import REPO_ROOT, SidecarProcess

from .conftest import Postgres

SECRET_TOKEN = "tok-Zq8rW3xV9mK2pL7nB4cJ6hF1"
SECRET_API_KEY = "sk-embed-Yt5uI8oP2aS4dF6gH9jK"
WRONG_TOKEN = "tok-WRONG-Ab3Cd5Ef7Gh9Ij1Kl3Mn"


def _malformed(token: str) -> list[dict[str, str] | list[tuple[str, str]]]:
    """Credential variants that must all be refused (multi-headers as lists of pairs)."""
    return [
        {},
        {"Authorization": ""},
        {"Authorization": f"Bearer {WRONG_TOKEN}"},
        {"Authorization": "Bearer"},
        {"Authorization": token},  # no scheme
        {"Authorization": f"Basic {token}"},
        {"Authorization": f"Token {token}"},
        {"Authorization": f"Bearer {token[:-1]}"},  # a prefix
        {"Authorization": f"Bearer {token}x"},  # an extension
        {"Authorization": f"Bearer {token.upper()}"},
        {"Authorization": f"Bearer {token} {token}"},
        {"Authorization": f"Bearer,{token}"},
        {"X-Authorization": f"Bearer {token}"},
        [("Authorization", f"Bearer {WRONG_TOKEN}"), ("Authorization", f"Bearer {token}")],
        [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {WRONG_TOKEN}")],
    ]


@pytest.fixture(scope="module")
def provider() -> Iterator[EmbeddingProcess]:
    process = EmbeddingProcess(dimensions=16)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def sidecar(postgres: Postgres, provider: EmbeddingProcess) -> Iterator[SidecarProcess]:
    """DEBUG logging, an OpenAI-compatible provider that needs an API key."""
    name = postgres.create_database()
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-auth-"))
    process = SidecarProcess(
        data_dir,
        database_url=postgres.uri(name),
        token=SECRET_TOKEN,
        env={
            "LOG_LEVEL": "DEBUG",
            "EMBEDDING_PROVIDER": "openai",
            "EMBEDDING_URL": f"{provider.url}/v1",
            "EMBEDDING_API_KEY": SECRET_API_KEY,
            "EMBEDDING_MODEL": "text-embedding-3-small",
        },
    )
    process.start()
    yield process
    process.stop()
    postgres.drop_database(name)
    shutil.rmtree(data_dir, ignore_errors=True)


def _concrete(path: str) -> str:
    return re.sub(r"{\w+}", "1", path)


async def test_every_protected_operation_refuses_bad_credentials(
    sidecar: SidecarProcess, provider: EmbeddingProcess
) -> None:
    async with aiohttp.ClientSession() as session:
        for route in ROUTES:
            url = f"{sidecar.url}{_concrete(route.path)}"
            if route.public:
                async with session.request(route.method, url) as answer:
                    assert answer.status in {200, 503}
                continue
            for headers in _malformed(SECRET_TOKEN):
                async with session.request(route.method, url, headers=headers) as answer:
                    text = await answer.text()
                    assert answer.status == 401, (route.method, route.path, headers)
                    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
                    assert '"unauthorized"' in text
                    assert SECRET_TOKEN not in text
                    assert WRONG_TOKEN not in text
        # The right token works (so the refusals above were about the credentials).
        good = {"Authorization": f"Bearer {SECRET_TOKEN}"}
        async with session.get(f"{sidecar.url}/stats", headers=good) as answer:
            assert answer.status == 200


async def test_secrets_never_appear_in_logs_metrics_or_answers(
    sidecar: SidecarProcess, provider: EmbeddingProcess
) -> None:
    good = {"Authorization": f"Bearer {SECRET_TOKEN}"}
    answers = []
    async with aiohttp.ClientSession(headers=good) as session:
        for method, path, body in (
            ("POST", "/memory/add", {"content": "the hall lamp is blue"}),
            ("GET", "/memory/search?query=lamp", None),
            ("POST", "/memory/add", {"content": "x", "colour": "bad field"}),
            ("GET", "/memory/999999", None),
            ("GET", "/info", None),
            ("GET", "/stats", None),
        ):
            async with session.request(method, f"{sidecar.url}{path}", json=body) as answer:
                answers.append(await answer.text())
        provider.control(mode="error")  # the provider fails: its errors are logged
        try:
            async with session.post(
                f"{sidecar.url}/memory/add", json={"content": "while failing"}
            ) as answer:
                answers.append(await answer.text())
        finally:
            provider.control(mode="ok")
        async with session.get(f"{sidecar.url}/metrics") as answer:
            metrics = await answer.text()
    log = sidecar.log_path.read_text(errors="replace")
    assert "DEBUG" in log  # the log level really was DEBUG
    for secret in (SECRET_TOKEN, SECRET_API_KEY, WRONG_TOKEN):
        assert secret not in log
        assert secret not in metrics
        assert all(secret not in text for text in answers)


def test_non_loopback_address_without_token_is_refused() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-noauth-"))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "sidecar", "serve", "--host", "0.0.0.0", "--port", "0"],
            cwd=REPO_ROOT,
            env={
                "PATH": "/usr/bin:/bin",
                "AI_MEMORY_DATA_DIR": str(data_dir),
                "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        token_written = (data_dir / "token").exists()
        shutil.rmtree(data_dir, ignore_errors=True)
    assert result.returncode == 2
    assert "needs a token" in result.stderr
    assert "listening" not in result.stdout
    assert not token_written
