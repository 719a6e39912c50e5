"""Shortcuts on the run's hot path (issue 17, the engine part): each must give exactly what the
plain way gives. Lines read in one pass, latency values drawn one at a time, the clock's inlined
step, the flat paths of normalize and plain_copy, scenarios copied field by field."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simtool.clock import make_clock
from simtool.config import run_config
from simtool.hunting.hunt import _own_trace
from simtool.jsonl import loads, loads_lines
from simtool.latency import LatencyDraws, LatencyModel, parse_distribution
from simtool.rng import Streams, stream
from simtool.run import run
from simtool.service import normalize, plain_copy
from simtool.trace import canonical, read_trace
from worlds.trading.service import TradingBot

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=16,
)


def _typed(value: object) -> str:
    """A text that tells 1 from 1.0 and True from 1 (``==`` does not)."""
    return json.dumps(value, sort_keys=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=5), JSONISH, max_size=4), min_size=1, max_size=6))
def test_lines_read_in_one_pass_are_the_lines_read_one_by_one(records):
    lines = [canonical(r) for r in records]
    assert _typed(loads_lines(lines)) == _typed([loads(line) for line in lines])


@pytest.mark.parametrize("odd", [canonical({"big": 2**80}), '{"lone":"\\udc80"}', canonical({"digits": "1234567890123456789012"})])
def test_lines_orjson_cannot_read_exactly_are_read_one_by_one(odd):
    lines = [canonical({"kind": "a", "n": 1}), odd, canonical({"kind": "b", "x": 0.5})]
    assert _typed(loads_lines(lines)) == _typed([loads(line) for line in lines])


def test_no_lines_read_as_no_values():
    assert loads_lines([]) == []


@pytest.mark.parametrize("seed", [0, 7])
def test_a_hunt_reads_its_run_as_the_trace_reader_reads_the_file(tmp_path, seed):
    config, where = run_config(None, None, ())
    result = run(config, seed, where=where)
    path = tmp_path / "t.jsonl"
    run(config, seed, path, where)
    mine, theirs = _own_trace(result), read_trace(path)
    assert _typed([mine.header, list(mine.events), mine.footer]) == _typed([theirs.header, list(theirs.events), theirs.footer])
    assert mine.lines == theirs.lines


@pytest.mark.parametrize("spec", [{"dist": "lognormal", "median": 80, "sigma": 0.7}, {"dist": "uniform", "low": 3, "high": 90},
                                  {"dist": "exponential", "mean": 40}, {"dist": "pareto", "scale": 10, "alpha": 1.8},
                                  {"dist": "gamma", "shape": 2.5, "scale": 20}])
def test_latency_values_drawn_one_at_a_time_are_a_batchs_values(spec):
    model = LatencyModel({"default": {"request": spec}})
    draws = LatencyDraws(model, Streams(6))
    lazy = [draws.nth("t1", "S", "x", k)[0] for k in range(40)]
    batch = parse_distribution(spec).draw_many(stream(6, "latency", "t1", "x", "request"), 40)
    assert lazy == batch


def test_a_failed_event_stops_the_run_as_simpys_step_would():
    clock = make_clock()

    def broken():  # noqa: ANN202
        yield clock.timeout(3)
        raise ValueError("the service broke")

    clock.process(broken())
    with pytest.raises(ValueError, match="the service broke"):
        clock.run_until(10)
    assert clock.now == 3


def test_normalize_keeps_finite_floats_and_names_the_others():
    value = {"a": 1.5, "b": float("nan"), "c": float("inf"), "d": -0.0, "e": [2.0, float("-inf")], "f": np.float64(0.25),
             "g": 1e308}
    out = normalize(value)
    assert out == {"a": 1.5, "b": "nan", "c": "inf", "d": -0.0, "e": [2.0, "-inf"], "f": 0.25, "g": 1e308}


def test_normalize_copies_dicts_and_names_keys_that_are_not_text():
    value = {"a": {1: "x", "y": (2, 3)}, "b": [1.5, float("nan"), {"c": {4}}], "d": "e"}
    out = normalize(value)
    assert out == {"a": {"1": "x", "y": [2, 3]}, "b": [1.5, "nan", {"c": [4]}], "d": "e"} and list(out) == ["a", "b", "d"]
    flat = {"z": 1, "a": None}
    copied = normalize(flat)
    copied["z"] = 2
    assert flat == {"z": 1, "a": None} and copied is not flat


def test_plain_copy_copies_every_container_and_keeps_scalars():
    original = {"a": [1, {"b": 2.5, "c": None}], "d": {"e": "x", "f": True}, "g": (1, 2)}
    copied = plain_copy(original)
    assert copied == original
    copied["a"][1]["b"] = 0
    copied["d"]["e"] = "y"
    assert original["a"][1]["b"] == 2.5 and original["d"]["e"] == "x"
    assert copied["g"] == (1, 2)
    copied["a"].append(3)
    assert original["a"] == [1, {"b": 2.5, "c": None}]
    nested = [[1, [2]], {"k": [3]}, "s"]
    again = plain_copy(nested)
    again[0][1].append(9)
    again[1]["k"].append(9)
    assert nested == [[1, [2]], {"k": [3]}, "s"] and list(plain_copy({"z": 1, "a": [2]})) == ["z", "a"]


def test_a_trading_scenario_loaded_over_the_default_is_a_fresh_load():
    scenario = {"authenticated": True, "orders": {"7": {"id": 7, "symbol": "AAPL"}}, "market_status": "Open"}
    twice = TradingBot()
    twice.load_scenario(scenario)
    once = TradingBot.__new__(TradingBot)
    TradingBot.__init__(once)
    once.load_scenario(scenario)
    assert twice.state() == once.state()
    twice.stocks["AAPL"]["price"] = -1.0  # instances never share the default tables
    assert TradingBot().stocks["AAPL"]["price"] != -1.0
    assert twice._random.random() == once._random.random()
