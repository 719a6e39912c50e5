"""Reading an outside agent's submissions into decisions, and the declared think model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simtool.errors import SpecError
from simtool.external.actions import MAX_ACTIONS, read_submission, submission_of
from simtool.external.session import recorded_form
from simtool.external.think import ThinkModel, estimate_tokens, parse_think
from simtool.policy import CallAction, Cancel, Decision, Respond, Wait
from tests.hardening.support import simtool

ROOT = Path(__file__).resolve().parents[2]
THINK = ThinkModel(fixed_ms=300, ms_per_input_token=0.2, ms_per_output_token=20)


def test_every_op_is_read_into_its_action():
    decision = read_submission({"actions": [
        {"op": "call", "task": "t", "tool": "ls", "args": {"a": True}, "timeout_ms": 50, "uses": ["c1"], "ref": "r"},
        {"op": "cancel", "call_id": "c2"},
        {"op": "respond", "task": "t", "text": "done", "uses": "c3"},
        {"op": "wait", "call_ids": ["c4"], "timeout_ms": 90},
        {"op": "wait", "call_ids": ["c5", "c4"], "timeout_ms": 40},
    ], "think_ms": 7}, THINK)
    assert decision.actions == (CallAction("t", "ls", {"a": True}, 50, ("c1",), "r"), Cancel("c2"), Respond("t", "done", ("c3",)))
    assert decision.wait == Wait(("c4", "c5"), 40) and decision.think_ms == 7 and decision.errors == ()


def test_think_time_comes_from_the_reported_ms_the_reported_tokens_or_the_declared_model():
    assert read_submission({"actions": [], "usage": {"input_tokens": 1000, "output_tokens": 10}}, THINK).think_ms == 300 + 200 + 200
    assert read_submission([], THINK).think_ms == 300
    bad = read_submission({"actions": [], "think_ms": -5}, THINK)
    assert bad.think_ms == 300 and bad.errors[0].reason == "malformed_action"


@pytest.mark.parametrize("raw, words", [
    ("{oops", "not valid JSON"),
    ("7", "found int"),
    ({"actions": [{"op": "jump"}]}, "'op' must be one of"),
    ({"actions": [{"op": "call", "task": "t"}]}, "needs 'task' and 'tool'"),
    ({"actions": [{"op": "call", "task": "t", "tool": "x", "args": [1]}]}, "'args' must be an object"),
    ({"actions": [{"op": "call", "task": "t", "tool": "x", "timeout_ms": 0}]}, "timeout_ms must be a positive integer"),
    ({"actions": [{"op": "cancel"}]}, "cancel needs 'call_id'"),
    ({"actions": [{"op": "respond", "task": 3}]}, "respond needs 'task' and 'text'"),
    ({"actions": [{"op": "wait", "call_ids": [1]}]}, "wait call_ids must be a list"),
    ({"actions": [{"op": "cancel", "call_id": "c1", "extra": 1}]}, "unknown key 'extra'"),
    ({"actions": "all of them"}, "'actions' must be a list"),
    ({"actions": [], "mood": "good"}, "unknown key 'mood'"),
    ({"actions": [], "usage": {"input_tokens": -1}}, "usage.input_tokens"),
])
def test_malformed_submissions_become_agent_errors_never_exceptions(raw, words):
    decision = read_submission(raw, THINK)
    assert decision.errors and decision.errors[0].reason == "malformed_action" and words in decision.errors[0].detail


def test_actions_past_the_limit_are_not_acted_on():
    decision = read_submission([{"op": "cancel", "call_id": f"c{i}"} for i in range(MAX_ACTIONS + 3)], THINK)
    assert len(decision.actions) == MAX_ACTIONS and "at most" in decision.errors[0].detail


def test_a_decision_round_trips_through_its_submission():
    decision = Decision(actions=(CallAction("t", "ls", {"x": 1}, 9, ("c0",), "r1"), Cancel("c1"), Respond("t", "ok", None)),
                        think_ms=12, wait=Wait(("c2",), 30))
    assert read_submission(submission_of(decision), THINK) == decision


def test_the_recorded_form_is_json_and_bounded():
    assert recorded_form((1, {2: "x"})) == [1, {"2": "x"}]
    assert recorded_form("x" * 2_000_000) == {"oversized_submission_chars": 2_000_000}


def test_the_think_model_is_declared_as_ms_or_three_figures():
    assert parse_think(250) == ThinkModel(250)
    assert parse_think({"fixed_ms": 1, "ms_per_output_token": 2}).ms_per_output_token == 2.0
    for bad in (-1, "fast", {"fixed_ms": 1.5}, {"speed": 1}, {"ms_per_input_token": float("nan")}):
        with pytest.raises(SpecError):
            parse_think(bad)
    assert estimate_tokens("abcdefgh") == 2 and estimate_tokens("") == 0


def test_the_external_policy_alone_says_where_its_decisions_come_from():
    done = simtool("run", "--policy", "external")
    assert done.code == 2 and "Traceback" not in done.text
    assert "outside agent" in done.err and "simtool replay" in done.err


SERVE_REFUSALS = [
    (["--transport", "carrier-pigeon"], "--transport"),
    (["--mode", "eager"], "--mode"),
    (["--think-tokens", "300,fast"], "--think-tokens"),
    (["--set", "policy.think=3"], "world overrides"),
]


@pytest.mark.parametrize("args, words", SERVE_REFUSALS)
def test_serve_refuses_bad_options_clearly(args, words):
    pytest.importorskip("mcp", reason="the MCP SDK is not installed: pip install 'simtool[mcp]'")
    done = simtool("serve", *args)
    assert done.code == 2 and "Traceback" not in done.text and words in done.err
    assert done.err.startswith("error: ") and done.out == ""


def test_serve_refuses_a_bad_option_from_a_real_process_too():
    """The one refusal run as ``python -m simtool`` (the others run the same ``main`` in this process)."""
    pytest.importorskip("mcp", reason="the MCP SDK is not installed: pip install 'simtool[mcp]'")
    args, words = SERVE_REFUSALS[0]
    out = subprocess.run([sys.executable, "-m", "simtool", "serve", *args], capture_output=True, text=True, cwd=ROOT,
                         stdin=subprocess.DEVNULL, timeout=60)
    assert out.returncode == 2 and "Traceback" not in out.stderr and words in out.stderr


def test_serve_refuses_a_port_it_cannot_listen_on_before_announcing_anything():
    import socket

    pytest.importorskip("mcp", reason="the MCP SDK is not installed: pip install 'simtool[mcp]'")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for bad in (str(port), "99999"):
            done = simtool("serve", "--transport", "http", "--port", bad)
            assert done.code == 2 and "Traceback" not in done.text and "--port" in done.err
            assert "MCP over streamable HTTP" not in done.text
