"""Where cells run when the command line does not say: threads for cells that wait on a network,
processes for the others.

The rule (``simtool sweep``, ``simtool hunt``, ``simtool compare``): when none of
``--workers``, ``--threads``, ``--scheduler``, ``--dask-local`` is given, cells whose policy
makes network requests (a policy that declares ``network`` options, whose mode is not one of
its offline modes: the ``llm`` policy in ``live`` or ``record`` mode) run on
``DEFAULT_THREADS`` threads of one process; all others run as before (``sweep`` and ``hunt``:
a process per core; ``compare``: here). Such a cell spends nearly all its time waiting for the
model, so threads keep many conversations in flight at the cost of one process; a scripted
or replayed cell is CPU-bound, and threads (one interpreter lock) would not run it faster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from simtool.config import run_config
from simtool.errors import SimtoolError
from simtool.sweeps.cells import cell_config, expand
from simtool.sweeps.spec import SweepSpec
from simtool.trust import network_of

__all__ = ["DEFAULT_THREADS", "makes_requests", "any_makes_requests", "spec_makes_requests", "auto_threads"]

DEFAULT_THREADS = 16  # conversations in flight: a model API's usual concurrency, far below its rate limits


def makes_requests(policy: Mapping[str, Any]) -> bool:
    """Whether a run's policy section (``{"name": ..., options}``) asks a server over the network."""
    name = policy.get("name")
    if not isinstance(name, str):
        return False
    network = network_of(name)
    if network is None:
        return False
    return policy.get(network.mode, network.default) not in network.offline


def any_makes_requests(policies: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any of these policy sections asks a server (a config that cannot be built: no)."""
    try:
        return any(makes_requests(p) for p in policies)
    except SimtoolError:  # the cells will report it
        return False


def spec_makes_requests(spec: SweepSpec, checked: int = 64) -> bool:
    """Whether a sweep's cells ask a server: the policy sections of its first world's cells at
    its first seed (every policy and grid point, up to ``checked`` cells)."""

    def policies() -> Iterable[Mapping[str, Any]]:
        seen = 0
        for cell in expand(spec):
            if cell.world != spec.worlds[0] or seen >= checked:
                return
            if cell.seed != spec.seeds[0]:
                continue
            seen += 1
            yield cell_config(cell)[0]["policy"]

    return any_makes_requests(policies())


def auto_threads(worlds: Sequence[str], policies: Sequence[str], overrides: Sequence[str]) -> int | None:
    """``simtool compare``'s threads when none are asked for: ``DEFAULT_THREADS`` if a policy,
    on the first world with these overrides, asks a server; else None (one run at a time)."""
    if not worlds:
        return None

    def sections() -> Iterable[Mapping[str, Any]]:
        for policy in policies:
            yield run_config(worlds[0], policy, tuple(overrides))[0]["policy"]

    return DEFAULT_THREADS if any_makes_requests(sections()) else None
