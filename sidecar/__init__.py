"""AI Memory sidecar: the assistant's memory in PostgreSQL + pgvector, served over HTTP."""

__version__ = "0.1.0"
