"""`simtool bfcl gold` and `simtool suite build|list|profiles`, through the worlds command group."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from simtool.errors import SpecError
from tests.hardening.support import simtool
from worlds.bfcl.corpus import read_answers, read_entries
from worlds.bfcl.gold import replay_corpus
from worlds.cli import register
from worlds.suites import build_suite, suite_stats, task_pool, write_suite


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """simtool (test app)"""

    register(app)
    return app


def test_bfcl_gold_writes_one_reference_shaped_line_per_entry(app, bfcl_dir, tmp_path):
    out = tmp_path / "gold.jsonl"
    result = CliRunner().invoke(app, ["bfcl", "gold", str(bfcl_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "200 entries replayed" in result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    expected = list(replay_corpus(read_entries(bfcl_dir), read_answers(bfcl_dir)))
    assert lines == json.loads(json.dumps(expected))
    assert set(lines[0]) == {"id", "involved_classes", "turns"}


def test_suite_build_writes_what_build_suite_builds(app, bfcl_dir, tmp_path):
    out, ref = tmp_path / "s.jsonl", tmp_path / "ref.jsonl"
    result = CliRunner().invoke(app, ["suite", "build", "--bfcl", str(bfcl_dir), "--n", "20", "--seed", "4", "--out", str(out), "--profile", "lan"])
    assert result.exit_code == 0, result.output
    assert "20 instances" in result.output and "dual-cross 5" in result.output and "left out bfcl-173" in result.output
    write_suite(build_suite(task_pool(bfcl_dir), 20, 4, "lan"), ref)
    assert out.read_bytes() == ref.read_bytes()
    listed = CliRunner().invoke(app, ["suite", "list", str(out), "--limit", "3"])
    assert listed.exit_code == 0 and "0000-" in listed.output and "20 instances" in listed.output


def test_suite_build_reads_the_corpus_from_the_environment(app, bfcl_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SIMTOOL_BFCL_DATA", str(bfcl_dir))
    result = CliRunner().invoke(app, ["suite", "build", "--n", "4", "--out", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 0, result.output


def test_suite_build_without_a_corpus_says_how_to_give_one(app, tmp_path, monkeypatch):
    monkeypatch.delenv("SIMTOOL_BFCL_DATA", raising=False)
    result = CliRunner().invoke(app, ["suite", "build", "--out", str(tmp_path / "s.jsonl")])
    assert isinstance(result.exception, SpecError) and "--bfcl" in str(result.exception)


def test_suite_profiles_lists_every_profile(app):
    result = CliRunner().invoke(app, ["suite", "profiles"])
    assert result.exit_code == 0
    for name in ("instant", "lan", "saas", "ci-queue", "human-approval"):
        assert name in result.output


def test_suite_build_shapes_the_suite_with_sizes_mix_and_categories(app, bfcl_dir, tmp_path):
    out, ref = tmp_path / "s.jsonl", tmp_path / "ref.jsonl"
    args = ["suite", "build", "--bfcl", str(bfcl_dir), "--n", "12", "--seed", "2", "--out", str(out),
            "--sizes", "2,4", "--mix", "similar=1,cross=2", "--categories", "math,social,travel,records,strings"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    write_suite(build_suite(task_pool(bfcl_dir), 12, 2, "saas", {"similar": 1, "cross": 2}, sizes=[2, 4],
                            categories=["math", "social", "travel", "records", "strings"]), ref)
    assert out.read_bytes() == ref.read_bytes()


def test_suite_stats_prints_the_composition_and_json(app, bfcl_dir, tmp_path):
    path = tmp_path / "s.jsonl"
    suite = build_suite(task_pool(bfcl_dir), 24, 1, sizes=[2, 3, 5])
    write_suite(suite, path)
    table = CliRunner().invoke(app, ["suite", "stats", str(path)])
    assert table.exit_code == 0, table.output
    words = " ".join(table.output.split())  # rich wraps at the terminal's width
    assert "24 instances" in words and "by category" in words and "penta-cross" in words and "most used" in words
    as_json = CliRunner().invoke(app, ["suite", "stats", str(path), "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.output) == json.loads(json.dumps(suite_stats(suite)))


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--mix", "dual-cros=1", "unknown instance kind 'dual-cros'"),
    ("--sizes", "1,2", "instance sizes are task counts from 2 to 8"),
    ("--categories", "cooking", "unknown category 'cooking'"),
])
def test_bad_suite_shapes_exit_2_with_one_clear_paragraph(bfcl_dir, tmp_path, option, value, says):
    # in this process (simtool.cli.main); tests/worlds/test_suites.py runs `suite build` as a child process
    done = simtool("suite", "build", "--bfcl", str(bfcl_dir), "--n", "4", "--out", str(tmp_path / "s.jsonl"), option, value)
    assert done.code == 2
    assert says in " ".join(done.err.split()) and "Traceback" not in done.text
    assert not (tmp_path / "s.jsonl").exists()
