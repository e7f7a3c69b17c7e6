"""The bearer token: given, or generated once and kept in the data directory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

TOKEN_FILE = "token"


def resolve_token(token: str | None, data_dir: Path) -> str:
    """The configured token, else the stored one, else a new one written with mode 0600."""
    if token:
        return token
    path = data_dir / TOKEN_FILE
    if path.exists():
        stored = path.read_text(encoding="utf-8").strip()
        if stored:
            return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(generated + "\n")
    # The token itself is never logged: only where to read it.
    _LOGGER.warning("Generated a bearer token; read it from %s", path.resolve())
    return generated
