"""``simtool hunt``: run a policy on many seeds, check invariants, group the failures, print repros.

Every seed is one deterministic run of the same world and policy (with ``tie_shuffle`` and a
swarm subset of fault kinds when asked). The seeds run in chunks on a sweep executor
(``simtool.sweeps.executors``: in this process, on threads of it for a policy that waits on a
network, in this process's shared local pool, or on a Dask cluster), so the report does not
depend on where they ran. The local pool is started once per process and worker count and
reused by every later hunt (``shared_pool``): its workers, forked from a server that has
already loaded simtool, its plug-ins and the default world, keep what they parsed from one
hunt to the next. Failures are grouped
(``simtool.hunting.grouping``) by invariant and tools, or by signature with ``detail``; for
each group the smallest failing run gives the repro line: the exact ``simtool run`` command
that replays it. ``keep`` writes each group's smallest failing trace, ready for ``simtool
shrink``. Interrupted (Ctrl-C), a hunt stops its workers and reports the seeds that finished.
"""

from __future__ import annotations

import functools
import gc
import itertools
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import BrokenExecutor
from pathlib import Path
from typing import Any

from attrs import evolve, frozen

from simtool.config import apply_overrides, run_config
from simtool.errors import SpecError
from simtool.hunting.grouping import group_failures, summarize_invariants
from simtool.hunting.invariants import BUILT_IN_CHECKS, Check, check_trace, default_invariants, invariant
from simtool.hunting.outcomes import RUN_ERROR, Failure, FailureGroup, HuntReport, SeedOutcome
from simtool.hunting.output import check_writable
from simtool.hunting.progress import HuntProgress, QuietProgress
from simtool.hunting.signatures import offence_tools, signature
from simtool.hunting.swarm import swarm_choice
from simtool.jsonl import loads, loads_lines
from simtool.run import RunResult, resolve, run
from simtool.scoring.history import history_of
from simtool.sweeps.executors import DaskCluster, Executor, InProcess, ThreadPool, shared_pool
from simtool.trace import Trace

__all__ = [
    "RUN_ERROR",
    "SeedJob",
    "Failure",
    "SeedOutcome",
    "FailureGroup",
    "HuntReport",
    "parse_seeds",
    "run_seed",
    "run_seeds",
    "hunt",
    "kept_name",
]

MAX_BATCH = 8  # seeds per unit of work: few enough that an interrupted hunt stops at once


def parse_seeds(text: str) -> range:
    """``A:B`` (A included, B not, as in a Python slice) or a single seed ``S``."""
    try:
        if ":" in text:
            a, b = text.split(":", 1)
            seeds = range(int(a), int(b))
        else:
            seeds = range(int(text), int(text) + 1)
    except ValueError:
        raise SpecError("seeds must be a range", key="--seeds", expected="A:B (A included, B excluded) or S", found=text) from None
    if seeds.start < 0 or len(seeds) == 0:
        raise SpecError("the seed range is empty or negative", key="--seeds", expected="0 <= A < B", found=text)
    return seeds


@frozen
class SeedJob:
    config: Mapping[str, Any]
    seed: int
    overrides: tuple[str, ...]  # what this seed adds to the hunt's own overrides (tie shuffle, swarm)
    invariants: tuple[str, ...]
    checks: Mapping[str, Check]


def run_seed(job: SeedJob) -> SeedOutcome:
    """One run and its invariant checks."""
    try:
        result = run(job.config, job.seed)
    except Exception as exc:  # a crash is a finding too: report it, do not stop the hunt
        text = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        return SeedOutcome(job.seed, job.overrides, 0, 0, "error", (Failure(RUN_ERROR, text, 1, text),))
    collecting = gc.isenabled()
    gc.disable()  # see _checked
    try:
        return _checked(job, result)
    finally:
        if collecting:
            gc.enable()
            gc.collect(0)


