"""Many LLM runs in flight: sweeps, hunts and compare on threads of one process, against the real
local model server, give the rows that processes (or one run after another) give; cassettes
recorded and replayed by many threads at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simtool.hunting import hunt
from simtool.scoring.compare import compare
from simtool.sweeps import LocalPool, load_rows, load_spec, run_sweep
from simtool.sweeps.executors import ThreadPool
from simtool.sweeps.placement import DEFAULT_THREADS, auto_threads, makes_requests, spec_makes_requests
from tests.llm.conftest import WORLD
from tests.llm.fake_model import ModelServer

SPEC = """\
name: llm-threads
worlds: [ticket_world.yaml]
policies: [llm]
seeds: 3
set:
  policy.model: brain
  policy.timeout_s: 5
  policy.max_attempts: 3
  policy.retry_base_ms: 0
  policy.retry_max_ms: 0
grid:
  policy.protocol: [managed, transcript, sync]
"""


def _spec(folder: Path, server: ModelServer, mode: str = "live", cassette: Path | None = None):
    shutil.copy(WORLD, folder / "ticket_world.yaml")
    path = folder / "spec.yaml"
    path.write_text(SPEC, encoding="utf-8")
    network = [f"policy.llm_mode={mode}", f"policy.base_url={server.openai_url}"]  # inert in replay: the request body says max_tokens
    return load_spec(path, tuple(network + ([f"policy.cassette={cassette}"] if cassette else [])))


def _scores(folder: Path) -> list[dict]:
    """A folder's rows without what names the cell's options (its key, the --set columns, the config's hash): the scores."""
    rows = [{k: v for k, v in r.items() if k not in ("cell", "config_hash") and not k.startswith("policy.")} | {"protocol": r["policy.protocol"]}
            for r in load_rows(folder)]
    return sorted(rows, key=lambda r: (r["protocol"], r["seed"]))


def _network(server: ModelServer) -> list[str]:
    return ["policy.llm_mode=live", f"policy.base_url={server.openai_url}", "policy.model=brain", "policy.timeout_s=5"]


def test_threaded_sweep_cells_give_the_rows_of_process_cells_and_of_one_at_a_time(model_server, tmp_path):
    spec = _spec(tmp_path, model_server)
    here = run_sweep(spec, tmp_path / "here")
    threads = ThreadPool(4)
    try:
        threaded = run_sweep(spec, tmp_path / "threads", executor=threads)
    finally:
        threads.close()
    pool = LocalPool(2)
    try:
        run_sweep(spec, tmp_path / "processes", executor=pool)
    finally:
        pool.close()
    rows = load_rows(tmp_path / "here")
    assert here.ran == threaded.ran == 9 and all(r["status"] == "ok" for r in rows)
    assert load_rows(tmp_path / "threads") == rows
    assert load_rows(tmp_path / "processes") == rows


def test_a_cassette_recorded_by_many_threads_has_the_bytes_of_one_recorded_run_by_run(model_server, tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    one = _spec(tmp_path / "one", model_server, "record", tmp_path / "one.jsonl")
    many = _spec(tmp_path / "many", model_server, "record", tmp_path / "many.jsonl")
    run_sweep(one, tmp_path / "one" / "out")
    threads = ThreadPool(9)
    try:
        run_sweep(many, tmp_path / "many" / "out", executor=threads)
    finally:
        threads.close()
    recorded = (tmp_path / "one.jsonl").read_bytes()
    assert (tmp_path / "many.jsonl").read_bytes() == recorded
    keys = [line.split(b'"key":"')[1][:64] for line in recorded.splitlines()]
    assert keys == sorted(set(keys))  # one line per request, in key order
    assert _scores(tmp_path / "many" / "out") == _scores(tmp_path / "one" / "out")


def test_many_threads_replay_one_cassette_offline_and_give_the_recorded_rows(model_server, tmp_path):
    recording = _spec(tmp_path, model_server, "record", tmp_path / "c.jsonl")
    run_sweep(recording, tmp_path / "recorded")
    model_server.stop()  # replay needs no server
    replay = _spec(tmp_path, model_server, "replay", tmp_path / "c.jsonl")
    before = (tmp_path / "c.jsonl").read_bytes()
    threads = ThreadPool(9)
    try:
        run_sweep(replay, tmp_path / "replayed", executor=threads)
    finally:
        threads.close()
    replayed = _scores(tmp_path / "replayed")
    assert len(replayed) == 9 and all(r["status"] == "ok" for r in replayed)
    assert replayed == _scores(tmp_path / "recorded")
    assert (tmp_path / "c.jsonl").read_bytes() == before  # replay writes nothing


def test_a_hunt_of_an_llm_policy_on_threads_reports_what_one_worker_reports(model_server):
    overrides = _network(model_server)
    alone = hunt(str(WORLD), "llm", range(0, 6), overrides=overrides, workers=1)
    assert alone.outcomes and all(o.end_reason == "all_done" for o in alone.outcomes)
    assert hunt(str(WORLD), "llm", range(0, 6), overrides=overrides, threads=4) == alone
    assert hunt(str(WORLD), "llm", range(0, 6), overrides=overrides, workers=2) == alone


def test_compare_on_threads_gives_the_result_of_one_run_at_a_time(model_server):
    overrides = tuple(_network(model_server))
    one = compare([str(WORLD)], ["llm"], (0, 1), overrides)
    assert compare([str(WORLD)], ["llm"], (0, 1), overrides, threads=4) == one
    assert len(one["scores"]) == 4


def test_scripted_compare_on_threads_gives_the_same_result():
    world = str(WORLD)
    assert compare([world], ["sequential", "eager"], (0, 1, 2), threads=3) == compare([world], ["sequential", "eager"], (0, 1, 2))


@pytest.mark.parametrize(("policy", "networked"), [
    ({"name": "llm", "llm_mode": "live"}, True),
    ({"name": "llm", "llm_mode": "record", "cassette": "c.jsonl"}, True),
    ({"name": "llm"}, True),  # live is the llm policy's default
    ({"name": "llm", "llm_mode": "replay", "cassette": "c.jsonl"}, False),
    ({"name": "interleave"}, False),
    ({"name": "no-such-policy"}, False),
])
def test_threads_are_chosen_for_policies_that_ask_a_server(policy, networked):
    assert makes_requests(policy) is networked


def test_a_sweep_compare_or_hunt_of_a_live_llm_policy_runs_on_threads_by_default(model_server, tmp_path):
    assert spec_makes_requests(_spec(tmp_path, model_server))
    assert not spec_makes_requests(_spec(tmp_path, model_server, "replay", tmp_path / "c.jsonl"))
    assert auto_threads([str(WORLD)], ["sequential", "llm"], _network(model_server)) == DEFAULT_THREADS
    assert auto_threads([str(WORLD)], ["sequential", "eager"], ()) is None
