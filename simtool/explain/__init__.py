"""A run told in words: per task what was asked, each call's life, the faults and what the
agent did about them, and every violation with its causal chain down to its consequence.

``explain(trace, task=None, call=None) -> Explanation``; ``Explanation.text()`` renders it,
``Explanation.as_dict()`` gives the structured form (see docs/explain.md).
"""

from simtool.explain.build import Source, as_history, explain, explanation_json
from simtool.explain.render import counts_line, render
from simtool.explain.states import Difference, StateCheck, differences
from simtool.explain.story import (
    Answer,
    CallLife,
    Explanation,
    FaultStory,
    SubtaskStory,
    TaskStory,
    ViolationStory,
)

__all__ = [
    "explain",
    "as_history",
    "Source",
    "explanation_json",
    "render",
    "counts_line",
    "Explanation",
    "TaskStory",
    "SubtaskStory",
    "Answer",
    "CallLife",
    "FaultStory",
    "ViolationStory",
    "StateCheck",
    "Difference",
    "differences",
]
