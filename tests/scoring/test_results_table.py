"""AsyncTool's results table (``simtool compare --format``): its numbers are the means x100 of
what ``simtool score`` says of each trace, sync (the sequential baseline) and async side by side
with the drop, for all runs, per instance kind and per domain (that domain's tasks alone)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from simtool.scoring.cli import register
from simtool.scoring.results import COLUMNS, domain_score, results_rows, to_csv, to_markdown
from worlds.suites import build_suite, read_suite, task_pool, write_suite

POLICIES = ("sequential", "interleave", "eager")
SEEDS = 2


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "small.jsonl"
    write_suite(build_suite(task_pool(None), 4, seed=2), path)  # authored tasks: one instance of each kind
    return path


@pytest.fixture(scope="module")
def compared(suite, tmp_path_factory) -> tuple[list[dict[str, Any]], Path]:
    traces = tmp_path_factory.mktemp("traces")
    args = ["compare", f"{suite}#*", *(a for p in POLICIES for a in ("-p", p)), "--seeds", str(SEEDS),
            "--trace-dir", str(traces), "--format", "json"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), traces


def _scored(traces: Path) -> dict[str, dict[str, Any]]:
    """``simtool score --json`` of every trace compare kept, by file name."""
    out = {}
    for path in sorted(traces.glob("*.jsonl")):
        result = CliRunner().invoke(_app(), ["score", str(path), "--json"])
        assert result.exit_code == 0, result.output
        out[path.name] = json.loads(result.stdout)["traces"][0]
    return out


def _runs(scored: Mapping[str, Mapping[str, Any]], label: str, side: str) -> list[Mapping[str, Any]]:
    """The traces of one side of a row: sync is the shared sequential run (also sequential's async)."""
    name = "sequential.sync" if side == "sync" or label == "sequential" else f"{label}.async"
    return [s for file, s in scored.items() if f".{name}.seed" in file]


def _domain_expected(score: Mapping[str, Any], domains: Mapping[str, str], domain: str) -> dict[str, Any]:
    tasks = [t for task, t in score["tasks"].items() if domains[task] == domain]
    a, g, m = (sum(t[k] for t in tasks) for k in ("calls", "gold_calls", "matched_calls"))
    p = m / a if a else (1.0 if g == 0 else 0.0)
    r = m / g if g else 1.0
    states = [s for t in tasks for s in t["subtasks"] if s != "cancelled"]
    live = [t for t in tasks if t["status"] != "cancelled"]
    return {"step_f1_args": 2 * p * r / (p + r) if p + r else 0.0, "step_recall": r,
            "subtask_success_rate": states.count("passed") / len(states) if states else None,
            "task_success_rate": sum(t["passed"] for t in live) / len(live) if live else None,
            "instance_success": all(t["passed"] for t in live),
            "coordination_efficiency": score["coordination_efficiency"], "idle_ready_ms": score["idle_ready_ms"],
            "task_switches": score["task_switches"]}


def _mean(values: list[Any], scale: float) -> float | None:
    values = [float(v) for v in values if v is not None]
    return round(scale * sum(values) / len(values), 1) if values else None


def test_the_tables_numbers_are_the_per_trace_scores_means(compared, suite):
    rows, traces = compared
    scored = _scored(traces)
    instances = {i["id"]: i for i in read_suite(suite)}
    kind = {i: instance["kind"] for i, instance in instances.items()}
    domains = {i: {t["id"]: t["domain"] for t in instance["tasks"]} for i, instance in instances.items()}
    assert [r["label"] for r in rows if r["breakdown"] == "all"] == list(POLICIES)
    assert {r["group"] for r in rows if r["breakdown"] == "kind"} == {"dual-similar", "dual-cross", "tri-similar", "tri-cross"}
    assert {r["group"] for r in rows if r["breakdown"] == "domain"} == {d for ds in domains.values() for d in ds.values()}
    checked = 0
    for row in rows:
        for side in ("sync", "async"):
            runs = _runs(scored, row["label"], side)
            assert len(runs) == len(instances) * SEEDS
            if row["breakdown"] == "kind":
                runs = [s for s in runs if kind[s["instance"]] == row["group"]]
            if row["breakdown"] == "domain":
                runs = [_domain_expected(s, domains[s["instance"]], row["group"]) for s in runs
                        if row["group"] in domains[s["instance"]].values()]
            assert row["runs"] == len(runs)
            for column, key, _, scale in COLUMNS:
                assert row[column][side] == _mean([s[key] for s in runs], scale), (row["label"], row["group"], column, side)
                checked += 1
        for column, *_ in COLUMNS:
            assert row[column]["drop"] == round(row[column]["sync"] - row[column]["async"], 1)
    assert checked == len(rows) * 2 * len(COLUMNS)
    # the comparison is not trivial: interleave is more efficient than its sequential baseline
    interleave = next(r for r in rows if r["label"] == "interleave" and r["breakdown"] == "all")
    assert interleave["efficiency"]["async"] > interleave["efficiency"]["sync"]


def test_a_domain_row_scores_only_that_domains_tasks():
    task = {"status": "done", "subtasks": ["passed"], "passed": True, "calls": 2, "gold_calls": 2, "matched_calls": 2}
    failed = {"status": "done", "subtasks": ["passed", "failed"], "passed": False, "calls": 3, "gold_calls": 4, "matched_calls": 1}
    cancelled = {"status": "cancelled", "subtasks": ["cancelled"], "passed": False, "calls": 0, "gold_calls": 0, "matched_calls": 0}
    score = {"tasks": {"a": task, "b": failed, "c": cancelled}, "task_domains": {"a": "math", "b": "travel", "c": "travel"},
             "coordination_efficiency": 0.5, "idle_ready_ms": 10, "task_switches": 3}
    math = domain_score(score, "math")
    assert (math["step_f1_args"], math["subtask_success_rate"], math["task_success_rate"], math["instance_success"]) == (1.0, 1.0, 1.0, True)
    travel = domain_score(score, "travel")
    # 1 of 3 calls and 1 of 4 gold calls match: P 1/3, R 1/4, F1 2/7; the cancelled task counts for nothing
    assert travel["step_recall"] == 0.25 and abs(travel["step_f1_args"] - 2 / 7) < 1e-12
    assert (travel["subtask_success_rate"], travel["task_success_rate"], travel["instance_success"]) == (0.5, 0.0, False)
    assert travel["coordination_efficiency"] == 0.5 and domain_score(score, "vehicle") is None


def test_policies_with_different_models_are_separate_rows():
    def run(model: str, side: str, f1: float) -> dict[str, Any]:
        return {"label": f"llm/{model}", "policy": "llm", "model": model, "side": side, "step_f1_args": f1, "tasks": {},
                "kind": None, "task_domains": {}}
    scores = [run("small", "sync", 1.0), run("small", "async", 0.5), run("big", "sync", 1.0), run("big", "async", 1.0)]
    rows = results_rows(scores)
    assert [(r["label"], r["model"], r["f1"]["drop"]) for r in rows] == [("llm/small", "small", 50.0), ("llm/big", "big", 0.0)]


def test_markdown_and_csv_hold_the_same_cells(compared):
    rows, _ = compared
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    assert table[0][:7] == ["label", "breakdown", "group", "runs", "F1 sync", "F1 async", "F1 drop"]
    assert len(table) == len(rows) + 1
    for line, row in zip(table[1:], rows):
        assert line[:4] == [row["label"], row["breakdown"], row["group"], str(row["runs"])]
        assert [float(c) for c in line[4:]] == [row[c][side] for c, *_ in COLUMNS for side in ("sync", "async", "drop")]
    markdown = to_markdown(rows)
    assert markdown.startswith("**All runs**") and "**By composition" in markdown and "**By domain" in markdown
    first = next(line for line in markdown.splitlines() if line.startswith("| sequential |"))
    assert first.split(" | ")[2] == f"{rows[0]['f1']['sync']:.1f} → {rows[0]['f1']['async']:.1f} ({rows[0]['f1']['drop']:.1f})"


def test_compare_prints_the_table_in_each_format(suite):
    dual_cross = next(i["id"] for i in read_suite(suite) if i["kind"] == "dual-cross")
    args = ["compare", f"{suite}#{dual_cross}", "-p", "interleave", "--seeds", "1", "--format"]
    as_json = CliRunner().invoke(_app(), [*args, "json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    assert rows[0]["label"] == "interleave" and set(rows[0]["overall"]) == {"sync", "async", "drop"}
    assert [r["breakdown"] for r in rows] == ["all", "kind", "domain", "domain"]
    markdown = CliRunner().invoke(_app(), [*args, "markdown"]).stdout
    assert markdown.startswith("*sync*: the synchronous baseline at the same latencies") and "\n**All runs**" in markdown
    assert CliRunner().invoke(_app(), [*args, "csv"]).stdout.startswith("label,breakdown,group,runs,F1 sync")
    table = CliRunner().invoke(_app(), [*args, "table"]).output
    assert "F1" in table and "by composition" in table and "by domain" in table and "sequential policy" in table
    bad = CliRunner().invoke(_app(), [*args, "html"])
    assert bad.exit_code != 0 and "table | markdown | csv | json" in str(bad.exception)
