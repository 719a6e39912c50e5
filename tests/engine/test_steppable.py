"""The steppable core: a caller advances the runtime to each decision point and submits a decision.

Driven by hand (a loop that calls a policy's ``decide`` itself) or by ``simtool.run.run``, the
same seed and the same decisions write the same trace bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simtool.config import run_config
from simtool.errors import SimtoolError, SpecError
from simtool.policy import CallAction, Decision, Wait
from simtool.run import run, start_run
from simtool.trace import read_trace
from tests.engine.helpers import ticket_task, world

ROOT = Path(__file__).resolve().parents[2]


def _config(shuffle: bool, policy: str, world_file: str | None = None) -> dict:
    source = str(ROOT / world_file) if world_file else None
    config, _ = run_config(source, policy, ("world.tie_shuffle=true",) if shuffle else ())
    return config


def _hand_driven(config: dict, seed: int) -> tuple[str, list[str]]:
    live = start_run(config, seed)
    rt, policy = live.runtime, live.policy
    assert policy is not None
    policy.reset(rt.policy_context())
    rt.start()
    while True:
        obs = rt.advance()
        if obs is None:
            break
        rt.submit(policy.decide(obs))
    result = live.finish(policy.close())
    return result.end_reason, list(result.lines)


@pytest.mark.parametrize("shuffle", [False, True], ids=["fifo-ties", "shuffled-ties"])
@pytest.mark.parametrize("policy", ["interleave", "eager", "unbound", "critical-path"])
def test_a_hand_driven_advance_submit_loop_writes_the_same_bytes_as_the_policy_driven_run(shuffle, policy):
    config = _config(shuffle, policy)
    for seed in (0, 3):
        expected = run(config, seed)
        reason, lines = _hand_driven(config, seed)
        assert reason == expected.end_reason == "all_done"
        assert lines == list(expected.lines)


@pytest.mark.parametrize("shuffle", [False, True], ids=["fifo-ties", "shuffled-ties"])
@pytest.mark.parametrize("world_file", ["tests/hunting/worlds/races.yaml", "tests/scoring/worlds/revoked-read.yaml",
                                        "tests/scoring/worlds/cancelled-during-outage.yaml"])
def test_hand_driven_runs_of_fault_heavy_worlds_write_the_same_bytes(shuffle, world_file):
    for policy in ("interleave", "eager", "oblivious"):
        config = _config(shuffle, policy, world_file)
        expected = run(config, 1)
        reason, lines = _hand_driven(config, 1)
        assert reason == expected.end_reason and lines == list(expected.lines)


def _decisions_of(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines if '"kind":"decide"' in line]


def test_an_external_agent_is_recorded_in_the_header_and_its_decisions_in_the_trace():
    spec = world([ticket_task("a", ["get_user_tickets()"])])
    with start_run({"world": spec}, 0, agent={"name": "my-agent", "model": "m1"}) as live:
        assert live.policy is None
        rt = live.runtime
        rt.start()
        obs = rt.advance()
        assert obs is not None and obs.now == 0 and obs.decision == 0
        rt.submit(Decision((CallAction("a", "get_user_tickets", {}, ref="first"),), 5, Wait()))
        obs = rt.advance()
        assert obs is not None and obs.issued["first"].call_id == "c0"
        assert [e.kind for e in obs.events] == ["delivered"] and obs.now == 205
        result = live.finish({"steps": 2})
    events = [json.loads(line) for line in result.lines]
    assert events[0]["config"]["policy"] == {"name": "my-agent", "model": "m1"}
    assert [d["think_ms"] for d in _decisions_of(list(result.lines))] == [5]
    assert events[-2]["kind"] == "end" and events[-2]["reason"] == "stopped" and events[-2]["policy"] == {"steps": 2}
    assert result.end_reason == "stopped" and events[-1]["kind"] == "footer"


def test_advance_returns_none_once_the_run_is_over_and_keeps_returning_it():
    spec = world([ticket_task("a", ["get_user_tickets()"])])
    live = start_run({"world": spec}, 0, agent={"name": "x"})
    rt = live.runtime
    rt.start()
    assert rt.advance() is not None
    rt.submit(Decision(wait=Wait()))  # nothing will ever happen: the run stalls
    assert rt.advance() is None and rt.end_reason == "stalled"
    assert rt.advance() is None
    assert live.finish().end_reason == "stalled"


def test_submit_without_an_observation_and_advance_twice_are_refused():
    spec = world([ticket_task("a", ["get_user_tickets()"])])
    live = start_run({"world": spec}, 0, agent={"name": "x"})
    rt = live.runtime
    rt.start()
    with pytest.raises(SimtoolError, match="call advance"):
        rt.submit(Decision())
    assert rt.advance() is not None
    with pytest.raises(SimtoolError, match="before submit"):
        rt.advance()
    live.abandon()


def test_a_live_run_left_by_an_exception_keeps_its_incomplete_trace(tmp_path):
    spec = world([ticket_task("a", ["get_user_tickets()"])])
    path = tmp_path / "t.jsonl"
    with pytest.raises(RuntimeError), start_run({"world": spec}, 0, path, agent={"name": "x"}) as live:
        live.runtime.start()
        raise RuntimeError("the agent crashed")
    assert not path.exists() and path.with_name("t.jsonl.incomplete").exists()
    with pytest.raises(SimtoolError, match="already ended"):
        live.finish()


def test_a_finished_file_trace_reads_back_complete(tmp_path):
    spec = world([ticket_task("a", ["get_user_tickets()"])])
    path = tmp_path / "t.jsonl"
    live = start_run({"world": spec, "policy": {"name": "interleave"}}, 1, path)
    assert live.policy is not None
    live.policy.reset(live.runtime.policy_context())
    live.runtime.start()
    while (obs := live.runtime.advance()) is not None:
        live.runtime.submit(live.policy.decide(obs))
    result = live.finish(live.policy.close())
    assert result.trace_path == str(path) and read_trace(path).complete
    assert path.read_text().splitlines() == list(result.lines)


def test_an_external_agent_needs_a_name():
    spec = world([ticket_task("a", ["get_user_tickets()"])])
    with pytest.raises(SpecError, match="needs a name"):
        start_run({"world": spec}, 0, agent={"model": "m"})


def test_the_next_observation_reports_each_refs_call_id_or_refusal():
    spec = world([ticket_task("a", ["get_user_tickets()"])])
    with start_run({"world": spec}, 0, agent={"name": "x"}) as live:
        rt = live.runtime
        rt.start()
        rt.advance()
        actions = (
            CallAction("a", "get_user_tickets", {}, ref="ok"),
            CallAction("nope", "get_user_tickets", {}, ref="bad-task"),
            CallAction("a", "get_user_tickets", {"x": 1}, ref="bad-args"),
            CallAction("a", "get_user_tickets", {}),  # no ref: not reported
        )
        rt.submit(Decision(actions, 10, Wait(("c0",))))
        obs = rt.advance()
        assert obs is not None
        assert list(obs.issued) == ["ok", "bad-task", "bad-args"]
        assert obs.issued["ok"].call_id == "c0" and obs.issued["ok"].refused is None
        assert obs.issued["bad-task"].call_id is None and obs.issued["bad-task"].refused == "unknown_task"
        assert "no task 'nope'" in (obs.issued["bad-task"].detail or "")
        assert obs.issued["bad-args"].refused == "bad_arguments"
        rt.submit(Decision(wait=Wait()))
        obs = rt.advance()
        assert obs is not None and dict(obs.issued) == {}
        live.abandon()
