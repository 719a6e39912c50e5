"""Plots read at a glance: call ids on every bar, outage windows, in-flight bars and violations in
the timeline; every sweep line visible when values coincide, faulty policies said so, bands within
the metric's range and saying how many runs they rest on, one policy order; labels from files
drawn literally (no mathtext)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from matplotlib.collections import PolyCollection

from simtool.plots import efficiency_figure, save_figure, success_figure, sync_async_figure, timeline_figure
from simtool.plots.figure import plain, policy_order
from simtool.plots.layout import timeline_layout
from simtool.plots.series import metric_range, series
from simtool.scoring import history_of
from simtool.sweeps import load_spec, run_sweep
from tests.report.support import MATHTEXT_TASK, cut_trace, default_trace, hostile_trace, outage_trace, race_trace
from tests.sweeps.helpers import write_spec


def _svg_text(path):
    text = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8")))
    return text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&").replace("&quot;", '"').replace("&#x27;", "'")


def _legend(figure):
    return [t.get_text() for t in figure.axes[0].get_legend().get_texts()]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("readable")


def test_a_mathtext_task_id_is_drawn_as_written(folder, tmp_path):
    figure = timeline_figure(hostile_trace(folder))
    save_figure(figure, tmp_path / "t.png")  # mathtext would fail here: \undefined is no command
    svg = save_figure(figure, tmp_path / "t.svg")
    assert MATHTEXT_TASK in _svg_text(svg)


def test_plain_escapes_every_dollar_and_keeps_backslashes():
    assert plain(MATHTEXT_TASK) == "\\$\\undefined{\\$"
    assert plain("costs $5 and $6") == "costs \\$5 and \\$6"
    assert plain("a\\b") == "a\\b"


def test_every_call_is_labelled_with_its_id_and_tool(folder):
    trace = default_trace(folder)
    texts = {t.get_text() for t in timeline_figure(trace).axes[0].texts}
    assert {f"{c.call_id} {c.tool}" for c in history_of(trace).calls.values()} <= texts


def test_a_short_bar_gets_its_label_just_after_it(folder):
    figure = timeline_figure(default_trace(folder))
    layout = timeline_layout(default_trace(folder), width_chars=760 / 6.4)
    outside = [b for b in layout.bars if not b.label_inside]
    assert outside, "the default world has calls too short for their label"
    placed = {t.get_text(): t.get_position()[0] for t in figure.axes[0].texts}
    assert all(placed[b.label] >= b.end for b in outside)


@pytest.mark.parametrize("policy", ["sequential", "interleave", "critical-path", "eager", "unbound", "oblivious"])
def test_a_label_never_runs_into_the_next_bar_of_its_row(folder, policy):
    layout = timeline_layout(default_trace(folder, policy, 3))
    rows: dict[tuple[str, int], list] = {}
    for bar in layout.bars:
        rows.setdefault((bar.task, bar.row), []).append(bar)
    for bars in rows.values():
        bars.sort(key=lambda b: b.start)
        assert all(a.reach <= b.start for a, b in zip(bars, bars[1:]))
    assert all(bar.reach <= layout.span for bar in layout.bars)  # and every label is inside the view


def test_declared_outage_windows_are_drawn_in_the_lanes_of_their_service(folder):
    figure = timeline_figure(outage_trace(folder))
    ax = figure.axes[0]
    assert "outage window" in _legend(figure) and " outage TicketAPI" in {t.get_text() for t in ax.texts}
    windows = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_hatch() == "///"]
    assert len(windows) == 2  # the lanes of both tasks: each has its own TicketAPI
    assert min(windows[0].get_paths()[0].vertices[:, 0]) == pytest.approx(50)


def test_calls_still_in_flight_are_dotted_and_in_the_legend(folder):
    figure = timeline_figure(cut_trace(folder))
    assert "still in flight at the end" in _legend(figure)
    assert "incomplete trace" in figure.get_suptitle()


def test_violations_are_marked_and_listed_under_the_plot(folder):
    figure = timeline_figure(race_trace(folder))
    assert "violation (4, listed below)" in _legend(figure)
    listed = figure.get_supxlabel().splitlines()
    assert len(listed) == 4 and "out_of_order_execution: c3 (close_ticket) executed before c1, issued earlier" in listed[3]


def test_the_legend_lists_only_what_is_drawn(folder):
    legend = _legend(timeline_figure(race_trace(folder, "interleave")))
    assert "stale delivery" not in legend and "outage window" not in legend and "answer: sub-task passed" in legend


@pytest.fixture(scope="module")
def sweep(folder):
    spec = """\
