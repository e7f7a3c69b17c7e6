"""Text normalisation shared by dedup (memories) and exact matching (cache)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
# Punctuation and symbols, in any script: "Turn on the light!" == "turn on the light".
_PUNCTUATION_CATEGORIES = ("P", "S")


def normalize(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: the identity of a fact."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def normalize_utterance(text: str) -> str:
    """`normalize` without punctuation: how an utterance is matched in the cache."""
    kept = "".join(
        " " if unicodedata.category(char).startswith(_PUNCTUATION_CATEGORIES) else char
        for char in unicodedata.normalize("NFKC", text)
    )
    return normalize(kept)


def sha256(*parts: str) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x1f")  # unit separator: ("a", "bc") != ("ab", "c")
    return digest.digest()
