"""``simtool report``: one self-contained HTML page per run or set of runs (timeline, violations,
explanation, scores, and the comparison of several runs)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simtool.scoring.history import History
    from simtool.trace import Trace

__all__ = ["report_html", "write_report", "config_differences"]


def write_report(traces: Sequence[Trace | History | str | Path], out: str | Path, *, title: str | None = None) -> Path:
    """Write the page for ``traces`` to ``out`` (its folder is created); returns the path.

    The page is built in full before the file is touched, and written to a temporary name
    beside ``out`` then renamed, so an existing page is replaced whole or not at all.
    """
    from simtool.report.page import report_html

    html = report_html(traces, title=title)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(target)
    return target


def __getattr__(name: str) -> Any:
    """The page builders, imported when first asked for: they bring in matplotlib (about a
    second), which every other ``simtool`` command, ``--help`` included, would pay for."""
    if name in ("report_html", "config_differences"):
        from simtool.report import page

        return getattr(page, name)
    raise AttributeError(f"module 'simtool.report' has no attribute {name!r}")
