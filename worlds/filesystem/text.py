"""Line-oriented text operations behind ``wc``, ``sort``, ``grep``, ``tail``, ``diff`` and ``du -h``.

Pure functions of file contents; lines are ``str.splitlines()`` lines, as in the reference.
"""

from __future__ import annotations

__all__ = ["WC_MODES", "count", "sorted_lines", "matching_lines", "last_lines", "line_diff", "human_size"]

# wc mode -> the unit name the result reports
WC_MODES = {"l": "lines", "w": "words", "c": "characters"}


def count(content: str, mode: str) -> int:
    """Lines, whitespace-separated words, or characters (not bytes) of ``content``."""
    if mode == "l":
        return len(content.splitlines())
    if mode == "w":
        return len(content.split())
    return len(content)


def sorted_lines(content: str) -> str:
    return "\n".join(sorted(content.splitlines()))


def matching_lines(content: str, pattern: str) -> list[str]:
    """Lines containing ``pattern`` as a plain substring (no regular expressions)."""
    return [line for line in content.splitlines() if pattern in line]


def last_lines(content: str, lines: int) -> str:
    rows = content.splitlines()
    if lines > len(rows):
        lines = len(rows)
    # A slice from -lines, exactly as the reference: 0 keeps every line, a negative count
    # drops lines from the start. Agents rarely pass such counts; the result stays compatible.
    return "\n".join(rows[-lines:])


def line_diff(first: str, second: str) -> str:
    """Pairs of differing lines at the same position, ``- a`` over ``+ b``; extra lines are ignored."""
    pairs = zip(first.splitlines(), second.splitlines())
    return "\n".join(f"- {a}\n+ {b}" for a, b in pairs if a != b)


def human_size(size: int) -> str:
    """``205.00 B``, ``1.50 KB``, ... up to PB, two decimals, powers of 1024."""
    value: float = size
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} PB"
