"""The README's run command on a fresh data directory answers seed 001's curl examples.

Real processes only: `scripts/run --sidecar-only` (embedded PostgreSQL, generated token, no
Ollama running — as on a fresh machine, so search answers from full text) and the curl
commands of seed 001 with the bearer header added.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def running_sidecar() -> Iterator[tuple[str, str]]:
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-run-"))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AI_MEMORY_", "EMBEDDING_"))},
        "AI_MEMORY_PORT": str(port),
        "AI_MEMORY_DATA_DIR": str(data_dir),
        "EMBEDDING_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens: no Ollama
    }
    log = (data_dir / "run.log").open("w")
    process = subprocess.Popen(
        ["bash", "scripts/run", "--sidecar-only"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while "AI Memory sidecar:" not in (data_dir / "run.log").read_text():
            assert process.poll() is None, (data_dir / "run.log").read_text()
            assert time.monotonic() < deadline, (data_dir / "run.log").read_text()
            time.sleep(0.2)
        yield f"http://localhost:{port}", (data_dir / "token").read_text().strip()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def curl(*args: str) -> tuple[int, str]:
    result = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_seed_curl_examples_work_with_the_bearer_header(running_sidecar: tuple[str, str]) -> None:
    url, token = running_sidecar
    auth = f"Authorization: Bearer {token}"
    status, body = curl(
        "-X",
        "POST",
        f"{url}/memory/add",
        "-H",
        auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"content": "The user prefers lights at 50% brightness in the evening",'
        ' "tags": ["preference", "lighting"], "source": "user_feedback"}',
    )
    assert status == 201, body
    assert json.loads(body)["embedding_status"] == "pending"  # no Ollama here

    status, body = curl(
        "-X", "GET", f"{url}/memory/search?query=lighting%20preferences&limit=5", "-H", auth
    )
    assert status == 200, body
    search = json.loads(body)
    assert search["degraded"] is True
    assert search["results"][0]["content"].startswith("The user prefers lights")

    status, body = curl(
        "-X",
        "POST",
        f"{url}/preferences/set",
        "-H",
        auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"key": "entity_alias.my_office", "value": {"entity_id": "light.office_main"},'
        ' "category": "aliases"}',
    )
    assert status == 200, body
    status, body = curl(f"{url}/preferences/get?key=entity_alias.my_office", "-H", auth)
    assert json.loads(body)["value"] == {"entity_id": "light.office_main"}

    status, body = curl(
        "-X",
        "POST",
        f"{url}/training/feedback",
        "-H",
        auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"interaction_id": "conv_123", "score": 5, "comment": "Correctly turned on all lights"}',
    )
    assert status == 201, body

    for path in ("/training/export", "/cache/stats", "/memory/search?query=test&limit=1"):
        status, body = curl(f"{url}{path}", "-H", auth)
        assert status == 200, (path, body)
    status, body = curl("-X", "DELETE", f"{url}/cache/clear", "-H", auth)
    assert (status, json.loads(body)["cleared"]) == (200, "expired")

    status, body = curl(f"{url}/memory/search?query=test")  # and without the token
    assert status == 401
