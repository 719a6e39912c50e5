"""AsyncTool's results table in ``simtool compare --format``: its numbers are the per-trace
scores' means x100, sync (instant) and async (delayed) side by side with the drop."""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from typer.testing import CliRunner

from simtool.scoring.cli import register
from simtool.scoring.compare import compare
from simtool.scoring.results import COLUMNS, results_rows, to_csv, to_markdown
from worlds.suites import build_suite, task_pool, write_suite

POLICIES = ("sequential", "eager")


@pytest.fixture(scope="module")
def sources(bfcl_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("suite") / "small.jsonl"
    suite = build_suite(task_pool(bfcl_dir), 4, seed=2, profile="saas")[:2]
    write_suite(suite, path)
    return [f"{path}#{i['id']}" for i in suite]


@pytest.fixture(scope="module")
def compared(sources):
    return compare(sources, POLICIES, (0,))


def test_the_tables_numbers_are_the_per_trace_scores_means_times_100(compared):
    rows = results_rows(compared["scores"], POLICIES)
    assert [r["policy"] for r in rows] == list(POLICIES)
    for row in rows:
        for column, key, _ in COLUMNS:
            for side, profile in (("sync", "instant"), ("async", "delayed")):
                runs = [s for s in compared["scores"] if s["policy"] == row["policy"] and s["profile"] == profile]
                assert len(runs) == 2
                expected = round(100 * sum(float(s[key]) for s in runs) / len(runs), 1)
                assert row[column][side] == expected, (row["policy"], column, side)
            assert row[column]["drop"] == round(row[column]["sync"] - row[column]["async"], 1)


def test_markdown_and_csv_hold_the_same_cells(compared):
    rows = results_rows(compared["scores"], POLICIES)
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    assert table[0][:5] == ["policy", "runs", "F1 sync", "F1 async", "F1 drop"] and len(table) == 3
    assert table[1][0] == "sequential" and float(table[1][2]) == rows[0]["f1"]["sync"]
    markdown = to_markdown(rows).splitlines()
    assert markdown[0].startswith("| policy | runs | F1 sync") and markdown[1].startswith("| --- |")
    assert markdown[2].split(" | ")[2] == f"{rows[0]['f1']['sync']:.1f}"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_compare_prints_the_table_in_each_format(sources):
    args = ["compare", *sources, "-p", "sequential", "--seeds", "1", "--format"]
    as_json = CliRunner().invoke(_app(), [*args, "json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.output)
    assert rows[0]["policy"] == "sequential" and set(rows[0]["overall"]) == {"sync", "async", "drop"}
    assert CliRunner().invoke(_app(), [*args, "markdown"]).output.startswith("| policy |")
    assert CliRunner().invoke(_app(), [*args, "csv"]).output.startswith("policy,runs,F1 sync")
    assert "overall" in CliRunner().invoke(_app(), [*args, "table"]).output
    bad = CliRunner().invoke(_app(), [*args, "html"])
    assert bad.exit_code != 0 and "table | markdown | csv | json" in str(bad.exception)
