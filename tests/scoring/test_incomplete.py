"""Incomplete traces (no footer, or a file still named .incomplete) are scored for what they hold."""

from __future__ import annotations

import json
from pathlib import Path

from simtool.run import run_source
from simtool.scoring import score_trace
from simtool.trace import INCOMPLETE_SUFFIX

from .helpers import world_path


def cut(path: Path, keep: int) -> Path:
    """Keep the first ``keep`` lines of a finished trace, as a run killed mid-way leaves it."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    partial = path.with_name(path.name + INCOMPLETE_SUFFIX)
    partial.write_text("".join(lines[:keep]), encoding="utf-8")
    path.unlink()
    return partial


def test_a_trace_without_its_footer_is_scored_and_says_it_is_incomplete(tmp_path):
    path = tmp_path / "run.jsonl"
    run_source(world_path("three-desks"), "interleave", 0, (), path)
    full = score_trace(path)
    lines = path.read_text().splitlines()
    cut(path, len(lines) - 1)  # everything but the footer
    s = score_trace(path)  # the plain name finds the .incomplete file
    assert s["complete"] is False and full["complete"] is True
    assert s["trace"].endswith(INCOMPLETE_SUFFIX)
    assert {k: s[k] for k in ("step_f1_args", "subtask_success_rate", "makespan_ms")} == {k: full[k] for k in ("step_f1_args", "subtask_success_rate", "makespan_ms")}


def test_a_trace_cut_mid_run_counts_what_had_happened(tmp_path):
    path = tmp_path / "run.jsonl"
    run_source(world_path("three-desks"), "interleave", 0, (), path)
    lines = path.read_text().splitlines()
    respond = next(i for i, line in enumerate(lines) if json.loads(line)["kind"] == "respond")
    partial = cut(path, respond + 1)
    s = score_trace(partial)
    assert s["complete"] is False and s["end_reason"] is None
    assert s["subtasks_passed"] == 1 and s["subtasks"] == 5  # one answered, the rest unanswered
    assert s["instance_success"] is False
    assert s["makespan_ms"] == json.loads(lines[respond])["t"]
    assert "unanswered" in s["tasks"]["outage"]["subtasks"]
