"""Running cells (in whatever process an executor puts them): one run, one score row each.

A row is the trace's score (``simtool.scoring.score_trace``: the ``simtool score --json``
keys) plus the cell's own columns (``Cell.columns``: key, world source, policy label and
name, seed, every override path). A cell that raises becomes a row with ``status: failed``
and its ``error``; the sweep goes on. A row holds no wall-clock figure, so it is the same
whichever executor, process or machine ran it. The trace lives only while its cell runs
(and on disk with ``trace_dir``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simtool.run import run
from simtool.scoring import score_trace, trace_from_lines
from simtool.sweeps.cells import Cell, cell_config
from simtool.trust import files_beside

__all__ = ["run_cell", "run_batch", "TRACES_DIR", "trace_name"]

TRACES_DIR = "traces"


def trace_name(cell: Cell) -> str:
    """A kept trace's path relative to the sweep folder."""
    return f"{TRACES_DIR}/{cell.key}.jsonl"


def run_cell(cell: Cell, out_dir: str | None = None) -> dict[str, Any]:
    """The row of one cell; with ``out_dir`` its trace is kept there under ``traces/``."""
    trace = trace_name(cell) if out_dir is not None else None
    try:
        config, where = cell_config(cell)
        with files_beside(cell.beside):
            result = run(config, cell.seed, Path(out_dir, trace) if trace else None, where, keep_lines=True)
        score = score_trace(trace_from_lines(result.lines))
    except Exception as exc:  # a failing cell is a result, not the end of the sweep
        return {**cell.columns(), "status": "failed", "error": f"{type(exc).__name__}: {exc}", "trace": None}
    return {**score, **cell.columns(), "status": "ok", "error": None, "trace": trace}


def run_batch(cells: Sequence[Cell], out_dir: str | None = None) -> list[dict[str, Any]]:
    """Rows of several cells, in order: the unit of work an executor ships to a worker."""
    return [run_cell(cell, out_dir) for cell in cells]
