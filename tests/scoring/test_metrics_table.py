"""One table of metrics: score records, aggregation, plots and the command line all read it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from simtool.errors import SimtoolError
from simtool.plots.series import UNIT_METRICS, check_metric, metric_label
from simtool.run import run_source
from simtool.scoring import score_trace
from simtool.scoring.aggregate import MEAN_KEYS, aggregate
from simtool.scoring.history import trace_from_lines
from simtool.scoring.metrics import METRICS, metric, metric_names
from simtool.scoring.score import SCORE_KEYS

from .helpers import world_path
from .test_cli import app

CONTEXT = {"trace", "complete", "end_reason", "policy", "world", "instance", "profile", "seed", "config_hash",
           "violations", "tasks"}


def score(policy: str = "interleave", seed: int = 0) -> dict:
    return score_trace(trace_from_lines(run_source(world_path("three-desks"), policy, seed).lines))


def test_a_score_record_has_exactly_the_tables_metrics_besides_its_context():
    record = score()
    assert set(record) - CONTEXT == set(metric_names()) == set(SCORE_KEYS)
    assert len(metric_names()) == len(METRICS)


def test_aggregation_averages_the_mean_metrics_and_clips_the_bounded_ones():
    rows = aggregate([score("interleave", s) for s in (0, 1, 2)], "policy")
    averaged = {m.name for m in METRICS if m.aggregation == "mean"}
    assert set(MEAN_KEYS) == averaged and averaged <= set(rows[0])
    assert not {m.name for m in METRICS if m.aggregation == "none"} & set(rows[0])
    for m in METRICS:
        if m.bounded and m.aggregation == "mean" and rows[0][m.name]["ci95"]:
            low, high = rows[0][m.name]["ci95"]
            assert 0.0 <= low <= high <= 1.0, m.name


def test_plots_take_labels_and_the_unit_range_from_the_table():
    assert set(UNIT_METRICS) == {m.name for m in METRICS if m.bounded}
    assert metric_label("makespan_ms") == metric("makespan_ms").axis_label == "makespan (ms)"
    assert metric_label("violations.wrong_binding") == "wrong binding (violations per run)"
    check_metric("coordination_efficiency")
    with pytest.raises(SimtoolError, match="unknown metric 'efficency'.*coordination_efficiency"):
        check_metric("efficency")


def test_the_one_trace_table_lists_every_metric_by_its_label(tmp_path):
    path = tmp_path / "t.jsonl"
    run_source(world_path("three-desks"), "interleave", 0, trace_path=path)
    done = CliRunner().invoke(app(), ["score", str(path)], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    for m in METRICS:
        assert m.label in done.output, m.name
    assert "1357 ms" in done.output and "0.812" in done.output


def test_a_metric_value_is_printed_in_its_unit():
    assert metric("task_success_rate").format(0.5) == "50%"
    assert metric("makespan_ms").format(1358) == "1358 ms"
    assert metric("instance_success").format(True) == "yes"
    assert metric("speedup_vs_sequential").format(1.318) == "1.32×"
    assert metric("calls").format(None) == "-"
    with pytest.raises(KeyError, match="unknown metric"):
        metric("no_such_metric")
