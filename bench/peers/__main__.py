"""`python -m bench.peers --peer NAME --data DIR --dim D --work DIR --out FILE [budget]`."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .base import Peer
from .driver import Budget, run_peer

PEERS = ("chroma-embedded", "chroma-server", "sqlite-faiss", "numpy-exact")


def _make(name: str, work: Path, dim: int) -> Peer:
    # Imported on demand: each peer process loads only its own library.
    if name == "numpy-exact":
        from .numpy_peer import NumpyExact  # noqa: PLC0415

        return NumpyExact()
    if name == "sqlite-faiss":
        from .faiss_peer import SqliteFaiss  # noqa: PLC0415

        return SqliteFaiss(work, dim)
    from .chroma_peer import ChromaEmbedded, ChromaServer  # noqa: PLC0415

    if name == "chroma-embedded":
        return ChromaEmbedded(work)
    return ChromaServer(work, str(Path(sys.executable).parent / "chroma"))


def _data(path: Path, dim: int) -> dict[str, Any]:
    docs = json.loads((path / "docs.json").read_text())
    specs = json.loads((path / "queries.json").read_text())
    queries = {}
    for name, spec in specs.items():
        stem = name.replace(":", "-")
        queries[name] = {
            "texts": spec["texts"],
            "domain": spec["domain"],
            "vectors": np.load(path / f"qvec_{stem}_{dim}.npy"),
            "truth": np.load(path / f"gt_{stem}_{dim}.npy"),
        }
    return {
        "contents": docs["contents"],
        "domains": docs["domains"],
        "vectors": np.load(path / f"vectors_{dim}.npy", mmap_mode="r"),
        "queries": queries,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peer", choices=PEERS, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--dim", type=int, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--concurrent-requests", type=int, default=400)
    parser.add_argument("--single-adds", type=int, default=300)
    parser.add_argument("--phase-seconds", type=float, default=120)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    data = _data(args.data, args.dim)
    peer = _make(args.peer, args.work, args.dim)
    try:
        result = run_peer(
            peer,
            data,
            Budget(args.warmup, args.concurrent_requests, args.single_adds, args.phase_seconds),
        )
    finally:
        peer.close()
    args.out.write_text(json.dumps(result, indent=1))
    shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
