"""Each plot kind renders from real results: the file exists, has some size, and its axes say what they show."""

from __future__ import annotations

import re

import pytest
import yaml
from matplotlib.colors import to_hex
from matplotlib.text import Annotation

from simtool.plots import efficiency_figure, load_sweep, save_figure, success_figure, sync_async_figure, timeline_figure
from simtool.plots.layout import Dependency, timeline_layout
from simtool.plots.timeline import DEPENDENCY, DEPENDENCY_WORDS, VIOLATION
from simtool.run import run, run_source
from simtool.sweeps import load_spec, run_sweep
from tests.scoring.helpers import world_path
from tests.sweeps.helpers import LATENCY_SPEC, RACE_WORLD, write_spec


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plots")
    run_sweep(load_spec(write_spec(folder, LATENCY_SPEC.format(seeds=4))), folder / "out", keep_traces=True)
    return folder / "out"


def _axes_text(figure):
    ax = figure.axes[0]
    legend = ax.get_legend()
    return {
        "x": ax.get_xlabel(),
        "y": ax.get_ylabel(),
        "title": ax.get_title(loc="left"),
        "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
    }


def _svg_text(path):
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))).replace("&gt;", ">")


def _check_written(figure, tmp_path, name):
    png, svg = save_figure(figure, tmp_path / f"{name}.png"), save_figure(figure, tmp_path / f"{name}.svg")
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert svg.stat().st_size > 10_000
    return _svg_text(svg)


def test_efficiency_has_a_line_and_band_per_policy_against_the_swept_parameter(sweep_folder, tmp_path):
    figure = efficiency_figure(load_sweep(sweep_folder))
    text = _axes_text(figure)
    assert text["x"] == "latency scale (× every drawn latency)"
    assert text["y"] == "coordination efficiency (lower bound / makespan)"
    assert text["legend"] == ["sequential (n=4)", "interleave (n=4)", "eager (n=4) · faulty: does not wait for results"]
    ax = figure.axes[0]
    assert len(ax.lines) == 3 and len(ax.collections) == 3  # a band per line
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.5", "1", "2"]
    svg = _check_written(figure, tmp_path, "efficiency")
    assert "coordination efficiency" in svg and "latency scale" in svg and "interleave" in svg


def test_success_is_plotted_against_latency(sweep_folder, tmp_path):
    figure = success_figure(load_sweep(sweep_folder))
    text = _axes_text(figure)
    assert text["x"].startswith("latency scale") and text["y"] == "task success rate"
    assert figure.axes[0].get_ylim() == pytest.approx((-0.03, 1.03))
    assert "task success rate" in _check_written(figure, tmp_path, "success")


def test_sync_async_has_an_instant_and_a_delayed_bar_per_policy(sweep_folder, tmp_path):
    figure = sync_async_figure(load_sweep(sweep_folder))
    text = _axes_text(figure)
    assert text["x"] == "policy" and text["y"] == "task success rate"
    assert text["legend"] == ["sync (instant tools)", "async (delayed)"]
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["sequential", "interleave", "eager\n(faulty: does not wait for results)"]
    assert len(figure.axes[0].patches) == 6
    assert "sync (instant tools)" in _check_written(figure, tmp_path, "sync-async")


def test_timeline_of_a_kept_trace_has_a_lane_per_task_and_marks_the_race(sweep_folder, tmp_path):
    rows = load_sweep(sweep_folder).rows
    raced = next(r for r in rows if r["label"] == "eager" and r["violations"]["out_of_order_execution"] > 0)
    figure = timeline_figure(sweep_folder / raced["trace"])
    text = _axes_text(figure)
    assert text["x"] == "simulated time (ms)"
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["agent", "outage", "printer"]
    assert f"policy eager · seed {raced['seed']}" in text["title"]
    assert "executed out of issue order" in text["legend"]
    assert "stale delivery" not in text["legend"]  # the legend lists what is drawn
    svg = _check_written(figure, tmp_path, "timeline")
    assert "simulated time (ms)" in svg and "create_ticket" in svg


def test_timeline_shows_world_events_and_stale_deliveries(tmp_path):
    world = yaml.safe_load(RACE_WORLD)
    world["faults"] = [
        {"at_ms": 150, "kind": "amend", "task": "outage", "request": "Make it priority 3 instead.",
         "gold": ["create_ticket(title='VPN down', description='Office VPN rejects logins', priority=3)"]},
        {"at_ms": 120, "kind": "revoke", "scope": "ticketing.write", "task": "printer"},
    ]
    result = run({"world": world, "policy": {"name": "oblivious"}}, 1)
    figure = timeline_figure(result.lines)
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert " amended" in texts and " revoked ticketing.write" in texts
    stale = [e for e in result.events() if e["kind"] == "deliver" and e["stale"]]
    assert stale, "the oblivious policy should get a stale delivery here"
    _check_written(figure, tmp_path, "timeline-faults")


def test_plot_files_are_the_same_bytes_for_the_same_rows(sweep_folder, tmp_path):
    sweep = load_sweep(sweep_folder)
    a = save_figure(efficiency_figure(sweep), tmp_path / "a.svg").read_bytes()
    b = save_figure(efficiency_figure(sweep), tmp_path / "b.svg").read_bytes()
    assert a == b


def _dependency_arrows(figure):
    return {a.get_gid(): a for a in figure.axes[0].texts if isinstance(a, Annotation) and (a.get_gid() or "").startswith("dependency")}


def test_timeline_draws_a_dependency_the_agent_waited_for_as_a_grey_arrow_forward_in_time():
    lines = run_source(world_path("eager-race"), "interleave", 0).lines
    assert timeline_layout(lines).dependencies == (Dependency("triage", "c0", "c2", False),)  # the close waits for the create
    figure = timeline_figure(lines)
    (arrow,) = _dependency_arrows(figure).values()
    (x_from, _), (x_to, _) = arrow.xyann, arrow.xy
    assert x_from <= x_to and to_hex(arrow.arrow_patch.get_edgecolor()) == DEPENDENCY
    assert DEPENDENCY_WORDS[False] in _axes_text(figure)["legend"] and DEPENDENCY_WORDS[True] not in _axes_text(figure)["legend"]


def test_timeline_marks_a_dependency_violation_as_a_red_arrow_back_in_time():
    lines = run_source(world_path("eager-race"), "eager", 0).lines
    assert timeline_layout(lines).dependencies == (Dependency("triage", "c0", "c2", True),)
    figure = timeline_figure(lines)
    arrow = _dependency_arrows(figure)["dependency c0 c2"]
    (x_from, _), (x_to, _) = arrow.xyann, arrow.xy
    assert (x_from, x_to) == (391, 74)  # from c0's delivery back to c2's issue
    assert to_hex(arrow.arrow_patch.get_edgecolor()) == VIOLATION and arrow.arrow_patch.get_linestyle() == "--"
    assert DEPENDENCY_WORDS[True] in _axes_text(figure)["legend"]


def test_timeline_leaves_out_a_dependency_implied_through_another_call():
    layout = timeline_layout(run_source(world_path("mixed-domains"), "interleave", 0).lines)
    files = [(d.on, d.call) for d in layout.dependencies if d.task == "files"]
    tools = {b.call_id: b.tool for b in layout.bars}
    # echo waits for cd and touch; touch waits for cd: the arrow cd -> echo is implied; cat and wc wait for nothing
    assert [(tools[a], tools[b]) for a, b in files] == [("cd", "touch"), ("touch", "echo")]
