"""Running sweeps: rows are score rows plus the cell's parameters, the same on every executor;
failures are rows; reruns run only what is missing; kept traces replay."""

from __future__ import annotations

import pytest

from simtool.errors import SpecError
from simtool.run import replay
from simtool.scoring import SCORE_KEYS, score_trace
from simtool.sweeps import DaskCluster, LocalPool, expand, load_rows, load_spec, run_cell, run_sweep
from tests.sweeps.helpers import LATENCY_SPEC, write_spec


@pytest.fixture(scope="module")
def latency_sweep(tmp_path_factory):
    """The reference: the race world's latency sweep run in this process."""
    folder = tmp_path_factory.mktemp("latency")
    spec = load_spec(write_spec(folder, LATENCY_SPEC.format(seeds=4)))
    report = run_sweep(spec, folder / "out")
    return spec, folder / "out", report


def test_a_row_is_the_trace_score_plus_the_cell_parameters(latency_sweep):
    spec, out, report = latency_sweep
    assert report.planned == report.ran == 4 * 3 * 4 and report.failed == 0 and report.complete
    rows = load_rows(out)
    assert len(rows) == spec.size
    row = next(r for r in rows if r["label"] == "eager" and r["seed"] == 0 and r["world.latency.scale"] == 1)
    assert set(SCORE_KEYS) <= set(row)
    assert row["violations"]["dependency_violation"] > 0 and row["parallel_calls"] > 0  # eager issues dependent calls at once
    assert {row["source"], row["policy"], row["status"]} == {"race.yaml", "eager", "ok"}
    assert {r["world.latency.scale"] for r in rows} == {0, 0.5, 1, 2}


def test_rows_are_identical_in_process_in_a_local_pool_and_on_a_dask_cluster(latency_sweep, tmp_path):
    spec, out, _ = latency_sweep
    reference = load_rows(out)
    pool = LocalPool(2)
    try:
        run_sweep(spec, tmp_path / "pool", executor=pool)
    finally:
        pool.close()
    cluster = DaskCluster(local_workers=2)
    try:
        run_sweep(spec, tmp_path / "dask", executor=cluster)
    finally:
        cluster.close()
    assert load_rows(tmp_path / "pool") == reference
    assert load_rows(tmp_path / "dask") == reference


def test_a_cell_that_raises_is_a_failed_row_and_the_sweep_goes_on(tmp_path):
    (tmp_path / "broken.yaml").write_text("name: broken\ntasks: []\n", encoding="utf-8")
    spec = load_spec(write_spec(tmp_path, "worlds: [race.yaml, broken.yaml]\npolicies: [interleave]\nseeds: 2\n"))
    report = run_sweep(spec, tmp_path / "out")
    assert (report.ran, report.failed) == (4, 2)
    rows = load_rows(tmp_path / "out", status=None)
    failed = [r for r in rows if r["status"] == "failed"]
    assert {r["source"] for r in failed} == {"broken.yaml"}
    assert all("a world needs at least one task" in r["error"] and r["error"].startswith("SpecError") for r in failed)
    kept = run_sweep(spec, tmp_path / "out", retry_failed=False)
    assert (kept.stored_before, kept.ran) == (4, 0)  # kept: a failure is a result
    again = run_sweep(spec, tmp_path / "out")
    assert (again.stored_before, again.ran, again.retried, again.failed) == (2, 2, 2, 2)  # by default failed cells run again


def test_a_rerun_with_more_seeds_runs_only_the_new_cells(tmp_path):
    small = load_spec(write_spec(tmp_path, "worlds: [race.yaml]\npolicies: [interleave, eager]\nseeds: 2\n"))
    run_sweep(small, tmp_path / "out")
    larger = load_spec(write_spec(tmp_path, "worlds: [race.yaml]\npolicies: [interleave, eager]\nseeds: 5\n"))
    report = run_sweep(larger, tmp_path / "out")
    assert (report.stored_before, report.ran) == (4, 6)
    assert len(load_rows(tmp_path / "out")) == 10


def test_a_spec_error_stops_the_sweep_before_any_cell_runs(tmp_path):
    spec = load_spec(write_spec(tmp_path, "worlds: [race.yaml]\ngrid: {world.enforcement: [issue, sometimes]}\n"))
    with pytest.raises(SpecError, match="enforcement=.sometimes.*unknown enforcement mode"):
        run_sweep(spec, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # a spec refused before running leaves no folder


def test_kept_traces_score_to_their_row_and_replay_byte_for_byte(tmp_path):
    spec = load_spec(write_spec(tmp_path, "worlds: [race.yaml]\npolicies: [eager]\nseeds: 2\n"))
    run_sweep(spec, tmp_path / "out", keep_traces=True)
    for row in load_rows(tmp_path / "out"):
        trace = tmp_path / "out" / row["trace"]
        assert replay(trace).identical
        assert score_trace(trace)["coordination_efficiency"] == row["coordination_efficiency"]


def test_run_cell_gives_the_stored_row(latency_sweep):
    spec, out, _ = latency_sweep
    stored = {r["cell"]: r for r in load_rows(out)}
    for cell in list(expand(spec))[::7]:
        assert run_cell(cell) == stored[cell.key]


def test_a_sweep_over_suite_instances_runs_each_instance_at_each_profile(tmp_path):
    from worlds.suites import build_suite, task_pool, write_suite

    instances = build_suite(task_pool(None), n=2, seed=0, profile="saas")
    write_suite(instances, tmp_path / "suite.jsonl")
    spec = load_spec(write_spec(tmp_path, "worlds: ['suite.jsonl#*', 'suite.jsonl#*@instant']\npolicies: [interleave]\n"))
    report = run_sweep(spec, tmp_path / "out")
    assert (report.ran, report.failed) == (4, 0)
    rows = load_rows(tmp_path / "out")
    assert sorted((r["world"], r["profile"]) for r in rows) == sorted(
        (i["id"], profile) for i in instances for profile in ("saas", "instant"))
    assert all(r["task_success_rate"] == 1.0 for r in rows)
