"""The peers, run by bench/.venv's Python (chromadb, faiss-cpu) in their own processes.

`python -m bench.peers --peer NAME --data DIR --dim D --out FILE` loads the data set that
the suite wrote, runs the same figures as the sidecar's and writes them as JSON.
"""
