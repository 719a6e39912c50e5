"""How text splits into words, for counting (prose) and for case conversion (identifiers).

Prose words keep inner apostrophes and hyphens ("don't", "well-known"). Identifier words also
split camelCase and acronyms ("parseHTTPResponse2Fast" -> parse, HTTP, Response2, Fast), using
``str.isupper``/``islower`` so non-ASCII letters behave like ASCII ones.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["WORD", "prose_words", "identifier_words", "ascii_fold"]

WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def prose_words(text: str) -> list[str]:
    return WORD.findall(text)


def identifier_words(text: str) -> list[str]:
    # apostrophes join rather than split: "they're" -> "theyre", as slugs do
    text = text.replace("'", "").replace("’", "")
    words: list[str] = []
    current = ""
    for i, ch in enumerate(text):
        if not ch.isalnum():
            if current:
                words.append(current)
            current = ""
            continue
        if current:
            prev = current[-1]
            following = text[i + 1] if i + 1 < len(text) else ""
            boundary = (
                (prev.islower() and ch.isupper())
                or (prev.isdigit() and ch.isupper())
                or (prev.isupper() and ch.isupper() and following.islower())
            )
            if boundary:
                words.append(current)
                current = ""
        current += ch
    if current:
        words.append(current)
    return words


def ascii_fold(text: str) -> str:
    """Accents removed, other non-ASCII characters dropped: "Crème brûlée" -> "Creme brulee"."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
