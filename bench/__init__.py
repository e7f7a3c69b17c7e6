"""Benchmarks of the AI Memory sidecar side by side with ChromaDB, SQLite + FAISS and numpy.

`bench/run --size quick|full` runs everything; see bench/README.md.
"""
