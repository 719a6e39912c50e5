"""Work the engine does once and shares: batched latency draws, gold expectations kept per world,
trace lines encoded by orjson. Each shortcut must give exactly what the long way gives."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simtool.errors import SpecError
from simtool.latency import LatencyDraws, LatencyModel, parse_distribution
from simtool.rng import Streams, stream
from simtool.run import run
from simtool.trace import TraceWriter, canonical
from simtool.world import parse_world
from tests.engine.helpers import ticket_task, world

BATCHED = [
    {"dist": "uniform", "low": 3, "high": 90},
    {"dist": "exponential", "mean": 40},
    {"dist": "lognormal", "median": 80, "sigma": 0.7},
    {"dist": "gamma", "shape": 2.5, "scale": 20},
    {"dist": "pareto", "scale": 10, "alpha": 1.8},
]


@pytest.mark.parametrize("spec", BATCHED, ids=[s["dist"] for s in BATCHED])
def test_a_batch_draws_what_as_many_single_draws_would(spec):
    dist = parse_distribution(spec)
    assert dist.sample_many is not None
    single = [dist.draw(g, 1.5) for g in [stream(4, "one")] for _ in range(50)]
    assert dist.draw_many(stream(4, "one"), 50, 1.5) == single


@pytest.mark.parametrize("spec", [{"dist": "empirical", "samples": [5, 50, 500]},
                                  {"dist": "mixture", "components": [{"weight": 0.9, "dist": "constant", "ms": 10},
                                                                     {"weight": 0.1, "dist": "uniform", "low": 100, "high": 900}]}])
def test_two_draw_kinds_are_drawn_one_by_one_in_the_same_order(spec):
    dist = parse_distribution(spec)
    assert dist.sample_many is None
    rng = stream(9, "two")
    single = [dist.draw(rng) for _ in range(40)]
    assert dist.draw_many(stream(9, "two"), 40) == single


def test_the_kth_draw_does_not_depend_on_which_reader_asks_first():
    model = LatencyModel({"default": {"request": {"dist": "lognormal", "median": 80, "sigma": 0.8}, "response": 20}})
    a, b = LatencyDraws(model, Streams(5)), LatencyDraws(model, Streams(5))
    forward = [a.nth("t1", "S", "x", k) for k in range(40)]
    backward = [b.nth("t1", "S", "x", k) for k in reversed(range(40))][::-1]
    assert forward == backward
    assert all(resp == 20 and svc == 0 for _, svc, resp in forward)
    # only the request leg draws: the constant legs get no stream
    assert list(a._streams) == [("t1", "x", "request")]


def test_constant_legs_need_no_stream_and_scale_before_rounding():
    dist = parse_distribution(7)
    assert dist.constant and dist.draw_many(None, 3, 2.5) == [18, 18, 18]


def _datagen_world() -> dict:
    task = {
        "id": "gen",
        "services": ["DataGenerator"],
        "turns": [{"request": "make names", "gold": ["generate_names(count=3)"]},
                  {"request": "make ids", "gold": ["generate_ids(count=2, prefix='u')"]}],
    }
    return {"name": "seeded", "tasks": [task, ticket_task("tix", ["create_ticket(title='a')"])],
            "latency": {"default": {"request": {"dist": "uniform", "low": 10, "high": 60}, "response": 30}}}


def _trace_in_fresh_process(seed: int) -> str:
    code = (
        "import json, sys; from simtool.run import run; from tests.engine.test_shared_work import _datagen_world; "
        f"sys.stdout.write(''.join(line + chr(10) for line in run({{'world': _datagen_world(), 'policy': {{'name': 'interleave'}}}}, {seed}).lines))"
    )
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout


def test_gold_expectations_of_seeded_services_are_kept_per_seed():
    config = {"world": _datagen_world(), "policy": {"name": "interleave"}}
    first = run(config, 1)  # fills the world's memo with seed 1's expectations
    second = run(config, 2)  # must not reuse them: DataGenerator draws from the seed's streams
    assert "".join(line + "\n" for line in second.lines) == _trace_in_fresh_process(2)
    responds = [e for e in second.events() if e["kind"] == "respond"]
    assert responds and all(e["state_ok"] and e["results_ok"] for e in responds)
    gold_1 = [e["gold_results"] for e in first.events() if e["kind"] == "respond" and e["task"] == "gen"]
    gold_2 = [e["gold_results"] for e in responds if e["task"] == "gen"]
    assert gold_1 != gold_2


def test_unseeded_gold_expectations_are_replayed_once_per_world():
    config = {"world": world([ticket_task("a", ["create_ticket(title='x')"] * 3)]), "policy": {"name": "interleave"}}
    runs = [run(config, seed) for seed in range(3)]
    from simtool.run import resolve

    parsed = resolve(config)[0]
    memo = parsed.memo["expectations"]
    assert len(memo) == 1 and all(len(key) == 2 for key in memo)  # one entry, not keyed by seed
    assert all(e["state_ok"] for r in runs for e in r.events() if e["kind"] == "respond")


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15).filter(lambda x: x == 0 or 1e-4 < abs(x)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSONISH)
def test_canonical_lines_are_the_standard_librarys_sorted_compact_json(value):
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    assert canonical(value) == expected


def test_what_orjson_refuses_goes_through_the_standard_encoder():
    assert canonical({"big": 2**80, "b": [1, 2]}) == '{"b":[1,2],"big":1208925819614629174706176}'
    assert canonical({"k": {3, 1, 2}, "t": (1, "x")}) == '{"k":[1,2,3],"t":[1,"x"]}'
    with pytest.raises(TypeError):
        canonical({1: "int key"} | {"a": 2**80})


def test_an_abandoned_trace_keeps_every_line_written_so_far(tmp_path):
    writer = TraceWriter(tmp_path / "t.jsonl")
    for i in range(TraceWriter.BLOCK + 7):
        writer.write({"kind": "x", "i": i})
    writer.abandon()
    lines = (tmp_path / "t.jsonl.incomplete").read_text().splitlines()
    assert len(lines) == TraceWriter.BLOCK + 7 and json.loads(lines[-1])["i"] == TraceWriter.BLOCK + 6
    assert not (tmp_path / "t.jsonl").exists()


def test_kept_lines_are_text_and_end_with_the_footer():
    writer = TraceWriter(None)
    writer.write({"kind": "header", "é": "ü"})
    writer.write({"kind": "event"})
    writer.finish()
    assert writer.lines[0] == '{"kind":"header","é":"ü"}' and json.loads(writer.lines[-1])["lines"] == 2


def test_a_world_with_a_non_finite_number_names_its_key():
    spec = world([ticket_task("a", ["create_ticket(title='x')"])])
    spec["tasks"][0]["initial_config"]["TicketAPI"]["ticket_counter"] = float("inf")
    with pytest.raises(SpecError, match=r"tasks\.0\.initial_config\.TicketAPI\.ticket_counter.*finite"):
        parse_world(spec)


def test_values_a_policy_hands_over_are_normalised_before_they_reach_the_trace():
    from simtool.policy import CallAction, Decision
    from tests.engine.helpers import Script

    policy = Script([Decision((CallAction("a", "create_ticket", {"title": "x"}, timeout_ms=float("nan")),), 0, None,
                              note={"cost": float("nan")})])
    result = run({"world": world([ticket_task("a", ["create_ticket(title='x')"])])}, 0, policy=policy)
    decide = next(e for e in result.events() if e["kind"] == "decide")
    assert decide["note"] == {"cost": "nan"} and decide["actions"][0]["timeout_ms"] == "nan"
    error = next(e for e in result.events() if e["kind"] == "agent_error")
    assert error["reason"] == "bad_timeout"
    assert np.isfinite(decide["think_ms"])


def test_a_durable_trace_is_the_same_file(tmp_path):
    from typer.testing import CliRunner

    from simtool.cli import app

    runner = CliRunner()
    for name, extra in (("plain.jsonl", []), ("durable.jsonl", ["--durable"])):
        outcome = runner.invoke(app, ["run", "--seed", "4", "--trace", str(tmp_path / name), *extra])
        assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "plain.jsonl").read_bytes() == (tmp_path / "durable.jsonl").read_bytes()
    assert not list(tmp_path.glob("*.incomplete"))


def _firing_order(use_after: bool) -> list[tuple[int, int]]:
    from simtool.clock import make_clock

    clock = make_clock(stream(8, "ties"))
    fired: list[tuple[int, int]] = []
    delays = stream(8, "delays").integers(0, 4, size=60).tolist()
    for i, delay in enumerate(delays):
        def note(_e: object, i: int = i) -> None:
            fired.append((int(clock.now), i))
        if use_after:
            clock.after(delay, note)
        else:
            clock.timeout(delay).callbacks.append(note)
    clock.run()
    return fired


def test_a_scheduled_callback_fires_where_a_timeout_would_even_with_shuffled_ties():
    assert _firing_order(True) == _firing_order(False)


def _wake_or_timer(use_either: bool, wake_at: int, timeout: int) -> list[tuple[int, str]]:
    from simtool.clock import Either, Wake, make_clock

    clock = make_clock()
    seen: list[tuple[int, str]] = []

    def tick(_e: object) -> None:  # a bystander at every ms, and its echo later in the same ms
        seen.append((int(clock.now), "tick"))
        clock.timeout(0).callbacks.append(lambda _e: seen.append((int(clock.now), "echo")))

    if use_either:
        wake = Wake(clock)
        either = Either(clock, lambda _e: seen.append((int(clock.now), "resumed")))
        wake.callbacks.append(either.check)
        clock.after(wake_at, lambda _e: wake.succeed())
        clock.after(0, lambda _e: clock.after(timeout, either.check), urgent=True)  # the waiter starts, sets its timer
    else:
        event = clock.event()

        def waiter():  # noqa: ANN202
            yield event | clock.timeout(timeout)
            seen.append((int(clock.now), "resumed"))

        clock.timeout(wake_at).callbacks.append(lambda _e: event.succeed())
        clock.process(waiter())
    for t in range(12):
        clock.timeout(t).callbacks.append(tick)
    clock.run()
    return seen


@pytest.mark.parametrize(("wake_at", "timeout"), [(3, 8), (8, 3), (5, 5)])
def test_a_wait_with_a_timeout_resumes_where_a_process_waiting_on_any_of_would(wake_at, timeout):
    assert _wake_or_timer(True, wake_at, timeout) == _wake_or_timer(False, wake_at, timeout)


def _fresh_gold(parsed, seed):  # noqa: ANN001, ANN202
    """A run's gold book that shares nothing with other runs (no world memo)."""
    from functools import partial

    from simtool.gold import GoldBook
    from simtool.tasks import make_services

    streams = Streams(seed)
    return GoldBook({t.task_id: t for t in parsed.tasks}, LatencyDraws(parsed.latency, streams), partial(make_services, streams), streams)