def _checked(job: SeedJob, result: RunResult) -> SeedOutcome:
    """The run's invariant checks, its outcome.

    ``run_seed`` calls it with the cyclic garbage collector paused, then collects the youngest
    generation once: reading the trace makes thousands of containers at once, which set off
    collections that walked them all and freed only the run's own cyclic garbage (about 400
    objects a seed); reference counting frees the trace's values when this returns, so one
    collection of what is left frees that garbage at a fraction of the cost (collections in a
    hunt of the default world 0.29 -> 0.18 ms a seed). A caller that disabled the collector
    keeps it disabled.
    """
    shared = all(job.checks.get(name) in BUILT_IN_CHECKS for name in job.invariants)
    h = history_of(_own_trace(result, share_config=shared))
    found = check_trace(h, job.invariants, job.checks)
    failures = []
    for name in job.invariants:
        groups: dict[str, list[Any]] = {}
        for offence in found[name]:
            groups.setdefault(signature(h, offence), []).append(offence)
        for sig in sorted(groups):
            tools = tuple(sorted({t for o in groups[sig] for t in offence_tools(h, o)}))
            failures.append(Failure(name, sig, len(groups[sig]), groups[sig][0].why, tools))
    return SeedOutcome(job.seed, job.overrides, len(h.calls), len(result.lines), result.end_reason, tuple(failures))


def _own_trace(result: RunResult, *, share_config: bool = False) -> Trace:
    """The run's trace from its lines in memory, read in one pass (the values ``read_trace`` gives).

    ``share_config``: the header's config may be the very value an earlier seed's trace read
    (``_header``): only for a hunt whose every check is a built-in one, which reads no config
    (and changes nothing), so that no seed's check can see another's."""
    lines = result.lines
    header = _header(lines[0]) if share_config and len(lines) > 1 else None
    if header is None:
        records = loads_lines(lines)
        return Trace("<memory>", records[0], tuple(records[1:-1]), records[-1], lines)
    records = loads_lines(lines[1:])
    return Trace("<memory>", header, tuple(records[:-1]), records[-1], lines)


_CONFIG_KEY = '{"config":'  # a canonical header's first key (keys sorted), then ...
_AFTER_CONFIG = ',"config_hash":"'  # ... the key that follows it (the last occurrence in the line)
MAX_CONFIGS = 8  # configs read once per process (a swarm hunt has one per subset of fault kinds)


@functools.lru_cache(maxsize=MAX_CONFIGS)
def _config(text: str) -> Any:
    """The value of a header's config text, read once per process per distinct text (the text is the key)."""
    return loads(text)


def _header(line: str) -> dict[str, Any] | None:
    """A header line's value, its config read once per process per distinct text (None: read it whole).

    A canonical header is ``{"config":C,"config_hash":...}``: the line is the object of ``C``
    (``"config"``) and of the members of ``{"config_hash":...}``; read apart, each as
    ``simtool.jsonl.loads`` reads it, they give the value the whole line gives. The text of
    ``C`` is the memo's key: the config a hunt's seeds share is read by its first seed only.
    """
    cut = line.rfind(_AFTER_CONFIG)
    if cut < 0 or not line.startswith(_CONFIG_KEY):
        return None
    text = line[len(_CONFIG_KEY):cut]
    try:
        rest = loads("{" + line[cut + 1:])
        config = _config(text)
    except ValueError:  # not two JSON values there (json.JSONDecodeError is a ValueError): read it whole
        return None
    return {"config": config, **rest}


def run_seeds(jobs: Sequence[SeedJob]) -> list[SeedOutcome]:
    """Several seeds, in order: the unit of work an executor ships to a worker."""
    return [run_seed(job) for job in jobs]


