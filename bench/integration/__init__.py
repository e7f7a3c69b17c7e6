"""Integration overhead: the time the AI Memory agent adds to an Assist turn.

Runs inside HA's test harness (pytest-homeassistant-custom-component provides `hass`) against
a real sidecar process; `bench/suite/integration_overhead.py` runs it as a pytest subprocess.
Not part of the test suite: `testpaths` is `tests`, and scripts/test names its directories.
"""
