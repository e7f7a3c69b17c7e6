"""Sidecar configuration, read from environment variables (seed 001's names) and CLI flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

DEFAULT_PORT = 8080
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True, slots=True)
class EnvVar:
    """One documented environment variable; `--help` prints the whole table."""

    name: str
    default: str | None
    help: str


ENV_VARS: tuple[EnvVar, ...] = (
    EnvVar("AI_MEMORY_HOST", "127.0.0.1", "Address to listen on (--host)."),
    EnvVar("AI_MEMORY_PORT", str(DEFAULT_PORT), "Port to listen on (--port)."),
    EnvVar("AI_MEMORY_DATA_DIR", "./data", "Token file and embedded database (--data-dir)."),
    EnvVar(
        "AI_MEMORY_TOKEN", None, "Bearer token (--token); generated into the data dir if unset."
    ),
    EnvVar("DATABASE_URL", None, "postgresql://user:pass@host:port/db of an external PostgreSQL."),
    EnvVar("POSTGRES_HOST", None, "Seed 001 style connection, used when DATABASE_URL is unset."),
    EnvVar("POSTGRES_PORT", "5432", "Port of POSTGRES_HOST."),
    EnvVar("POSTGRES_USER", "ai_assistant", "User for POSTGRES_HOST."),
    EnvVar("POSTGRES_PASSWORD", None, "Password for POSTGRES_HOST."),
    EnvVar("POSTGRES_DB", "ai_assistant", "Database name on POSTGRES_HOST."),
    EnvVar("DB_POOL_MIN_SIZE", "1", "Smallest asyncpg pool size."),
    EnvVar("DB_POOL_MAX_SIZE", "8", "Largest asyncpg pool size."),
    EnvVar("EMBEDDING_PROVIDER", "ollama", "ollama, openai or none (vectors only from clients)."),
    EnvVar(
        "EMBEDDING_URL",
        "http://127.0.0.1:11434",
        "Base URL of the provider (OLLAMA_URL also read).",
    ),
    EnvVar("EMBEDDING_API_KEY", None, "Bearer key for an OpenAI-compatible provider."),
    EnvVar("EMBEDDING_MODEL", "nomic-embed-text", "Embedding model name."),
    EnvVar(
        "EMBEDDING_DIMENSIONS", None, "Expected dimension; the model's own wins when reachable."
    ),
    EnvVar("EMBEDDING_TIMEOUT_SECONDS", "10", "Timeout of one embedding request."),
    EnvVar("EMBEDDING_QUERY_PREFIX", None, "Prefix for queries (default by model, e.g. nomic)."),
    EnvVar("EMBEDDING_DOCUMENT_PREFIX", None, "Prefix for stored text (default by model)."),
    EnvVar("CACHE_TTL_SECONDS", "3600", "Lifetime of a response cache entry."),
    EnvVar("CACHE_MAX_ENTRIES", "1000", "Response cache size; least recently used go first."),
    EnvVar("MAX_BODY_BYTES", str(1024 * 1024), "Largest accepted request body."),
    EnvVar(
        "RETENTION_CONVERSATIONS_DAYS",
        "0",
        "Delete turns older than this many days (0 = keep forever).",
    ),
    EnvVar(
        "RETENTION_TRAINING_DAYS",
        "0",
        "Delete training examples, feedback and signals older than this (0 = keep forever).",
    ),
    EnvVar("RETENTION_INTERVAL_SECONDS", "3600", "How often the retention sweep runs."),
    EnvVar("LOG_LEVEL", "INFO", "Python logging level."),
)


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the sidecar needs to start; built once, never mutated."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path("data")
    token: str | None = field(default=None, repr=False)
    database_url: str | None = field(default=None, repr=False)  # may hold a password
    pool_min_size: int = 1
    pool_max_size: int = 8
    embedding_provider: str = "ollama"
    embedding_url: str = "http://127.0.0.1:11434"
    embedding_api_key: str | None = field(default=None, repr=False)
    embedding_model: str = "nomic-embed-text"
    embedding_dimensions: int | None = None
    embedding_timeout: float = 10.0
    embedding_query_prefix: str | None = None
    embedding_document_prefix: str | None = None
    cache_ttl_seconds: int = 3600
    cache_max_entries: int = 1000
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    retention_conversations_days: int = 0
    retention_training_days: int = 0
    retention_interval: float = 3600.0
    # Background work cadence; tests shorten it.
    backfill_interval: float = 5.0

    @property
    def embedded_database(self) -> bool:
        """True when no external database is configured and pgserver must start one."""
        return self.database_url is None

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from err
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError as err:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from err
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


def database_url_from_env(env: Mapping[str, str]) -> str | None:
    """DATABASE_URL wins; otherwise seed 001's POSTGRES_* variables when POSTGRES_HOST is set."""
    if url := env.get("DATABASE_URL"):
        return url
    host = env.get("POSTGRES_HOST")
    if not host:
        return None
    user = quote(env.get("POSTGRES_USER", "ai_assistant"), safe="")
    password = env.get("POSTGRES_PASSWORD")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    port = _int(env, "POSTGRES_PORT", 5432, minimum=1)
    database = quote(env.get("POSTGRES_DB", "ai_assistant"), safe="")
    return f"postgresql://{auth}@{host}:{port}/{database}"


