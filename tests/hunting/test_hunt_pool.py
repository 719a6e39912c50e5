"""A hunt's workers: the same report for any number of workers (or threads), and one pool per
process and size, started once and reused by every later hunt."""

from __future__ import annotations

from simtool.hunting import hunt
from simtool.sweeps.executors import shared_pool

from .support import RACES

SEEDS = range(0, 24)


def _pids(workers: int) -> set[int]:
    return set(shared_pool(workers)._pool._processes)


def test_a_hunt_reports_the_same_for_any_number_of_workers_or_threads():
    alone = hunt(RACES, "eager", SEEDS, swarm=True, tie_shuffle=True, workers=1)
    assert alone.failed_seeds  # the report compared has findings in it
    for workers in (2, 3):
        assert hunt(RACES, "eager", SEEDS, swarm=True, tie_shuffle=True, workers=workers) == alone
    assert hunt(RACES, "eager", SEEDS, swarm=True, tie_shuffle=True, threads=3) == alone


def test_hunts_of_one_process_share_one_pool_started_once():
    first = hunt(RACES, "unbound", SEEDS, workers=2)
    pool, pids = shared_pool(2), _pids(2)
    assert len(pids) == 2
    second = hunt(RACES, "eager", SEEDS, workers=2)
    assert shared_pool(2) is pool and _pids(2) == pids  # the same worker processes served both hunts
    assert first == hunt(RACES, "unbound", SEEDS, workers=1)
    assert second == hunt(RACES, "eager", SEEDS, workers=1)


def test_a_pool_whose_worker_died_is_replaced_for_the_next_hunt():
    from simtool.scoring import register_invariant, unregister_invariant

    from .plugins import kills_its_worker

    register_invariant("test_kills_its_worker", kills_its_worker, scored=False, hunted=False)
    try:
        stopped = hunt(RACES, "eager", range(0, 40), invariants=["test_kills_its_worker"], workers=2)
    finally:
        unregister_invariant("test_kills_its_worker")
    assert stopped.stopped
    again = hunt(RACES, "eager", SEEDS, workers=2)
    assert not again.interrupted and again == hunt(RACES, "eager", SEEDS, workers=1)
