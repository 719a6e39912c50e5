"""How a hunt reads each run's trace (issue 17, the hunt part): the header's config read once per
process and shared only between seeds whose checks are all built-in, with the values a whole
read gives; a user's check never sees another seed's config; the garbage collector paused
while a seed is checked, and left as it was found."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from simtool.config import run_config
from simtool.hunting.hunt import SeedJob, _checked, _header, _own_trace, run_seed
from simtool.hunting.invariants import BUILT_IN_CHECKS, default_invariants, invariant
from simtool.jsonl import loads
from simtool.run import run
from simtool.scoring.invariants import invariant_table
from simtool.trace import canonical

from .support import RACES


def _typed(value: Any) -> str:
    """A text that tells 1 from 1.0, True from 1, and keeps key order."""
    return json.dumps(value)


@pytest.mark.parametrize(("world", "policy"), [(None, "interleave"), ("ticketing-demo", "eager"), (RACES, "oblivious")])
def test_a_header_read_in_two_parts_is_the_header_read_whole(world, policy):
    config, where = run_config(world, policy, ())
    for seed in (0, 1):
        line = run(config, seed, where=where).lines[0]
        assert _typed(_header(line)) == _typed(loads(line))


@pytest.mark.parametrize("header", [
    {"config": {"world": {"x": {"a": 0, "config_hash": "inner", "n": 2**70}}, "y": [1.0, -0.0, True]}, "config_hash": "h", "kind": "header",
     "seed": 3, "simtool": "0.2.0"},
    {"config": {"a": 1}, "config_hash": "h", "config_hash2": 1, "kind": "header", "seed": 12345678901234567890123},
])
def test_odd_headers_read_in_two_parts_are_read_as_whole(header):
    line = canonical(header)
    assert _typed(_header(line)) == _typed(loads(line))


@pytest.mark.parametrize("line", ['{"kind":"header","seed":1}', '{"config":{"a":1},"seed":1}', '{"config":{"a":1,"config_hash":"x"}}',
                                  '{"config":{"a":1},"config_hash":"x","seed":1'])
def test_a_line_that_is_not_a_canonical_header_is_left_to_the_whole_read(line):
    assert _header(line) is None


def test_seeds_of_a_hunt_of_built_in_checks_share_one_config_and_otherwise_read_their_own():
    config, where = run_config(None, "interleave", ())
    a, b = run(config, 0, where=where), run(config, 1, where=where)
    assert _own_trace(a, share_config=True).config is _own_trace(b, share_config=True).config
    assert _own_trace(a).config is not _own_trace(b).config
    shared, whole = _own_trace(b, share_config=True), _own_trace(b)
    assert _typed([shared.header, list(shared.events), shared.footer]) == _typed([whole.header, list(whole.events), whole.footer])


def test_every_registered_built_in_check_is_known_as_built_in():
    assert {entry.check for entry in invariant_table()} <= BUILT_IN_CHECKS


def test_a_users_check_that_changes_the_config_does_not_change_the_next_seeds():
    seen = []

    def renaming(h: Any) -> list[Any]:
        seen.append(h.world["name"])
        h.world["name"] = "changed"  # a check should not, but one may
        return []

    config, _ = run_config(None, "interleave", ())
    names = (*default_invariants(), "renaming")
    checks = {**{n: invariant(n) for n in default_invariants()}, "renaming": renaming}
    for seed in (0, 1):
        run_seed(SeedJob(config, seed, (), names, checks))
    assert seen == [config["world"]["name"]] * 2


def _job(seed: int, extra: dict[str, Any] | None = None) -> SeedJob:
    config, _ = run_config(None, "interleave", ())
    checks = {**{n: invariant(n) for n in default_invariants()}, **(extra or {})}
    return SeedJob(config, seed, (), tuple(checks), checks)


def test_a_seed_leaves_the_garbage_collector_as_it_found_it_even_when_a_check_raises():
    def broken(h: Any) -> list[Any]:
        raise RuntimeError("a check that fails")

    assert gc.isenabled()
    run_seed(_job(0))
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        run_seed(_job(0, {"broken": broken}))
    assert gc.isenabled()
    gc.disable()
    try:
        run_seed(_job(1))
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_a_seed_checked_with_the_collector_paused_finds_what_it_finds_with_it_running():
    paused = [run_seed(_job(seed)) for seed in range(3)]
    gc.disable()
    try:
        running = [_checked_with_collector(seed) for seed in range(3)]
    finally:
        gc.enable()
    assert paused == running


def _checked_with_collector(seed: int) -> Any:
    gc.enable()
    try:
        return _checked(_job(seed), run(_job(seed).config, seed))
    finally:
        gc.disable()
