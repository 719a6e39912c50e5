"""Sweeps: a grid of deterministic runs (worlds x policies x seeds x config values), one score row
per cell in an append-only store, run in this process, a local pool or on a Dask cluster."""

from simtool.sweeps.cells import Cell, cell_config, cell_key, expand
from simtool.sweeps.execute import run_batch, run_cell
from simtool.sweeps.executors import DaskCluster, Executor, InProcess, LocalPool, make_executor
from simtool.sweeps.spec import PolicyChoice, SweepSpec, load_spec, parse_spec, spec_from_text
from simtool.sweeps.store import ResultStore, StoreError, load_rows
from simtool.sweeps.sweep import SweepReport, check_spec, run_sweep

__all__ = [
    "Cell",
    "cell_config",
    "cell_key",
    "expand",
    "run_cell",
    "run_batch",
    "Executor",
    "InProcess",
    "LocalPool",
    "DaskCluster",
    "make_executor",
    "PolicyChoice",
    "SweepSpec",
    "load_spec",
    "parse_spec",
    "spec_from_text",
    "ResultStore",
    "StoreError",
    "load_rows",
    "SweepReport",
    "check_spec",
    "run_sweep",
]
