"""ChromaDB (seed 000's pick): embedded PersistentClient, and its own server (`chroma run`)
reached with HttpClient. Cosine space; Chroma's HNSW defaults otherwise (M 16,
ef_construction 100, ef_search 100). No embedding function: vectors are given."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings

from .base import Peer, directory_bytes

BATCH = 1000
_SETTINGS = Settings(anonymized_telemetry=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Chroma(Peer):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._collection_name = "memories"

    def _client(self) -> Any:
        raise NotImplementedError

    def _collection(self) -> Any:
        collection = getattr(self._local, "collection", None)
        if collection is None:
            collection = self._client().get_collection(self._collection_name)
            self._local.collection = collection
        return collection

    def version(self) -> str:
        return str(chromadb.__version__)

    def load(self, contents: Sequence[str], domains: Sequence[str], vectors: np.ndarray) -> None:
        collection = self._client().create_collection(
            self._collection_name,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        for start in range(0, len(contents), BATCH):
            stop = min(start + BATCH, len(contents))
            collection.add(
                ids=[str(i) for i in range(start, stop)],
                embeddings=np.asarray(vectors[start:stop], dtype=np.float32),
                documents=list(contents[start:stop]),
                metadatas=[{"domain": d} for d in domains[start:stop]],
            )

    def search(self, vector: np.ndarray, k: int, domain: str | None) -> list[int]:
        answer = self._collection().query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where={"domain": domain} if domain is not None else None,
            include=["documents", "metadatas", "distances"],
        )
        return [int(i) for i in answer["ids"][0]]

    def add_one(self, row: int, content: str, domain: str, vector: np.ndarray) -> None:
        self._collection().add(
            ids=[str(row)],
            embeddings=[np.asarray(vector, dtype=np.float32)],
            documents=[content],
            metadatas=[{"domain": domain}],
        )

    def disk_bytes(self) -> int:
        return directory_bytes(self.path)


class ChromaEmbedded(_Chroma):
    name = "chroma-embedded"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.client = chromadb.PersistentClient(path=str(path), settings=_SETTINGS)

    def _client(self) -> Any:
        return self.client


class ChromaServer(_Chroma):
    name = "chroma-server"

    def __init__(self, path: Path, chroma_bin: str) -> None:
        super().__init__(path)
        self.port = _free_port()
        path.mkdir(parents=True, exist_ok=True)
        self.log = (path.parent / "chroma-server.log").open("w")
        self.process = subprocess.Popen(
            [
                chroma_bin,
                "run",
                "--path",
                str(path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self._client().heartbeat()
                break
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("chroma server did not start") from None
                time.sleep(0.2)

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = chromadb.HttpClient(host="127.0.0.1", port=self.port, settings=_SETTINGS)
            self._local.client = client
        return client

    def server_pid(self) -> int | None:
        return self.process.pid

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
