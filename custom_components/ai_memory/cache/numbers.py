"""Numbers in requests: digits everywhere, spelled-out numbers where CLDR knows the language.

"five minutes" and "5 minutes" are the same request; "5" and "6" never are. Spelled-out
forms come from `unicode_rbnf` (the CLDR number rules hassil itself uses for HA's number
ranges); when it is missing or does not know a language, spelled-out numbers simply stay
ordinary words, which the guard compares exactly — safe, just fewer cache hits.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal, InvalidOperation

from .templates import words_of

_LOGGER = logging.getLogger(__name__)

# Spelled-out numbers we recognise: every integer up to 100 and a few round ones above.
SPELLED = (*range(101), 120, 150, 200, 250, 300, 500, 1000)
DIGITS = re.compile(r"^\d+$")


def number_words(language: str) -> dict[tuple[str, ...], int]:
    """Word tuple → value for the language's spelled-out numbers (all grammatical forms)."""
    try:
        from unicode_rbnf import RbnfEngine  # noqa: PLC0415 - optional, ships with hassil
    except ImportError:  # pragma: no cover - HA always installs it with hassil
        return {}
    engine = None
    for candidate in (language, language.replace("-", "_"), language.split("-", maxsplit=1)[0]):
        try:
            engine = RbnfEngine.for_language(candidate)
            break
        except Exception:
            continue
    if engine is None:
        return {}
    found: dict[tuple[str, ...], int] = {}
    for value in SPELLED:
        try:
            result = engine.format_number(value)
        except Exception:
            continue
        for text in result.text_by_ruleset.values():
            key = tuple(words_of(text))
            if key and not any(DIGITS.match(word) for word in key):
                found.setdefault(key, value)
    return dict(sorted(found.items(), key=lambda item: len(item[0]), reverse=True))


def digit_value(token: str) -> str | None:
    """'05' → '5', '2.50' → '2.5' (decimal point or comma); None when not a number."""
    try:
        value = Decimal(token.replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return format(value.normalize(), "f")
