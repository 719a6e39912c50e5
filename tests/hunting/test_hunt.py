"""`simtool hunt`: failing seeds found for each faulty policy, none for interleave, repro lines that replay."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from simtool.cli import app
from simtool.errors import SpecError
from simtool.hunting import hunt, parse_seeds, swarm_choice
from simtool.hunting.cli import format_report, register

from .support import FAULTY, RACES, failures_and_repros, run_repro, simtool_here

SEEDS = range(0, 12)


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    if "hunt" not in {c.name for c in app.registered_commands}:
        register(app)
    return CliRunner()


@pytest.mark.parametrize("policy", sorted(FAULTY))
def test_hunt_finds_failing_seeds_for_each_faulty_policy(policy):
    report = hunt(RACES, policy, SEEDS, workers=1)
    assert report.failed_seeds
    assert FAULTY[policy] <= {g.invariant for g in report.groups}


@pytest.mark.parametrize("options", [{}, {"tie_shuffle": True}, {"swarm": True}, {"tie_shuffle": True, "swarm": True}])
def test_hunt_finds_nothing_for_interleave(options):
    report = hunt(RACES, "interleave", range(0, 30), workers=1, **options)
    assert report.groups == () and report.failed_seeds == ()
    assert format_report(report)[-1] == "no invariant failed on 30 seeds"


def test_hunt_finds_nothing_for_parallel_with_shuffled_ties_and_swarm_faults():
    report = hunt(RACES, "parallel", range(0, 20), workers=1, tie_shuffle=True, swarm=True)
    assert report.groups == () and report.failed_seeds == ()


@pytest.mark.parametrize("policy", sorted(FAULTY))
def test_every_printed_repro_line_fails_the_same_invariant(policy, tmp_path):
    done = simtool_here("hunt", RACES, "--policy", policy, "--seeds", "0:10", "--swarm", "--tie-shuffle", "--workers", "2", "--detail")
    assert done.returncode == 1, done.stderr
    groups = failures_and_repros(done.stdout)
    assert groups and FAULTY[policy] <= {name for name, _, _ in groups}
    for i, (name, sig, line) in enumerate(groups):
        found = run_repro(line, tmp_path / f"repro{i}.jsonl")
        assert sig in found[name], (line, found[name])


def test_the_repro_is_the_smallest_failing_run_of_its_group():
    report = hunt(RACES, "oblivious", SEEDS, workers=1)
    sizes = {o.seed: (o.calls, o.lines, o.seed) for o in report.outcomes}
    for g in report.groups:
        assert sizes[g.smallest.seed] == min(sizes[s] for s in g.seeds)
        assert f"--seed {g.smallest.seed}" in g.repro


def test_failures_are_grouped_by_invariant_and_signature_not_by_seed():
    report = hunt(RACES, "eager", range(0, 30), invariants=["out_of_order_execution"], workers=1, detail=True)
    keys = [(g.invariant, g.signature) for g in report.groups]
    assert len(keys) == len(set(keys)) and len(report.groups) < len(report.failed_seeds)
    assert all(str(g.smallest.seed) not in g.signature for g in report.groups)


def test_the_report_does_not_depend_on_where_the_runs_ran():
    from distributed import LocalCluster

    local = hunt(RACES, "unbound", SEEDS, swarm=True, workers=1)
    assert hunt(RACES, "unbound", SEEDS, swarm=True, workers=2) == local
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        assert hunt(RACES, "unbound", SEEDS, swarm=True, scheduler=cluster.scheduler_address) == local


def test_swarm_switches_fault_kinds_per_seed_and_the_repro_carries_the_choice():
    world = {"faults": [{"at_ms": 1, "kind": "cancel_task", "task": "a"}, {"at_ms": 2, "kind": "revoke", "scope": "s"}],
             "fault_processes": [{"kind": "outage", "mean_interval_ms": 5, "choices": [{"service": "S", "duration_ms": 9}]}]}
    choices = [swarm_choice(world, seed) for seed in range(16)]
    assert choices == [swarm_choice(world, seed) for seed in range(16)]
    assert len({c.enabled for c in choices}) > 2
    for c in choices:
        assert sorted(c.enabled + c.disabled) == ["cancel_task", "outage", "revoke"]
        assert bool(c.overrides) == bool(c.disabled)
    report = hunt(RACES, "oblivious", SEEDS, swarm=True, workers=1)
    for g in report.groups:
        for item in swarm_choice(json_world(), g.smallest.seed).overrides:
            assert item in g.smallest.overrides


def json_world():
    from simtool.config import run_config

    return run_config(RACES, "oblivious")[0]["world"]


def test_hunt_command_exits_1_on_failures_0_without_and_writes_json(cli, tmp_path):
    out = tmp_path / "report.json"
    done = cli.invoke(app, ["hunt", RACES, "--policy", "eager", "--seeds", "0:6", "--workers", "1", "--json", str(out)])
    assert done.exit_code == 1, done.output
    data = json.loads(out.read_text())
    assert data["failed_seeds"] and data["groups"][0]["repro"].startswith("simtool run ")
    assert "repro: simtool run " in done.output
    done = cli.invoke(app, ["hunt", RACES, "--policy", "interleave", "--seeds", "0:6", "--workers", "1"])
    assert done.exit_code == 0 and "no invariant failed on 6 seeds" in done.output


def test_hunt_overrides_are_applied_and_carried_into_the_repro():
    report = hunt(RACES, "eager", SEEDS, overrides=["policy.think=0"], workers=1)
    assert report.groups and all("--set policy.think=0" in g.repro for g in report.groups)


def test_seed_ranges_and_invariant_names_are_checked():
    assert parse_seeds("3:7") == range(3, 7) and parse_seeds("5") == range(5, 6)
    for bad in ("7:3", "a:b", "-1:4"):
        with pytest.raises(SpecError, match="--seeds"):
            parse_seeds(bad)
    with pytest.raises(SpecError, match="unknown invariant.*wrong_binding"):
        hunt(RACES, "eager", SEEDS, invariants=["no_such_check"])


def test_a_run_that_raises_is_reported_as_a_run_error_not_a_crash_of_the_hunt():
    from simtool.hunting.hunt import RUN_ERROR, SeedJob, run_seed

    outcome = run_seed(SeedJob({"world": {"tasks": []}, "policy": {"name": "interleave"}}, 0, (), ("wrong_binding",), {}))
    assert outcome.failed and outcome.failures[0].invariant == RUN_ERROR
    assert "at least one task" in outcome.failures[0].signature
