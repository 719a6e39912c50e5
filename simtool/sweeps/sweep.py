"""Running a sweep: plan the cells, skip those the store holds, stream the rest through an executor.

Rows are stored the moment their batch comes back, one durable line each; nothing else is
kept. A sweep stopped at any point and run again with the same spec and folder runs only
the cells missing from the store, so every cell ends up there exactly once.

A folder belongs to one spec: ``sweep.json`` records the spec's identity (all but its seeds
and the values of its swept paths, which may grow), and a different spec is refused before
anything is written. Failed cells are
run again on resume unless ``retry_failed=False`` (``simtool sweep --keep-failed``); a
cell's ok row replaces its failure. A spec refused before any cell runs leaves no folder
behind (nor anything in an existing one).
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from attrs import frozen

from simtool.errors import SpecError
from simtool.paths import check_output
from simtool.run import resolve
from simtool.sweeps.cells import Cell, cell_config, expand
from simtool.sweeps.execute import TRACES_DIR
from simtool.sweeps.executors import Executor, InProcess
from simtool.sweeps.progress import QuietProgress, SweepProgress
from simtool.sweeps.spec import SweepSpec
from simtool.sweeps.store import SWEEP_FILE, ResultStore, StoreError, refuse_link

__all__ = ["SweepReport", "run_sweep", "check_spec", "batches", "MAX_BATCH"]

MAX_BATCH = 32  # cells per unit of work: amortises shipping a batch, keeps rows streaming
CHECKED_CELLS = 64


@frozen
class SweepReport:
    out: str
    planned: int  # cells of the spec
    stored_before: int  # of them, already in the store with an ok row (or a failed one kept) when this run started
    ran: int  # run now
    failed: int  # of those run now, how many raised
    retried: int = 0  # of those run now, how many had failed before

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
    """``sweep.json``, replaced atomically through a fresh temp file (never through a planted link)."""
    target = out / SWEEP_FILE
    refuse_link(target)
    text = json.dumps(spec.describe(), indent=2, sort_keys=True, default=str) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".sweep.", suffix=".tmp", dir=out)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_folder(spec: SweepSpec, out: Path) -> None:
    """Refuse a sweep folder that holds another spec's rows, or a file where the folder goes."""
    if out.exists() and not out.is_dir():
        raise StoreError(f"{out}: the sweep folder goes where a file is; give --out a folder")
    if not out.exists():
        check_output(out / SWEEP_FILE, "sweep folder", key="--out")
        return
    for name in (SWEEP_FILE, TRACES_DIR):
        refuse_link(out / name)
    described = out / SWEEP_FILE
    if not described.exists():
        return
    try:
        known = json.loads(described.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{described}: not a sweep description ({exc}); is {out} a sweep folder?") from None
    identity = known.get("identity") if isinstance(known, dict) else None
    if identity is not None and identity != spec.identity:
        raise StoreError(f"{out} holds the rows of another sweep spec ('{known.get('name')}', identity {identity}; "
                         f"this spec '{spec.name}' is {spec.identity}): between runs into one folder only the seeds and "
                         "the values of swept paths may change; give --out another folder")


def run_sweep(spec: SweepSpec, out: str | Path, *, executor: Executor | None = None, keep_traces: bool = False,
              progress: SweepProgress | None = None, batch_size: int | None = None, retry_failed: bool = True) -> SweepReport:
    """Run the cells of ``spec`` missing from the store in ``out``; rows go there as they finish.

    ``executor``: where cells run (default: in this process); the caller closes it.
    ``keep_traces``: each cell's trace is written to ``out/traces/<cell>.jsonl``.
    ``retry_failed``: run again the cells whose stored row failed (else they count as done).
    Before anything is written: the folder must hold this spec's rows or none, and the spec's
    first cells must resolve (:func:`check_spec`).
    """
    out = Path(out)
    executor = executor or InProcess()
    progress = progress or QuietProgress()
    check_folder(spec, out)
    store = ResultStore(out)
    failed_before = store.keys() - store.keys(status="ok")
    stored = store.keys() if not retry_failed else store.keys(status="ok")
    planned = spec.size
    already = sum(1 for cell in expand(spec) if cell.key in stored)
    todo = planned - already
    if todo:
        check_spec(spec)
    with store:
        if stored != (store.keys() if not retry_failed else store.keys(status="ok")):
            raise StoreError(f"{out}: another sweep wrote this folder while this one started; run again")
        if keep_traces:
            refuse_link(out / TRACES_DIR)
        _write_description(out, spec)
        size = batch_size or _batch_size(todo, executor.workers)
        trace_dir = str(out.resolve()) if keep_traces else None
        ran = failed = retried = 0
        progress.start(spec.name, planned, already)
        try:
            pending = (cell for cell in expand(spec) if cell.key not in stored)
            for rows in executor.map(batches(pending, size), trace_dir):
                for row in rows:
                    store.append(row)
                    ran += 1
                    failed += row.get("status") != "ok"
                    retried += row.get("cell") in failed_before
                    progress.row(row)
        finally:
            progress.stop()
    return SweepReport(str(out), planned, already, ran, failed, retried)

