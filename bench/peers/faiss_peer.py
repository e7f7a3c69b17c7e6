"""SQLite + FAISS (seed 003's current system): rows and full text (FTS5) in SQLite, vectors
in a FAISS HNSW index (inner product on unit vectors = cosine) keyed by the SQLite rowid.

Same HNSW parameters as the sidecar (M 16, efConstruction 64, efSearch 100). Domain filters
use FAISS's search-time ID selectors, one cached per domain. Hybrid = FTS5 bm25 top 40 and
FAISS top 40 fused by reciprocal rank (k = 60), like the sidecar's. The index is written to
disk after the bulk load; single adds update SQLite (committed) and the in-memory index.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from .base import Peer, directory_bytes

M, EF_CONSTRUCTION, EF_SEARCH = 16, 64, 100
CANDIDATES, RRF_K = 40, 60
BATCH = 1000
_WORD = re.compile(r"\w+", re.UNICODE)
SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE memories (id INTEGER PRIMARY KEY, content TEXT NOT NULL, domain TEXT NOT NULL);
CREATE INDEX memories_domain ON memories (domain);
CREATE VIRTUAL TABLE memories_fts
    USING fts5(content, content='memories', content_rowid='id');
"""
FULL_TEXT = """
SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY bm25(memories_fts) LIMIT ?
"""


class SqliteFaiss(Peer):
    name = "sqlite-faiss"
    hybrid_supported = True

    def __init__(self, path: Path, dim: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db_path = path / "memories.sqlite3"
        self._local = threading.local()
        self._write_lock = threading.Lock()
        hnsw = faiss.IndexHNSWFlat(dim, M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = EF_CONSTRUCTION
        hnsw.hnsw.efSearch = EF_SEARCH
        self.index = faiss.IndexIDMap(hnsw)
        self.selectors: dict[str, tuple[faiss.IDSelector, np.ndarray]] = {}
        db = self._db()
        db.executescript(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA synchronous = NORMAL")
            self._local.db = db
        return db

    def version(self) -> str:
        return f"faiss {faiss.__version__}, sqlite {sqlite3.sqlite_version}"

    def _insert(self, db: sqlite3.Connection, rows: list[tuple[int, str, str]]) -> None:
        db.execute("BEGIN")
        db.executemany("INSERT INTO memories (id, content, domain) VALUES (?, ?, ?)", rows)
        db.executemany(
            "INSERT INTO memories_fts (rowid, content) VALUES (?, ?)", [(r[0], r[1]) for r in rows]
        )
        db.execute("COMMIT")

    def load(self, contents: Sequence[str], domains: Sequence[str], vectors: np.ndarray) -> None:
        db = self._db()
        faiss.omp_set_num_threads(2)
        for start in range(0, len(contents), BATCH):
            stop = min(start + BATCH, len(contents))
            rows = [(i, contents[i], domains[i]) for i in range(start, stop)]
            self._insert(db, rows)
            self.index.add_with_ids(
                np.ascontiguousarray(vectors[start:stop], dtype=np.float32),
                np.arange(start, stop, dtype=np.int64),
            )
        faiss.write_index(self.index, str(self.path / "memories.faiss"))
        # Single-query searches: OpenMP threads only add overhead (and 8 client threads).
        faiss.omp_set_num_threads(1)

    def _selector(self, domain: str) -> faiss.IDSelector:
        cached = self.selectors.get(domain)
        if cached is None:
            ids = np.fromiter(
                (
                    row[0]
                    for row in self._db().execute(
                        "SELECT id FROM memories WHERE domain = ?", (domain,)
                    )
                ),
                dtype=np.int64,
            )
            cached = (faiss.IDSelectorBatch(ids), ids)  # keep ids alive with the selector
            self.selectors[domain] = cached
        return cached[0]

    def _nearest(self, vector: np.ndarray, k: int, domain: str | None) -> list[int]:
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        params = faiss.SearchParametersHNSW(efSearch=EF_SEARCH)
        if domain is not None:
            params.sel = self._selector(domain)
        _, ids = self.index.search(query, k, params=params)
        return [int(i) for i in ids[0] if i >= 0]

    def _fetch(self, ids: list[int]) -> list[int]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found = {
            row[0]: row
            for row in self._db().execute(
                f"SELECT id, content, domain FROM memories WHERE id IN ({marks})",
                ids,
            )
        }
        return [i for i in ids if i in found]

    def search(self, vector: np.ndarray, k: int, domain: str | None) -> list[int]:
        return self._fetch(self._nearest(vector, k, domain))

    def hybrid(self, text: str, vector: np.ndarray, k: int) -> list[int]:
        words = _WORD.findall(text.lower())
        scores: dict[int, float] = {}
        for rank, row in enumerate(self._nearest(vector, CANDIDATES, None), start=1):
            scores[row] = scores.get(row, 0.0) + 1 / (RRF_K + rank)
        if words:
            match = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
            rows = self._db().execute(FULL_TEXT, (match, CANDIDATES))
            for rank, (row,) in enumerate(rows, start=1):
                scores[row] = scores.get(row, 0.0) + 1 / (RRF_K + rank)
        best = sorted(scores, key=lambda row: (-scores[row], -row))[:k]
        return self._fetch(best)

    def add_one(self, row: int, content: str, domain: str, vector: np.ndarray) -> None:
        with self._write_lock:
            self._insert(self._db(), [(row, content, domain)])
            self.index.add_with_ids(
                np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1),
                np.asarray([row], dtype=np.int64),
            )
            self.selectors.pop(domain, None)

    def disk_bytes(self) -> int:
        return directory_bytes(self.path)
