"""StringTools: stateless text operations. It has no state, but every use is still a tool call.

Each tool returns a small object (``{"result": ...}`` and counts where useful) rather than a
bare string, so results read alike across tools; refusals are ``{"error": ...}``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import re2

from simtool.service import Service
from worlds.strings.safe_regex import compile_safe, text_too_long
from worlds.strings.words import WORD, ascii_fold, identifier_words, prose_words

__all__ = ["CASE_MODES", "MAX_WIDTH", "StringTools"]

MAX_WIDTH = 10_000  # padding beyond this is a mistake, not a layout

CASE_MODES = ("upper", "lower", "title", "capitalize", "swapcase", "snake", "kebab", "camel", "pascal", "constant")


def _title_word(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


class StringTools(Service):
    name = "StringTools"
    domain = "strings"
    schema_path = Path(__file__).with_name("tools.yaml")

    def change_case(self, text: str, mode: str) -> dict[str, Any]:
        if mode not in CASE_MODES:
            return {"error": f"Unknown case mode '{mode}'; expected one of: {', '.join(CASE_MODES)}."}
        if mode in ("upper", "lower", "swapcase", "capitalize"):
            return {"result": getattr(text, mode)()}
        if mode == "title":
            return {"result": WORD.sub(lambda m: _title_word(m.group(0)), text)}
        words = identifier_words(text)
        joined = {
            "snake": lambda: "_".join(w.lower() for w in words),
            "kebab": lambda: "-".join(w.lower() for w in words),
            "constant": lambda: "_".join(w.upper() for w in words),
            "pascal": lambda: "".join(_title_word(w) for w in words),
            "camel": lambda: "".join([w.lower() if i == 0 else _title_word(w) for i, w in enumerate(words)]),
        }
        return {"result": joined[mode]()}

    def reverse_text(self, text: str, unit: str = "characters") -> dict[str, Any]:
        if unit == "characters":
            return {"result": text[::-1]}
        if unit == "words":
            return {"result": " ".join(reversed(text.split()))}
        return {"error": f"Unknown unit '{unit}'; expected characters or words."}

    def replace_text(
        self, text: str, old: str, new: str, count: int | None = None, ignore_case: bool = False
    ) -> dict[str, Any]:
        if not old:
            return {"error": "The text to replace must not be empty."}
        if count is not None and count < 1:
            return {"error": "count must be at least 1 (omit it to replace every occurrence)."}
        # a function as replacement: ``new`` is literal text, never a regex template
        flags = re.IGNORECASE if ignore_case else 0
        result, made = re.subn(re.escape(old), lambda _: new, text, count=count or 0, flags=flags)
        return {"result": result, "replacements": made}

    def regex_find(self, text: str, pattern: str, ignore_case: bool = False, multiline: bool = False) -> dict[str, Any]:
        compiled = text_too_long(text) or compile_safe(pattern, ignore_case, multiline)
        if isinstance(compiled, str):
            return {"error": compiled}
        found = [
            {"match": m.group(0), "start": m.start(), "end": m.end(), "groups": list(m.groups())}
            for m in compiled.finditer(text)
        ]
        return {"count": len(found), "matches": found}

    def regex_replace(
        self, text: str, pattern: str, replacement: str, count: int | None = None, ignore_case: bool = False
    ) -> dict[str, Any]:
        compiled = text_too_long(text) or compile_safe(pattern, ignore_case)
        if isinstance(compiled, str):
            return {"error": compiled}
        if count is not None and count < 1:
            return {"error": "count must be at least 1 (omit it to replace every match)."}
        try:
            result, made = compiled.subn(replacement, text, count=count or 0)
        except (re.error, IndexError, re2.error) as exc:
            return {"error": f"Invalid replacement {replacement!r}: {exc}."}
        return {"result": result, "replacements": made}

    def split_text(
        self, text: str, separator: str | None = None, max_splits: int = -1, strip_parts: bool = False, drop_empty: bool = False
    ) -> dict[str, Any]:
        if separator == "":
            return {"error": "The separator must not be empty (omit it to split on whitespace)."}
        parts = text.split(separator, max_splits)
        if strip_parts:
            parts = [p.strip() for p in parts]
        if drop_empty:
            parts = [p for p in parts if p]
        return {"parts": parts, "count": len(parts)}

    def join_text(self, parts: list[str], separator: str = " ") -> dict[str, Any]:
        return {"result": separator.join(parts)}

    def pad_text(self, text: str, width: int, fill: str = " ", align: str = "left") -> dict[str, Any]:
        if len(fill) != 1:
            return {"error": "fill must be exactly one character."}
        if width > MAX_WIDTH:
            return {"error": f"width must be at most {MAX_WIDTH}."}
        aligned = {"left": text.ljust, "right": text.rjust, "center": text.center}
        if align not in aligned:
            return {"error": f"Unknown alignment '{align}'; expected left, right or center."}
        return {"result": aligned[align](width, fill)}

    def trim_text(self, text: str, characters: str | None = None, side: str = "both") -> dict[str, Any]:
        trimmed = {"both": text.strip, "left": text.lstrip, "right": text.rstrip}
        if side not in trimmed:
            return {"error": f"Unknown side '{side}'; expected both, left or right."}
        return {"result": trimmed[side](characters)}

    def count_substring(
        self, text: str, substring: str, ignore_case: bool = False, overlapping: bool = False
    ) -> dict[str, Any]:
        if not substring:
            return {"error": "The substring must not be empty."}
        haystack, needle = (text.casefold(), substring.casefold()) if ignore_case else (text, substring)
        if not overlapping:
            return {"count": haystack.count(needle)}
        found, start = 0, haystack.find(needle)
        while start != -1:
            found += 1
            start = haystack.find(needle, start + 1)
        return {"count": found}

    def slugify(self, text: str, separator: str = "-", max_length: int | None = None) -> dict[str, Any]:
        if separator not in ("-", "_", "."):
            return {"error": "separator must be '-', '_' or '.'."}
        if max_length is not None and max_length < 1:
            return {"error": "max_length must be at least 1."}
        slug = re.sub(r"[^a-z0-9]+", separator, ascii_fold(text).lower()).strip(separator)
        if max_length is not None:
            slug = slug[:max_length].rstrip(separator)
        return {"slug": slug}

    def word_count(self, text: str) -> dict[str, Any]:
        words = prose_words(text)
        sentences = [s for s in re.split(r"[.!?]+", text) if WORD.search(s)]
        return {
            "words": len(words),
            "unique_words": len({w.casefold() for w in words}),
            "characters": len(text),
            "characters_no_spaces": len("".join(text.split())),
            "lines": len(text.splitlines()),
            "sentences": len(sentences),
        }

    def word_frequencies(self, text: str, top: int | None = None, ignore_case: bool = True) -> dict[str, Any]:
        if top is not None and top < 1:
            return {"error": "top must be at least 1."}
        counts: dict[str, int] = {}
        for word in prose_words(text):
            key = word.lower() if ignore_case else word
            counts[key] = counts.get(key, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return {"frequencies": [{"word": w, "count": c} for w, c in ranked[:top]]}

    def truncate_text(self, text: str, max_length: int, suffix: str = "...", whole_words: bool = False) -> dict[str, Any]:
        if max_length < len(suffix):
            return {"error": f"max_length must be at least the suffix length ({len(suffix)})."}
        if len(text) <= max_length:
            return {"result": text, "truncated": False}
        cut = text[: max_length - len(suffix)]
        if whole_words and not text[len(cut) : len(cut) + 1].isspace() and " " in cut:
            cut = cut[: cut.rindex(" ")]
        return {"result": cut.rstrip() + suffix, "truncated": True}

    def is_palindrome(self, text: str, ignore_case: bool = True, ignore_non_alphanumeric: bool = True) -> dict[str, Any]:
        normalized = "".join(ch for ch in text if ch.isalnum()) if ignore_non_alphanumeric else text
        if ignore_case:
            normalized = normalized.casefold()
        return {"is_palindrome": normalized == normalized[::-1], "normalized": normalized}
