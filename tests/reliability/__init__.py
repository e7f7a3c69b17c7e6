"""Reliability tooling: a PostgreSQL that can be stopped, helper processes and fixtures over
them (fixtures.py), the load generator.

The tests using it live in tests/sidecar/test_faults_*.py, tests/sidecar/test_load.py,
tests/sidecar/test_fuzz_openapi.py and tests/integration/test_reliability_*.py; the long soak is
`python -m tests.reliability.load --help`.
"""
