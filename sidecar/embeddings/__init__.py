"""Embedding providers (Ollama, OpenAI-compatible) behind one interface, and their upkeep."""
