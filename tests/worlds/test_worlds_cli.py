"""`simtool bfcl gold` and `simtool suite build|list|profiles`, through the worlds command group."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from simtool.errors import SpecError
from worlds.bfcl.corpus import read_answers, read_entries
from worlds.bfcl.gold import replay_corpus
from worlds.cli import register
from worlds.suites import build_suite, task_pool, write_suite


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