@pytest.mark.parametrize("make_world", [_datagen_world, lambda: world([ticket_task("a", ["create_ticket(title='x')", "get_ticket(ticket_id=1)"])])],
                         ids=["seeded", "unseeded"])
def test_gold_steps_kept_across_a_worlds_runs_are_those_a_run_works_out_alone(make_world):
    from simtool.run import resolve
    from simtool.runtime import Runtime

    parsed = resolve({"world": make_world(), "policy": {"name": "interleave"}})[0]
    keys = [(t.task_id, turn) for t in parsed.tasks for turn in range(len(t.turns))]
    books = {seed: Runtime(parsed, seed, TraceWriter(None)).gold for seed in (1, 2, 1)}
    for seed, book in books.items():
        alone = _fresh_gold(parsed, seed)
        assert [book.steps(task, turn, 0) for task, turn in keys] == [alone.steps(task, turn, 0) for task, turn in keys]
        assert [book.edges(task, tuple((t, 0) for t in range(turn + 1))) for task, turn in keys] \
            == [alone.edges(task, tuple((t, 0) for t in range(turn + 1))) for task, turn in keys]
    again = Runtime(parsed, 3, TraceWriter(None)).gold
    task, turn = keys[-1]
    assert again.steps(task, turn, 0) is again.steps(task, turn, 0)  # worked out once in a run
    path = tuple((t, 0) for t in range(turn + 1))
    assert again.expectation(task, path) is again.expectation(task, path)