name: readable
worlds: [race.yaml]
policies: [eager, sequential, interleave, {name: sequential, label: "$\\\\undefined{$"}]
seeds: 3
grid:
  world.latency.scale: [0, 1]
"""
    run_sweep(load_spec(write_spec(folder, spec)), folder / "out")
    from simtool.plots import load_sweep

    return load_sweep(folder / "out")


def test_lines_with_equal_values_each_keep_a_dash_a_marker_and_an_outline(sweep):
    lines = success_figure(sweep).axes[0].lines  # sequential, interleave and the relabelled one: all 1.0
    assert len({(str(line.get_linestyle()), line.get_marker()) for line in lines}) == len(lines)
    widths, sizes = [line.get_linewidth() for line in lines], [line.get_markersize() for line in lines]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == len(widths)  # later lines thinner, on top
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)


def test_the_legend_says_how_many_runs_and_which_policies_are_faulty(sweep, tmp_path):
    figure = efficiency_figure(sweep)
    legend = _legend(figure)
    assert legend[0] == "eager (n=3) · faulty: does not wait for results"
    assert legend[1:3] == ["sequential (n=3)", "interleave (n=3)"]
    assert plain(MATHTEXT_TASK) + " (n=3)" == legend[3]  # drawn literally
    assert MATHTEXT_TASK in _svg_text(save_figure(figure, tmp_path / "e.svg"))


def test_sync_async_bars_say_their_runs_and_name_faulty_policies(sweep, tmp_path):
    figure = sync_async_figure(sweep)
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert ticks[0] == "eager\n(faulty: does not wait for results)"
    assert all("n=3" in t.get_text() for t in figure.axes[0].texts)
    save_figure(figure, tmp_path / "s.png")


def test_bands_are_clipped_to_the_range_of_the_metric():
    rows = [{"label": "p", "x": 1, "makespan_ms": v, "task_success_rate": r} for v, r in ((0.0, 0.0), (3000.0, 1.0))]
    _, [line] = series(rows, "x", "makespan_ms")
    assert line.points[0].low == 0.0 and line.points[0].high > 3000  # t with 1 df: far below zero unclipped
    _, [rate] = series(rows, "x", "task_success_rate")
    assert (rate.points[0].low, rate.points[0].high) == (0.0, 1.0)
    assert metric_range("violations.revoked_leak") == (0.0, None) and metric_range("my_score") == (None, None)


def test_one_policy_order_everywhere(sweep):
    assert policy_order(["oblivious", "mine", "eager", "sequential"]) == ["sequential", "eager", "oblivious", "mine"]
    assert policy_order(["oblivious", "eager"], declared=["oblivious"]) == ["oblivious", "eager"]
    legend = [name.split(" (")[0] for name in _legend(efficiency_figure(sweep))]
    ticks = [t.get_text().split("\n")[0] for t in sync_async_figure(sweep).axes[0].get_xticklabels()]
    assert legend == ticks == [plain(p) for p in sweep.policies]


def test_plot_timeline_command_draws_a_mathtext_task_id(folder, tmp_path):
    done = subprocess.run([sys.executable, "-m", "simtool", "plot", "timeline", str(hostile_trace(folder)), "--out", str(tmp_path / "t.svg")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert MATHTEXT_TASK in _svg_text(tmp_path / "t.svg")


def test_world_events_are_drawn_as_their_fault_kind_says():
    from simtool.plots.layout import fault_mark

    lanes, services = ["a", "b"], {"TicketAPI": ["b"]}
    outage = fault_mark({"fault": "outage", "t": 10, "service": "TicketAPI", "duration_ms": 40, "until": 50}, lanes, services)
    assert (outage.style, outage.t, outage.end, outage.lanes, outage.text) == ("window", 10, 50, ("b",), "outage TicketAPI")
    revoke = fault_mark({"fault": "revoke", "t": 5, "scope": "ticketing.write", "task": "a"}, lanes, services)
    assert (revoke.style, revoke.colour, revoke.lanes, revoke.text, revoke.words) == ("line", "revoke", ("a",), "revoked ticketing.write",
                                                                                    "revocation")
    cancel = fault_mark({"fault": "cancel_task", "t": 7, "task": "b"}, lanes, services)
    assert (cancel.style, cancel.lanes) == ("greyed", ("b",))
    unknown = fault_mark({"fault": "solar_flare", "t": 3}, lanes, services)  # a plugin's kind, not installed here
    assert (unknown.style, unknown.colour, unknown.lanes, unknown.text) == ("line", "neutral", ("a", "b"), "solar flare")
