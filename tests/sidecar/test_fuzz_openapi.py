"""Property-based fuzzing of every operation in the sidecar's own OpenAPI document.

Schemathesis reads `/openapi.json` from a real sidecar process and, for each operation,
generates valid and deliberately invalid requests (wrong types, missing fields, out-of-range
numbers, odd strings, undeclared methods, missing auth). Every answer must be a documented
status with the documented content type, headers and error body; no 5xx, ever; invalid
requests are refused; auth is never ignored.

FUZZ_EXAMPLES (default 20) sets the examples per operation; FUZZ_COVERAGE=1 adds schemathesis'
coverage phase (every boundary of every parameter, several minutes). A long run:
    FUZZ_EXAMPLES=500 FUZZ_COVERAGE=1 .venv/bin/python -m pytest -p no:homeassistant \
        tests/sidecar/test_fuzz_openapi.py
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from tests.reliability.stack import AUTH, TOKEN
from tests.support.sidecar_process import SidecarProcess

from .conftest import Postgres

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
COVERAGE = os.environ.get("FUZZ_COVERAGE") == "1"
HEADER_CONTROL_CHARACTERS = "".join(chr(c) for c in (*range(0x09), *range(0x0A, 0x20), 0x7F))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
    openapi_checks.ignored_auth,
]


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_context: Any, value: Any) -> bytes:
    """POST /memory/import: the generated body (one memory) as its only line."""
    return json.dumps(value).encode() + b"\n"


@pytest.fixture(scope="module")
def fuzzed_sidecar(postgres: Postgres) -> Iterator[SidecarProcess]:
    name = postgres.create_database()
    data_dir = Path(tempfile.mkdtemp(prefix="ai-memory-fuzz-"))
    # No provider: searches stay fast; vectors of 2 dimensions are often generated valid.
    process = SidecarProcess(
        data_dir,
        database_url=postgres.uri(name),
        token=TOKEN,
        env={"EMBEDDING_PROVIDER": "none", "EMBEDDING_DIMENSIONS": "2", "LOG_LEVEL": "WARNING"},
    )
    process.start()
    yield process
    process.stop()
    postgres.drop_database(name)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def api_schema(fuzzed_sidecar: SidecarProcess) -> Any:
    schema = schemathesis.openapi.from_url(
        f"{fuzzed_sidecar.url}/openapi.json", headers=AUTH, timeout=30
    )
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES,
        # aiohttp's parser refuses these in headers before the application sees the request.
        exclude_header_characters=HEADER_CONTROL_CHARACTERS,
    )
    # The coverage phase (every boundary of every parameter) takes minutes: long runs only.
    schema.config.phases.coverage.enabled = COVERAGE
    return schema


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


schema = schemathesis.pytest.from_fixture("api_schema")


def _aiohttp_parser_refusal(response: Any) -> bool:
    """aiohttp's HTTP parser refuses some requests (a request line or header over 8190 bytes,
    control characters in a header) with a plain-text 400 before the application sees them:
    refused and never stored, but not in our JSON error format."""
    content_type = response.headers.get("Content-Type", "")
    return response.status_code == 400 and content_type.startswith("text/plain")


def _query_not_delivered(case: Any, response: Any) -> bool:
    """A negative case whose extra query key has an empty value ([], {} or None) is sent
    without that key (requests drops it), so the sidecar received a valid request: the
    invalid part never reached it, and accepting it is correct."""
    sent = {key for key, _ in parse_qsl(urlsplit(response.request.url).query, True)}
    return any(key not in sent for key in case.query or {})


def _query_valid_as_sent(case: Any, response: Any) -> bool:
    """A negative case whose only invalid part is a query value that reads as a valid one once
    it is text: the integer 0 for a flag documented as a boolean or one of "0"/"1"/"yes"…, or
    the string "5" for an integer. A query string carries text only, so the sidecar received
    a valid request and accepting it is correct."""
    components = case.meta.components.items()
    negative = {location for location, component in components if component.mode.is_negative}
    if negative != {ParameterLocation.QUERY}:
        return False
    sent = parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True)
    if len({key for key, _ in sent}) != len(sent):
        return False
    for key, text in sent:
        parameter = case.operation.query.get(key)
        if parameter is None:
            return False
        validator = Draft202012Validator(parameter.definition.get("schema", {}))
        if not any(validator.is_valid(reading) for reading in _readings(text)):
            return False
    return True


def _readings(text: str) -> list[Any]:
    """What a query value can stand for: the text itself, and the JSON value it spells."""
    try:
        return [text, json.loads(text)]
    except ValueError:
        return [text]


@schema.parametrize()
@settings(
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_survives_fuzzing(
    case: Any, fuzzed_sidecar: SidecarProcess, http: requests.Session
) -> None:
    response = case.call(headers=AUTH, session=http, timeout=30)
    assert response.status_code < 500, response.text
    if _aiohttp_parser_refusal(response):
        return
    checks = CHECKS
    if _query_not_delivered(case, response) or _query_valid_as_sent(case, response):
        checks = [check for check in CHECKS if check is not openapi_checks.negative_data_rejection]
    case.validate_response(response, checks=checks, headers=AUTH)
    assert fuzzed_sidecar.running