@pytest.mark.parametrize("extra", [{}, {"description": "x" * 3}, {"max_decisions": 500}], ids=["plain", "text", "override"])
def test_a_header_written_from_the_worlds_encoded_config_is_the_config_encoded_whole(extra):
    from simtool.run import start_run
    from simtool.trace import config_hash

    config = {"world": {**world([ticket_task("a", ["create_ticket(title='x')"])]), **extra}, "policy": {"name": "interleave"}}
    for seed in (4, 5):  # the second run reads the world's encoded config kept by the first
        with start_run(config, seed) as live:
            line = live.writer.lines[0]
            header = json.loads(line)
            assert header["config"] == live.config and header["config_hash"] == config_hash(live.config)
            assert header["seed"] == seed and line == canonical(header)


@pytest.mark.parametrize("seed", [2**64 - 1, 2**64, 2**70 + 3])
def test_a_seed_beyond_what_orjson_writes_still_gives_the_whole_config(seed):
    from simtool.run import start_run
    from simtool.trace import config_hash

    config = {"world": world([ticket_task("a", ["create_ticket(title='x')"])]), "policy": {"name": "interleave"}}
    with start_run(config, 1):  # the world's encoded config is kept by an ordinary run first
        pass
    with start_run(config, seed) as live:
        line = live.writer.lines[0]
        header = json.loads(line)
        assert header["config"] == live.config and header["config_hash"] == config_hash(live.config)
        assert header["seed"] == seed and line == canonical(header)


def test_a_header_with_numbers_orjson_refuses_is_written_as_before():
    from simtool.run import _header_config
    from simtool.trace import config_hash

    class _World:
        memo: dict = {}

    resolved = {"world": {"name": "w", "big": 2**70}, "policy": {"name": "interleave"}}
    config, digest = _header_config(_World(), resolved)
    assert config is resolved and digest == config_hash(resolved)


def test_header_hashes_kept_for_many_policies_are_each_the_hash_of_the_config():
    from simtool.run import _header_config
    from simtool.trace import config_hash

    class _World:
        def __init__(self) -> None:
            self.memo: dict = {}

    parsed = _World()
    for round_ in range(2):  # the second round reads what the first kept (and what survived clearing)
        for n in range(70):
            resolved = {"world": {"name": "w"}, "policy": {"name": "interleave", "think_ms": n}}  # one parsed world
            config, digest = _header_config(parsed, resolved)
            assert digest == config_hash(resolved) and canonical(config) == canonical(resolved), (round_, n)
