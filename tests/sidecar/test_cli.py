"""The command line: --help, settings from the environment, refusals, migrate, the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar import cli
from sidecar.settings import ENV_VARS, SettingsError, settings_from_env

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_flag_and_environment_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--host", "--port", "--data-dir", "--token", "serve", "migrate"):
        assert flag in out
    for var in ENV_VARS:
        assert var.name in out


def test_readme_documents_every_environment_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [var.name for var in ENV_VARS if f"`{var.name}`" not in readme]
    assert missing == []


def test_seed_postgres_variables_build_a_quoted_url() -> None:
    settings = settings_from_env(
        {
            "POSTGRES_HOST": "postgres",
            "POSTGRES_PORT": "5433",
            "POSTGRES_USER": "ai_assistant",
            "POSTGRES_PASSWORD": "p@ss:word/1",
            "POSTGRES_DB": "ai_assistant",
        }
    )
    assert (
        settings.database_url
        == "postgresql://ai_assistant:p%40ss%3Aword%2F1@postgres:5433/ai_assistant"
    )
    assert not settings.embedded_database
    explicit = settings_from_env({"DATABASE_URL": "postgresql://x@y/z", "POSTGRES_HOST": "h"})
    assert explicit.database_url == "postgresql://x@y/z"
    assert settings_from_env({}).embedded_database


def test_flags_override_the_environment() -> None:
    settings = settings_from_env(
        {"AI_MEMORY_PORT": "9000", "AI_MEMORY_HOST": "0.0.0.0"}, port=9100, host=None
    )
    assert (settings.host, settings.port) == ("0.0.0.0", 9100)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AI_MEMORY_PORT": "eighty"}, "AI_MEMORY_PORT must be an integer"),
        ({"EMBEDDING_PROVIDER": "cohere"}, "EMBEDDING_PROVIDER must be"),
        ({"EMBEDDING_TIMEOUT_SECONDS": "-1"}, "must be positive"),
        ({"DB_POOL_MIN_SIZE": "5", "DB_POOL_MAX_SIZE": "2"}, "must not be smaller"),
    ],
)
def test_malformed_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from_env(env)


def test_a_non_loopback_address_without_a_token_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.delenv("AI_MEMORY_TOKEN", raising=False)
    code = cli.main(["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)])
    assert code == 2
    assert "needs a token" in capsys.readouterr().err
    assert not (tmp_path / "token").exists()


def test_migrate_command_applies_migrations(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert cli.main(["migrate"]) == 0
    assert "0001_initial_schema.sql" in capsys.readouterr().out
    assert cli.main(["migrate"]) == 0
    assert "newly: []" in capsys.readouterr().out


def test_a_generated_token_is_kept_private_and_reused(tmp_path: Path) -> None:
    from sidecar.auth import resolve_token

    token = resolve_token(None, tmp_path)
    assert len(token) >= 40
    assert (tmp_path / "token").stat().st_mode & 0o777 == 0o600
    assert resolve_token(None, tmp_path) == token
    assert resolve_token("given", tmp_path) == "given"
