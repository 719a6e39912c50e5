"""Latency distributions: sampled moments within tolerance, CRN streams, spec errors pointing at the YAML line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simtool.errors import SpecError
from simtool.latency import LatencyDraws, LatencyModel, parse_distribution
from simtool.rng import Streams, stream
from simtool.yamlspec import load_yaml_text

SPECS = {
    "constant": ({"dist": "constant", "ms": 40}, 40.0, 0.0),
    "uniform": ({"dist": "uniform", "low": 10, "high": 90}, 50.0, 80 / math.sqrt(12)),
    "exponential": ({"dist": "exponential", "mean": 60}, 60.0, 60.0),
    "lognormal": ({"dist": "lognormal", "median": 50, "sigma": 0.5}, 50 * math.exp(0.125), 50 * math.sqrt((math.exp(0.25) - 1) * math.exp(0.25))),
    "gamma": ({"dist": "gamma", "shape": 4, "scale": 25}, 100.0, 50.0),
    "pareto": ({"dist": "pareto", "scale": 20, "alpha": 3.5}, 28.0, 20 * math.sqrt(3.5 / (2.5**2 * 1.5))),
    "empirical": ({"dist": "empirical", "samples": [10, 20, 30, 100]}, 40.0, math.sqrt(1050)),
    "mixture": ({"dist": "mixture", "components": [{"weight": 0.9, "dist": "constant", "ms": 20}, {"weight": 0.1, "dist": "constant", "ms": 500}]}, 68.0, math.sqrt(0.9 * 0.1) * 480),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_sampled_moments_match_the_distribution(name):
    spec, mean, sd = SPECS[name]
    dist = parse_distribution(spec)
    draws = np.array([dist.draw(stream(11, "moments", name)) for _ in range(1)] + [dist.draw(g) for g in [stream(11, "m", name)] for _ in range(40_000)])
    assert dist.mean == pytest.approx(mean)
    # whole-ms rounding adds at most 0.5 ms of bias; 40k draws put the sample mean within a few standard errors
    assert abs(draws.mean() - mean) <= 4 * sd / math.sqrt(len(draws)) + 0.6
    if sd > 0:
        assert draws.std() == pytest.approx(sd, rel=0.12)
    assert draws.dtype.kind == "i" and draws.min() >= 0


def test_scale_multiplies_before_rounding():
    dist = parse_distribution({"dist": "constant", "ms": 7})
    assert dist.draw(stream(0, "x"), 2.5) == 18 and dist.draw(stream(0, "x"), 0.0) == 0


def test_common_random_numbers_depend_on_task_tool_and_occurrence_not_on_order():
    model = LatencyModel({"default": {"request": {"dist": "lognormal", "median": 80, "sigma": 0.8}}})
    a, b = LatencyDraws(model, Streams(3)), LatencyDraws(model, Streams(3))
    first = [a.draw("t1", "S", "x"), a.draw("t2", "S", "y"), a.draw("t1", "S", "x")]
    # the other order of issue: t2's call first, then t1's two
    second = [b.draw("t2", "S", "y"), b.draw("t1", "S", "x"), b.draw("t1", "S", "x")]
    assert first[1] == second[0] and first[0] == second[1] and first[2] == second[2]
    assert first[0] != first[2]


def test_latency_draws_go_only_as_far_as_asked_and_give_the_same_values_in_any_order():
    model = LatencyModel({"default": {"request": {"dist": "lognormal", "median": 80, "sigma": 0.8},
                                      "service": {"dist": "gamma", "shape": 2.5, "scale": 10}, "response": 30}})
    ahead, stepwise = LatencyDraws(model, Streams(5)), LatencyDraws(model, Streams(5))
    seventh = ahead.nth("t1", "S", "x", 6)
    steps = [stepwise.draw("t1", "S", "x") for _ in range(7)]
    assert seventh == steps[6] and [ahead.nth("t1", "S", "x", k) for k in range(7)] == steps
    request = ahead._streams[("t1", "x", "request")]
    assert request.position == 14  # seven lognormal values, two words each: nothing drawn ahead
    assert ("t1", "x", "response") not in ahead._streams  # a constant leg has no stream


def test_a_spec_error_names_the_file_line_and_key():
    text = "latency:\n  default:\n    request: {dist: lognormal, median: 50}\n"
    data, where = load_yaml_text(text, "w.yaml")
    with pytest.raises(SpecError) as info:
        LatencyModel(data["latency"], where)
    message = str(info.value)
    assert "w.yaml:3" in message and "latency.default.request" in message and "sigma" in message


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [({"dist": "weibull"}, "unknown distribution"), ({"dist": "uniform", "low": 5, "high": 1}, "high is below low"),
     ({"dist": "constant", "ms": -1}, "out of range"), ({"dist": "empirical", "samples": []}, "non-empty"),
     ({"dist": "lognormal", "median": 5, "sigma": 1, "mu": 3}, "unknown key")],
)
def test_invalid_distributions_are_rejected(spec, fragment):
    with pytest.raises(SpecError, match=fragment):
        parse_distribution(spec)


def test_a_lognormal_draw_is_its_sample_scaled_rounded_and_never_below_zero():
    dist = parse_distribution({"dist": "lognormal", "median": 80, "sigma": 0.9})
    for scale in (1.0, 0.013, 2.5, 0.0):
        a, b = stream(4, "x"), stream(4, "x")
        assert [dist.draw(a, scale) for _ in range(200)] == [max(0, int(round(dist.sample(b) * scale))) for _ in range(200)]


def test_each_leg_draws_from_its_own_stream_as_its_distribution_would_under_the_scale():
    legs = {"request": {"dist": "lognormal", "median": 40, "sigma": 0.3}, "service": {"dist": "gamma", "shape": 2.5, "scale": 10},
            "response": 12}
    model = LatencyModel({"scale": 1.7, "default": legs})
    draws = LatencyDraws(model, Streams(8))
    values = [draws.nth("t1", "S", "x", k) for k in range(30)]
    request, service = stream(8, "latency", "t1", "x", "request"), stream(8, "latency", "t1", "x", "service")
    dists = {leg: parse_distribution(spec) for leg, spec in legs.items()}
    assert values == [(dists["request"].draw(request, 1.7), dists["service"].draw(service, 1.7), 20) for _ in range(30)]
