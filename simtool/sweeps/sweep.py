"""Running a sweep: plan the cells, skip those the store holds, stream the rest through an executor.

Rows are stored the moment their batch comes back, one durable line each; nothing else is
kept. A sweep stopped at any point and run again with the same spec and folder runs only
the cells missing from the store, so every cell ends up there exactly once.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from attrs import frozen

from simtool.errors import SpecError
from simtool.run import resolve
from simtool.sweeps.cells import Cell, cell_config, expand
from simtool.sweeps.executors import Executor, InProcess
from simtool.sweeps.progress import QuietProgress, SweepProgress
from simtool.sweeps.spec import SweepSpec
from simtool.sweeps.store import SWEEP_FILE, ResultStore

__all__ = ["SweepReport", "run_sweep", "check_spec", "batches", "MAX_BATCH"]

MAX_BATCH = 32  # cells per unit of work: amortises shipping a batch, keeps rows streaming
CHECKED_CELLS = 64


@frozen
class SweepReport:
    out: str
    planned: int  # cells of the spec
    stored_before: int  # of them, already in the store when this run started
    ran: int  # run now
    failed: int  # of those run now, how many raised

    @property
    def complete(self) -> bool:
        return self.stored_before + self.ran == self.planned


def batches(cells: Iterable[Cell], size: int) -> Iterator[tuple[Cell, ...]]:
    source = iter(cells)
    while chunk := tuple(itertools.islice(source, size)):
        yield chunk


def check_spec(spec: SweepSpec) -> None:
    """Fail before any work on what the spec itself gets wrong: a path, a value, a policy option.

    Builds (without running) the first world's cells for each grid point and policy. Other
    worlds are only loaded by their cells: a world that fails there is a failed cell.
    """
    seen = 0
    for cell in expand(spec):
        if cell.world != spec.worlds[0] or seen >= CHECKED_CELLS:
            return
        if cell.seed != spec.seeds[0]:
            continue
        seen += 1
        try:
            config, where = cell_config(cell)
            resolve(config, where)
        except SpecError as exc:
            params = ", ".join(f"{k}={v!r}" for k, v in cell.params)
            raise SpecError(f"sweep '{spec.name}', world {cell.world}, policy {cell.policy.label}"
                            + (f", {params}" if params else "") + f": {exc}") from None


def _batch_size(todo: int, workers: int) -> int:
    """Enough batches for every worker to get several (a balanced finish), at most MAX_BATCH cells each."""
    return max(1, min(MAX_BATCH, todo // (workers * 8)))


def _write_description(out: Path, spec: SweepSpec) -> None:
    target = out / SWEEP_FILE
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(spec.describe(), indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def run_sweep(spec: SweepSpec, out: str | Path, *, executor: Executor | None = None, keep_traces: bool = False,
              progress: SweepProgress | None = None, batch_size: int | None = None) -> SweepReport:
    """Run the cells of ``spec`` missing from the store in ``out``; rows go there as they finish.

    ``executor``: where cells run (default: in this process); the caller closes it.
    ``keep_traces``: each cell's trace is written to ``out/traces/<cell>.jsonl``.
    """
    out = Path(out)
    executor = executor or InProcess()
    progress = progress or QuietProgress()
    store = ResultStore(out)
    with store:
        stored = store.keys()
        planned = spec.size
        already = sum(1 for cell in expand(spec) if cell.key in stored)
        todo = planned - already
        if todo:
            check_spec(spec)
        _write_description(out, spec)
        size = batch_size or _batch_size(todo, executor.workers)
        trace_dir = str(out.resolve()) if keep_traces else None
        ran = failed = 0
        progress.start(spec.name, planned, already)
        try:
            pending = (cell for cell in expand(spec) if cell.key not in stored)
            for rows in executor.map(batches(pending, size), trace_dir):
                for row in rows:
                    store.append(row)
                    ran += 1
                    failed += row.get("status") != "ok"
                    progress.row(row)
        finally:
            progress.stop()
    return SweepReport(str(out), planned, already, ran, failed)

