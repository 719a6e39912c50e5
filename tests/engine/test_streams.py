"""Counter-based named streams: a pure function of (root seed, name, k), independent of numpy's
version, of the order streams are made in, and of drawing one value or many at once."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest

from simtool.rng import CounterStream, Streams, raw_word, stream, stream_key

# Pinned: a change here changes every trace (bump the trace format and say so).
PINNED = [
    (0, ("latency", "t1", "book", "request"), 14121710292865755513, [786719268167830581, 8539049354750784468, 4500284457080802964],
     (0.042648136984188345, 462, 160.31792435825477, 25.54629784665196, 19.43621393708453)),
    (7, ("ties",), 13004483708256201244, [11987619258522942913, 226585678309682364, 10383118745143821505],
     (0.6498501421509822, 12, 26.108661883165038, 20.99323544784472, 5.597705027150916)),
    (123456789, ("service", "task-a", "TravelAPI", "booking"), 11568797721604009332,
     [217839225573295934, 6991200431056057930, 13868084813884691712],
     (0.011809088080956265, 378, 168.71071045627602, 8.350247746467764, 17.328148386013968)),
]


def _splitmix(key: int, k: int) -> int:
    """The documented formula, written out again independently of simtool.rng."""
    mask = (1 << 64) - 1
    z = (key + (k + 1) * 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


@pytest.mark.parametrize("seed, names, key, words, values", PINNED)
def test_the_kth_value_is_a_pinned_pure_function_of_seed_name_and_k(seed, names, key, words, values):
    assert stream_key(seed, *names) == key
    assert int.from_bytes(hashlib.blake2b("\x1f".join(names).encode(), digest_size=8, key=str(seed).encode()).digest(), "little") == key
    assert [raw_word(key, k) for k in (0, 1, 1000)] == words == [_splitmix(key, k) for k in (0, 1, 1000)]
    s = stream(seed, *names)
    assert (s.random(), s.integers(1000), s.exponential(60.0), s.lognormal(3.0, 0.5), s.gamma(2.5, 10.0)) == values
    assert not isinstance(s, np.random.Generator)


def test_a_stream_does_not_depend_on_the_order_streams_are_made_or_used_in():
    a1, b1 = stream(5, "a"), stream(5, "b")
    first = [a1.random() for _ in range(5)], [b1.random() for _ in range(5)]
    b2, a2 = stream(5, "b"), stream(5, "a")
    second = [a2.random() for _ in range(5)], [b2.random() for _ in range(5)]
    assert first == second
    assert Streams(5)("a", "b").random() == stream(5, "a", "b").random() != stream(6, "a", "b").random()


@pytest.mark.parametrize("seed, names, key, words, values", PINNED)
def test_a_runs_streams_have_the_pinned_keys_made_one_by_one_or_sharing_a_prefix(seed, names, key, words, values):
    streams = Streams(seed)
    assert streams(*names).key == key == streams(*names).key  # the seed's hasher is copied, never used up
    assert streams.each(names[:-1], [names[-1], "other"])[0].key == key
    assert streams.each(names[:-1], [names[-1], "other"])[1].key == stream_key(seed, *names[:-1], "other")
    assert [s.key for s in streams.each((), ["ties", "x"])] == [stream_key(seed, "ties"), stream_key(seed, "x")]


@pytest.mark.parametrize("draw", [
    lambda s, n: s.random(n), lambda s, n: s.uniform(3.0, 9.0, n), lambda s, n: s.exponential(40.0, n),
    lambda s, n: s.lognormal(2.0, 0.7, n), lambda s, n: s.normal(1.0, 2.0, n), lambda s, n: s.gamma(0.6, 3.0, n),
    lambda s, n: s.gamma(4.0, 3.0, n), lambda s, n: s.pareto(2.5, n), lambda s, n: s.integers(0, 2**62, n),
    lambda s, n: s.integers(3, 17, n), lambda s, n: s.integers(1, 6, n, endpoint=True),
], ids=["random", "uniform", "exponential", "lognormal", "normal", "gamma<1", "gamma", "pareto", "integers-pow2",
        "integers", "integers-endpoint"])
def test_drawing_n_at_once_gives_the_n_single_draws(draw):
    many = draw(stream(3, "batch"), 64).tolist()
    single = stream(3, "batch")
    singles = [draw(single, 1).tolist()[0] for _ in range(64)]
    assert many == singles


MOMENTS = {
    "uniform": (lambda s: s.uniform(10.0, 90.0), 50.0, 80 / math.sqrt(12)),
    "exponential": (lambda s: s.exponential(60.0), 60.0, 60.0),
    "normal": (lambda s: s.normal(5.0, 2.0), 5.0, 2.0),
    "lognormal": (lambda s: s.lognormal(math.log(50), 0.5), 50 * math.exp(0.125), 50 * math.sqrt((math.exp(0.25) - 1) * math.exp(0.25))),
    "gamma": (lambda s: s.gamma(4.0, 25.0), 100.0, 50.0),
    "gamma-small-shape": (lambda s: s.gamma(0.5, 10.0), 5.0, math.sqrt(0.5) * 10),
    "pareto": (lambda s: (s.pareto(3.5) + 1.0) * 20, 28.0, 20 * math.sqrt(3.5 / (2.5**2 * 1.5))),
    "integers": (lambda s: float(s.integers(0, 10)), 4.5, math.sqrt(99 / 12)),
}


@pytest.mark.parametrize("name", sorted(MOMENTS))
def test_each_distribution_has_its_moments(name):
    draw, mean, sd = MOMENTS[name]
    s = stream(17, "moments", name)
    values = np.array([draw(s) for _ in range(60_000)])
    assert abs(values.mean() - mean) <= 5 * sd / math.sqrt(len(values))
    assert values.std() == pytest.approx(sd, rel=0.05)


def test_integers_are_uniform_over_their_range():
    counts = np.bincount(stream(2, "dice").integers(1, 7, 60_000), minlength=7)[1:]
    expected = 10_000
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 20.5  # 5 degrees of freedom, p = 0.001


def test_choice_permutation_and_bytes():
    s = stream(1, "pick")
    picked = s.choice(20, size=7, replace=False).tolist()
    assert len(set(picked)) == 7 and all(0 <= p < 20 for p in picked)
    assert sorted(s.permutation(12).tolist()) == list(range(12))
    assert s.choice(["a", "b"], p=[0.0, 1.0]) == "b"
    weighted = [s.choice(3, p=[0.2, 0.3, 0.5]) for _ in range(20_000)]
    assert np.bincount(weighted, minlength=3)[2] / 20_000 == pytest.approx(0.5, abs=0.02)
    assert len(s.bytes(16)) == 16 and len(s.bytes(5)) == 5
    with pytest.raises(ValueError):
        s.integers(5, 5)
    with pytest.raises(ValueError):
        s.choice(3, size=4, replace=False)


def test_a_stream_remembers_only_its_key_and_position():
    s = stream(9, "x")
    assert isinstance(s, CounterStream) and s.position == 0
    s.random(10)
    s.gamma(0.3)
    assert s.position > 10
    t = CounterStream(s.key)
    t.position = 10
    u = stream(9, "x")
    u.random(10)
    assert t.random() == u.random()


def test_replaying_a_trace_of_the_old_format_says_which_version_made_it(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from simtool.config import run_config
    from simtool.run import run

    config, where = run_config(None, None, ())
    path = tmp_path / "old.jsonl"
    run(config, 0, path, where)
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace('"format":2', '"format":1').replace('"simtool":"0.2.0"', '"simtool":"0.1.0"')
    path.write_text("\n".join(lines) + "\n")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "simtool", "replay", str(path)], capture_output=True, text=True, cwd=root)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "format 1" in out.stderr and "0.1.0" in out.stderr and "numpy" in out.stderr


def test_permutations_are_uniform_over_all_orders():
    s = stream(4, "shuffle")
    counts = {}
    for _ in range(24_000):
        order = tuple(s.permutation(4).tolist())
        counts[order] = counts.get(order, 0) + 1
    assert len(counts) == 24
    chi2 = sum((c - 1000) ** 2 / 1000 for c in counts.values())
    assert chi2 < 49.7  # 23 degrees of freedom, p = 0.001


def test_choice_without_replacement_takes_each_item_with_probability_k_over_n():
    s = stream(6, "sample")
    taken = np.zeros(10)
    for _ in range(20_000):
        taken[s.choice(10, size=3, replace=False)] += 1
    assert np.abs(taken / 20_000 - 0.3).max() < 5 * math.sqrt(0.3 * 0.7 / 20_000)


def test_service_streams_and_the_tie_shuffle_are_named_counter_streams_of_the_run_seed():
    from simtool.clock import make_clock
    from simtool.tasks import make_services
    from simtool.world import parse_world

    world = parse_world({"name": "gen", "tasks": [{"id": "t", "services": ["DataGenerator"],
                                                   "turns": [{"request": "r", "gold": ["generate_names(count=2)"]}]}]})
    contexts = []
    make_services(Streams(4), world.tasks[0], contexts)
    (ctx,) = contexts
    drawn = ctx.rng("picks")
    assert isinstance(drawn, CounterStream) and drawn.key == stream_key(4, "service", "t", "DataGenerator", "picks")
    same = stream(4, "service", "t", "DataGenerator", "picks")
    assert [drawn.random() for _ in range(3)] == [same.random() for _ in range(3)]
    clock = make_clock(Streams(4)("ties"))
    ties = stream(4, "ties")
    assert [clock._tie_key() for _ in range(5)] == [int(ties.integers(0, 2**62)) for _ in range(5)]
