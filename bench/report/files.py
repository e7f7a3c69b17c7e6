"""bench/results/: one JSON file per run, latest.json, latest-<size>.json; and the results
block of bench/README.md (between the markers), rewritten from the latest of each size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .render import render

BEGIN = "<!-- results:begin (written by bench/run) -->"
END = "<!-- results:end -->"


def write_results(results_dir: Path, results: dict[str, Any]) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")
    path = results_dir / f"{stamp}-{results['size']}.json"
    text = json.dumps(results, indent=1, sort_keys=False, default=str)
    for target in (
        path,
        results_dir / "latest.json",
        results_dir / f"latest-{results['size']}.json",
    ):
        tmp = target.with_suffix(".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(target)
    return path


def update_readme(readme: Path, results_dir: Path) -> None:
    """Show the latest full run (if any) and the latest quick run, full first."""
    if not readme.exists():
        return
    blocks = []
    for size in ("full", "quick"):
        latest = results_dir / f"latest-{size}.json"
        if latest.exists():
            blocks.append(render(json.loads(latest.read_text()), with_tuning=True))
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        return
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + BEGIN + "\n\n" + "\n".join(blocks) + "\n" + END + tail)
