"""Progress lines on stderr (the report goes to stdout)."""

from __future__ import annotations

import sys
from datetime import datetime


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)
