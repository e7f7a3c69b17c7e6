"""Fixtures over stack.py for the fault tests that own their PostgreSQL.

Not in a conftest: the tests that use them live in tests/sidecar and tests/integration, whose
conftests have fixtures of the same names with other meanings (the integration tests'
`sidecar` is a mocked one). A module imports the ones it needs, which then override those:

    from tests.reliability.fixtures import database_fixture  # noqa: F401 - pytest fixture

The fixture is named without `_fixture`, e.g. `database`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.sidecar_process import SidecarProcess

from .postgres import PostgresProcess
from .stack import private_postgres, running_sidecar


@pytest.fixture(name="database", scope="module")
def database_fixture() -> Iterator[PostgresProcess]:
    """A PostgreSQL of the test module's own: its tests may stop, crash or lock it."""
    with private_postgres() as pg:
        yield pg


@pytest.fixture(name="database_url")
def database_url_fixture(database: PostgresProcess) -> str:
    """An empty database of each test's own on the module's PostgreSQL."""
    name = f"ai_memory_{uuid.uuid4().hex[:12]}"
    database.create_database(name)
    return database.uri(name)


@pytest.fixture(name="sidecar")
def sidecar_fixture(database_url: str) -> Iterator[SidecarProcess]:
    """A sidecar process on the test's database (stack.running_sidecar)."""
    with running_sidecar(database_url) as process:
        yield process
