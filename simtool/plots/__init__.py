"""Plots from sweep rows and traces: efficiency and success against a swept parameter, the
timeline of one trace, sync versus async bars per policy. PNG or SVG."""

from simtool.plots.figure import new_figure, save_figure
from simtool.plots.lines import efficiency_figure, metric_figure, success_figure
from simtool.plots.series import Sweep, load_sweep
from simtool.plots.sync_async import sync_async_figure
from simtool.plots.timeline import timeline_figure

__all__ = [
    "PLOT_KINDS",
    "new_figure",
    "save_figure",
    "efficiency_figure",
    "metric_figure",
    "success_figure",
    "sync_async_figure",
    "timeline_figure",
    "Sweep",
    "load_sweep",
]

PLOT_KINDS = ("efficiency", "success", "timeline", "sync-async")