def _batches(jobs: Sequence[SeedJob], workers: int) -> Iterator[tuple[SeedJob, ...]]:
    size = max(1, min(MAX_BATCH, len(jobs) // (workers * 8)))
    source = iter(jobs)
    while chunk := tuple(itertools.islice(source, size)):
        yield chunk


def kept_name(index: int, group: FailureGroup) -> str:
    """The file name of a group's kept trace: ``01-wrong_binding-seed5.jsonl``."""
    return f"{index:02d}-{group.invariant}-seed{group.smallest.seed}.jsonl"


def _keep(groups: Sequence[FailureGroup], configs: Mapping[int, Mapping[str, Any]], folder: Path,
          ) -> tuple[tuple[FailureGroup, ...], tuple[str, ...]]:
    """Write each group's smallest failing run's trace into ``folder`` (re-run: the same bytes)."""
    kept, errors = [], []
    for i, g in enumerate(groups, 1):
        if g.invariant == RUN_ERROR:
            kept.append(g)
            continue
        path = folder / kept_name(i, g)
        try:
            run(configs[g.smallest.seed], g.smallest.seed, path)
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror or exc}")
            kept.append(g)
            continue
        kept.append(evolve(g, kept=str(path)))
    return tuple(kept), tuple(errors)


def _executor(workers: int, scheduler: str | None, seeds: int, threads: int | None = None) -> Executor:
    """A fresh executor for one hunt (closed after it; closing the shared pool leaves it running)."""
    if scheduler:
        return DaskCluster(scheduler)
    if threads is not None:
        return ThreadPool(max(1, min(threads, seeds)))
    n = max(1, min(workers, seeds))
    return InProcess() if n == 1 else shared_pool(n)


def hunt(world: str | None, policy: str | None, seeds: range, *, tie_shuffle: bool = False, swarm: bool = False,
         invariants: Sequence[str] = (), overrides: Sequence[str] = (), workers: int = 1,
         scheduler: str | None = None, executor: Executor | None = None, detail: bool = False,
         keep: str | Path | None = None, progress: HuntProgress | None = None, threads: int | None = None) -> HuntReport:
    """Run ``policy`` on ``world`` for every seed; group failing seeds by invariant and tools (or signature).

    ``executor``: where the seeds run (the caller's, reused and left open); otherwise
    ``threads`` threads of this process, or ``scheduler``'s Dask cluster, or ``workers`` local
    processes (this process's shared pool of that size, kept for later hunts; 1: here). ``keep``: a folder
    for each group's smallest failing trace. Ctrl-C stops the hunt: the report then holds the
    seeds that finished, with ``interrupted`` set.
    """
    if keep is not None:
        check_writable(keep, "--keep", directory=True)
    base, where = run_config(world, policy, overrides)
    resolve(base, where)  # a bad world or policy fails here, naming its file and key, not in a worker
    names = tuple(invariants) or default_invariants()
    checks = {name: invariant(name) for name in names}
    policy_name = str(base["policy"]["name"])
    jobs = []
    for seed in seeds:
        extra = ["world.tie_shuffle=true"] if tie_shuffle else []
        if swarm:
            extra += swarm_choice(base["world"], seed).overrides
        config = apply_overrides(base, extra) if extra else base
        jobs.append(SeedJob(config, seed, tuple(extra), names, checks))
    progress = progress or QuietProgress()
    own = executor is None
    pool = executor if executor is not None else _executor(workers, scheduler, len(jobs), threads)
    done: dict[int, SeedOutcome] = {}
    interrupted = False
    stopped: str | None = None
    progress.start(len(jobs))
    stream = pool.imap(run_seeds, _batches(jobs, pool.workers))
    try:
        for batch in stream:
            for outcome in batch:
                done[outcome.seed] = outcome
                progress.outcome(outcome)
    except KeyboardInterrupt:  # Ctrl-C: report what finished
        interrupted = True
    except BrokenExecutor as exc:  # a worker process died (killed, or os._exit in a plug-in): keep what finished
        stopped = f"a worker process died ({type(exc).__name__}: {exc})"
    finally:
        stream.close()  # cancels the batches not yet started
        progress.stop()
        if own:
            pool.close()
    outcomes = tuple(done[s] for s in seeds if s in done)
    groups = group_failures(outcomes, names, world, policy_name, overrides, detail=detail)
    keep_errors: tuple[str, ...] = ()
    if keep is not None and groups:
        groups, keep_errors = _keep(groups, {job.seed: job.config for job in jobs}, Path(keep))
    return HuntReport(world, policy_name, seeds, names, tie_shuffle, swarm, outcomes, groups, detail,
                      summarize_invariants(groups), interrupted or len(outcomes) < len(jobs), keep_errors, stopped)
