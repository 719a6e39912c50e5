"""Scores computed from traces alone: step, sub-task, task, instance, coordination, violations."""

from simtool.scoring.history import History, history_of, trace_from_lines
from simtool.scoring.invariants import Invariant, defines_invariant, invariant_table, unregister_invariant
from simtool.scoring.metrics import METRICS, Metric, metric
from simtool.scoring.score import SCORE_KEYS, score_trace
from simtool.scoring.violations import VIOLATIONS, Offence, count_violations, find_violations, register_invariant

__all__ = [
    "History",
    "history_of",
    "trace_from_lines",
    "score_trace",
    "SCORE_KEYS",
    "VIOLATIONS",
    "Offence",
    "find_violations",
    "count_violations",
    "register_invariant",
    "defines_invariant",
    "unregister_invariant",
    "invariant_table",
    "Invariant",
    "METRICS",
    "Metric",
    "metric",
]