def settings_from_env(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from the environment; CLI flags arrive as overrides (None = not given)."""
    env = os.environ if env is None else env
    provider = env.get("EMBEDDING_PROVIDER", "ollama").strip().lower()
    if provider not in {"ollama", "openai", "none"}:
        raise SettingsError(f"EMBEDDING_PROVIDER must be ollama, openai or none, got {provider!r}")
    dimensions = _int(env, "EMBEDDING_DIMENSIONS", 0, minimum=0) or None
    values: dict[str, object] = {
        "host": env.get("AI_MEMORY_HOST", "127.0.0.1"),
        "port": _int(env, "AI_MEMORY_PORT", DEFAULT_PORT, minimum=1),
        "data_dir": Path(env.get("AI_MEMORY_DATA_DIR", "data")),
        "token": env.get("AI_MEMORY_TOKEN") or None,
        "database_url": database_url_from_env(env),
        "pool_min_size": _int(env, "DB_POOL_MIN_SIZE", 1, minimum=1),
        "pool_max_size": _int(env, "DB_POOL_MAX_SIZE", 8, minimum=1),
        "embedding_provider": provider,
        "embedding_url": (
            env.get("EMBEDDING_URL") or env.get("OLLAMA_URL") or "http://127.0.0.1:11434"
        ).rstrip("/"),
        "embedding_api_key": env.get("EMBEDDING_API_KEY") or None,
        "embedding_model": env.get("EMBEDDING_MODEL", "nomic-embed-text"),
        "embedding_dimensions": dimensions,
        "embedding_timeout": _float(env, "EMBEDDING_TIMEOUT_SECONDS", 10.0),
        "embedding_query_prefix": env.get("EMBEDDING_QUERY_PREFIX"),
        "embedding_document_prefix": env.get("EMBEDDING_DOCUMENT_PREFIX"),
        "cache_ttl_seconds": _int(env, "CACHE_TTL_SECONDS", 3600, minimum=1),
        "cache_max_entries": _int(env, "CACHE_MAX_ENTRIES", 1000, minimum=1),
        "max_body_bytes": _int(env, "MAX_BODY_BYTES", 1024 * 1024, minimum=1024),
        "log_level": env.get("LOG_LEVEL", "INFO").upper(),
        "retention_conversations_days": _int(env, "RETENTION_CONVERSATIONS_DAYS", 0, minimum=0),
        "retention_training_days": _int(env, "RETENTION_TRAINING_DAYS", 0, minimum=0),
        "retention_interval": _float(env, "RETENTION_INTERVAL_SECONDS", 3600.0),
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.pool_max_size < settings.pool_min_size:
        raise SettingsError("DB_POOL_MAX_SIZE must not be smaller than DB_POOL_MIN_SIZE")
    return settings
