"""The recipe of docs/llm.md ("Evaluating a local model, end to end") runs as written: every
``bash`` block marked ``<!-- recipe -->`` runs against the local test server (its URL in place of
``http://localhost:8080/v1``), then the server stops and every block marked
``<!-- recipe offline -->`` runs without it. The doc cannot drift from the code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simtool.trace import read_trace
from simtool.world import parse_world
from tests.llm.fake_model import Brain, ModelServer, plans_of
from worlds.suites import instance_world, read_suite

DOC = Path(__file__).resolve().parents[2] / "docs" / "llm.md"
URL = "http://localhost:8080/v1"
BLOCK = re.compile(r"<!-- recipe( offline)? -->\n```bash\n(.*?)```", re.DOTALL)


def recipe() -> list[tuple[bool, str]]:
    """(offline, script) of each recipe block, in the doc's order."""
    return [(bool(m.group(1)), m.group(2)) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_the_recipe_has_online_blocks_then_offline_ones():
    blocks = recipe()
    assert [offline for offline, _ in blocks] == [False, False, True, True]
    assert "llm_mode=record" in blocks[1][1] and all("llm_mode=replay" in script for offline, script in blocks if offline)


def test_the_recipe_in_docs_llm_runs_against_the_local_server(bfcl_dir, tmp_path):
    plans: dict = {}
    server = ModelServer(Brain(plans))  # the plans follow once the recipe has built its suite
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")}
    env.update(PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""), SIMTOOL_BFCL_DATA=str(bfcl_dir),
               COLUMNS="200", PYTHONHASHSEED="3")
    outputs = []
    try:
        for offline, script in recipe():
            if offline:
                server.stop()
            requests = len(server.requests)
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", script.replace(URL, server.openai_url)], cwd=tmp_path,
                                  env=env, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            assert "warning:" not in done.stderr  # under turns the delays are felt: latency / think above 1
            outputs.append(done.stdout)
            if offline:
                assert len(server.requests) == requests
            if not plans and (tmp_path / "runs" / "suite.jsonl").exists():
                for instance in read_suite(tmp_path / "runs" / "suite.jsonl"):
                    plans.update(plans_of(parse_world(instance_world(instance))))
    finally:
        server.stop()
    assert len(server.requests) > 0 and "none" in server.keys_seen  # a local server gets the placeholder key
    traces = sorted((tmp_path / "runs" / "traces").glob("*.seed0.jsonl"))
    assert len(traces) == 8  # four instances, sync and async
    for trace in traces:
        policy = read_trace(trace).header["config"]["policy"]
        assert (policy["protocol"], policy["model"]) == ("sync" if ".sync." in trace.name else "managed", "qwen2.5:7b")
    table = (tmp_path / "runs" / "table.md").read_text(encoding="utf-8")
    assert "| llm/qwen2.5:7b | 4 |" in table and "**By composition" in table and "**By domain" in table
    assert "by composition" in outputs[-1] and "llm/qwen2.5:7b" in outputs[-1]


@pytest.fixture(autouse=True)
def _no_key_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
