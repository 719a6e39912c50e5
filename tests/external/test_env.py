"""The Gymnasium environment: the checker, determinism across processes, replay, malformed
actions, and an agent written against it scoring as the built-in policy does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

from simtool.config import run_config
from simtool.env import ENV_ID, SimtoolEnv, make
from simtool.errors import SimtoolError, SpecError
from simtool.rng import stream
from simtool.run import replay, run
from simtool.scoring.score import score_trace
from simtool.trace import TraceError, read_trace
from tests.external.agents import run_policy_through_env

ROOT = Path(__file__).resolve().parents[2]
SCORES = ("task_success_rate", "subtask_success_rate", "makespan_ms", "coordination_efficiency", "step_f1_args", "idle_ready_ms")


def test_check_env_passes_on_the_default_world_and_through_gymnasium_make():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(make(seed=0))
        check_env(gymnasium.make(ENV_ID, world="default", seed=0).unwrapped)


def test_the_observation_is_the_managed_text_and_info_holds_the_structured_observation():
    env = make(seed=0)
    text, info = env.reset()
    obs = info["observation"]
    assert text.startswith("Time: 0 ms.") and "Task conference-trip [active]" in text
    assert {t.task_id for t in obs.tasks} == {"conference-trip", "rebalance", "trip-paperwork"}
    assert text in env.observation_space


def test_a_call_with_a_ref_is_reported_in_the_next_info_and_a_bad_one_is_refused_with_its_reason():
    env = make(seed=0)
    env.reset()
    _, _, _, _, info = env.step({"actions": [
        {"op": "call", "task": "rebalance", "tool": "get_stock_info", "args": {"symbol": "NVDA"}, "ref": "quote"},
        {"op": "call", "task": "rebalance", "tool": "book_flight", "args": {}, "ref": "confused"},
    ], "think_ms": 10})
    assert info["issued"]["quote"]["call_id"] == "c0"
    assert info["issued"]["confused"]["refused"] == "wrong_task_tool"
    assert info["time_ms"] == 10


def test_malformed_actions_are_recorded_agent_errors_and_the_episode_goes_on(tmp_path):
    env = make(seed=0, trace=tmp_path / "t.jsonl")
    env.reset()
    for bad in ("{not json", 42, {"actions": [{"op": "fly"}]}, {"actions": "call"}, [{"op": "call", "task": 3}]):
        _, _, terminated, truncated, info = env.step(bad)
        assert not terminated and not truncated
    env.close()
    partial = tmp_path / "t.jsonl.incomplete"
    events = [json.loads(line) for line in partial.read_text().splitlines()]
    errors = [e for e in events if e["kind"] == "agent_error"]
    assert len(errors) == 5 and all(e["reason"] == "malformed_action" for e in errors)
    assert "not valid JSON" in errors[0]["detail"] and "'op' must be one of" in errors[2]["detail"]


def test_the_episode_ends_with_the_task_success_as_reward_and_a_replayable_trace(tmp_path):
    env = make(seed=0, trace=tmp_path / "run-{seed}.jsonl")
    info = run_policy_through_env(env, "interleave", {"think": 20})
    trace = tmp_path / "run-0.jsonl"
    assert info["end_reason"] == "all_done" and trace.exists()
    assert info["reward"] == pytest.approx(info["task_success"]) and 0 <= info["reward"] <= 1
    assert replay(trace).identical


def test_a_tampered_env_trace_does_not_replay(tmp_path):
    env = make(seed=1, trace=tmp_path / "t.jsonl")
    run_policy_through_env(env, "interleave", {"think": 20})
    lines = (tmp_path / "t.jsonl").read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if '"kind":"decide"' in line and '"op":"call"' in line)
    lines[index] = lines[index].replace('"think_ms":20', '"think_ms":21', 1)
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(TraceError, match="digest does not match"):  # refused before anything runs
        replay(tmp_path / "t.jsonl")


def test_an_agent_written_against_the_env_scores_as_the_built_in_policy(tmp_path):
    for seed in (0, 5):
        env = make(seed=seed, trace=tmp_path / f"env-{seed}.jsonl")
        run_policy_through_env(env, "interleave", {"think": 20})
        config, where = run_config(None, "interleave", ["policy.think=20"])
        run(config, seed, tmp_path / f"builtin-{seed}.jsonl", where)
        ours, theirs = score_trace(tmp_path / f"env-{seed}.jsonl"), score_trace(tmp_path / f"builtin-{seed}.jsonl")
        assert {k: ours[k] for k in SCORES} == {k: theirs[k] for k in SCORES}
        a = [e for e in read_trace(tmp_path / f"env-{seed}.jsonl").events if e["kind"] not in ("decide", "end")]
        b = [e for e in read_trace(tmp_path / f"builtin-{seed}.jsonl").events if e["kind"] not in ("decide", "end")]
        assert a == b  # every call, delivery and fault at the same instant


SCRIPT = """
import sys
from simtool.env import make
from tests.external.agents import run_policy_through_env
env = make(world=sys.argv[1], seed=int(sys.argv[2]), trace=sys.argv[3])
env.reset()
env.step({"actions": [{"op": "call", "task": "rebalance", "tool": "get_stock_info", "args": {"symbol": "NVDA"}}], "usage": {"input_tokens": 900, "output_tokens": 40}})
env.step("not json at all")
run_policy_through_env(env, "critical-path", {"think": 15})
"""


def test_the_same_seed_and_actions_give_identical_bytes_across_processes(tmp_path):
    paths = []
    for hash_seed in ("1", "4242"):
        path = tmp_path / f"p{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-c", SCRIPT, "default", "3", str(path)], check=True, env=env, cwd=ROOT)
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert replay(paths[0]).identical


def test_reset_without_a_seed_draws_the_next_run_seed_reproducibly():
    env = make(seed=11)
    first = env.reset()[1]["seed"]
    env.reset(seed=123)
    a = env.reset()[1]["seed"]
    env.reset(seed=123)
    b = env.reset()[1]["seed"]
    assert first == 11 and a == b != 123


def test_unseeded_resets_draw_run_seeds_from_a_counter_based_stream_not_numpy():
    env = make(seed=11)
    env.reset()
    seeds = [env.reset()[1]["seed"] for _ in range(3)]
    expected = stream(11, "env", "resets")
    assert seeds == [int(expected.integers(0, 2**31 - 1)) for _ in range(3)]
    env.reset(seed=5)
    assert env.reset()[1]["seed"] == int(stream(5, "env", "resets").integers(0, 2**31 - 1))


def test_bad_construction_is_a_clear_error():
    with pytest.raises(SpecError, match="protocol"):
        SimtoolEnv(protocol="telepathy")
    with pytest.raises(SpecError, match="seed"):
        make(seed=-1)
    with pytest.raises(SimtoolError, match="unknown world 'no-such-world'"):
        make(world="no-such-world")


def test_closing_mid_episode_leaves_an_incomplete_trace(tmp_path):
    env = make(seed=0, trace=tmp_path / "t.jsonl")
    env.reset()
    env.step([{"op": "wait", "timeout_ms": 50}])
    env.close()
    assert not (tmp_path / "t.jsonl").exists() and (tmp_path / "t.jsonl.incomplete").exists()


@pytest.mark.parametrize("build", [make, lambda **kw: gymnasium.make(ENV_ID, **kw)], ids=["make", "gymnasium.make"])
def test_an_unknown_world_key_blames_the_keyword_and_names_the_keys_there(build):
    with pytest.raises(SpecError) as info:
        build(bogus__key=3)
    message = str(info.value)
    assert message.startswith("bogus__key=3: unknown key") and "found 'bogus'" in message
    assert "latency | services" in message  # the keys valid at that level
    assert "default.yaml" not in message  # the world file did not write it
    with pytest.raises(SpecError, match=r"^latency__bogus=3: unknown latency key \(expected scale \| default \| services"):
        build(latency__bogus=3)
    with pytest.raises(SpecError, match=r"^tasks__9__id='x': no such list item"):
        build(tasks__9__id="x")


def test_world_keys_reach_the_run_through_gymnasium_make_as_through_make():
    for env in (make(latency__scale=3), gymnasium.make(ENV_ID, latency__scale=3).unwrapped):
        env.reset()
        assert env.session.live.config["world"]["latency"]["scale"] == 3
        env.close()
