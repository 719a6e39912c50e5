"""Latency distributions declared in YAML, sampled as whole non-negative milliseconds.

A spec is a number (constant ms) or a mapping with ``dist``:
``constant {ms}``, ``uniform {low, high}``, ``exponential {mean}``,
``lognormal {median, sigma}``, ``gamma {shape, scale}``, ``pareto {scale, alpha}`` (classic
Pareto: minimum ``scale``, heavy tail), ``empirical {samples: [ms, ...]}``,
``mixture {components: [{weight, <spec>}, ...]}``.

A call has three legs: ``request`` (to the service), ``service`` (execution time at the
service, holding a capacity slot) and ``response`` (back to the agent). Each leg is resolved
tool > service > default. Common random numbers: the k-th call of a task to a tool draws its
legs from the stream named (task, tool, leg), k-th draw, so two policies that make the same
logical call see the same latency.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from attrs import frozen

from simtool.rng import CounterStream, Streams
from simtool.yamlspec import Located

__all__ = ["Distribution", "parse_distribution", "LatencyModel", "LatencyDraws", "LEGS", "LATENCY_KEYS", "Legs"]

LEGS = ("request", "service", "response")
LATENCY_KEYS = ("scale", "default", "services")  # the keys of a world's ``latency`` section, in reading order

Sampler = Callable[[CounterStream], float]


Batch = Callable[[CounterStream, int], np.ndarray]


@frozen
class Distribution:
    """A parsed latency distribution: how to sample it, and its mean in ms.

    ``sample_many`` (when set) draws n values at once, the same n values that n calls of
    ``sample`` would draw from the same generator (checked by the tests for every kind that
    has it); kinds that take two draws per value (empirical, mixture) have none.
    """

    kind: str
    sample: Sampler
    mean: float
    sample_many: Batch | None = None
    lognormal: tuple[float, float] | None = None  # (mu, sigma) of a lognormal: its draws skip ``sample``

    @property
    def constant(self) -> bool:
        """Draws nothing from its generator."""
        return self.kind == "constant"

    def draw(self, rng: CounterStream, scale: float = 1.0) -> int:
        """One value in whole ms (rounded after scaling, never below 0)."""
        if self.lognormal is not None:  # the common kind, without the call of ``sample``
            ms = int(round(rng.lognormal(*self.lognormal) * scale))
        else:
            ms = int(round(self.sample(rng) * scale))
        return ms if ms > 0 else 0

    def draw_many(self, rng: CounterStream | None, n: int, scale: float = 1.0) -> list[int]:
        """n successive draws (``rng`` may be None for a constant, which draws nothing)."""
        if self.constant:
            return [self.draw(rng, scale)] * n  # type: ignore[arg-type]
        assert rng is not None
        sample = self.sample  # the batch is the single draws (simtool.rng): no array for a few values
        return [max(0, int(round(sample(rng) * scale))) for _ in range(n)]


_FIELDS: dict[str, tuple[str, ...]] = {
    "constant": ("ms",),
    "uniform": ("low", "high"),
    "exponential": ("mean",),
    "lognormal": ("median", "sigma"),
    "gamma": ("shape", "scale"),
    "pareto": ("scale", "alpha"),
    "empirical": ("samples",),
    "mixture": ("components",),
}


def _number(spec: Mapping[str, Any], key: str, where: Located, path: tuple[Any, ...], *, positive: bool = False) -> float:
    if key not in spec:
        raise where.error(path, f"missing '{key}'", expected=f"a number for '{key}'", found=None)
    value = spec[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise where.error(path + (key,), "must be a number", expected="a number", found=value)
    if value < 0 or (positive and value == 0):
        raise where.error(path + (key,), "out of range", expected="a positive number" if positive else "a number >= 0", found=value)
    return float(value)


def parse_distribution(spec: Any, where: Located | None = None, path: tuple[Any, ...] = ()) -> Distribution:
    """Parse one latency spec; errors name the YAML file, line and key."""
    where = where or Located(None, {})
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        spec = {"dist": "constant", "ms": spec}
    if not isinstance(spec, Mapping):
        raise where.error(path, "a latency must be a number of ms or a mapping with 'dist'", expected="number or {dist: ...}", found=spec)
    kind = spec.get("dist")
    if kind not in _FIELDS:
        raise where.error(path + ("dist",), "unknown distribution", expected=" | ".join(_FIELDS), found=kind)
    allowed = set(_FIELDS[kind]) | {"dist"} | ({"weight"} if "weight" in spec else set())
    extra = sorted(set(spec) - allowed)
    if extra:
        raise where.error(path + (extra[0],), f"unknown key for a {kind} distribution", expected=", ".join(_FIELDS[kind]), found=extra[0])
    if kind == "constant":
        ms = _number(spec, "ms", where, path)
        return Distribution(kind, lambda rng: ms, ms)
    if kind == "uniform":
        low, high = _number(spec, "low", where, path), _number(spec, "high", where, path)
        if high < low:
            raise where.error(path + ("high",), "high is below low", expected=f"a number >= {low}", found=high)
        return Distribution(kind, lambda rng: rng.uniform(low, high), (low + high) / 2, lambda rng, n: rng.uniform(low, high, n))
    if kind == "exponential":
        mean = _number(spec, "mean", where, path)
        return Distribution(kind, lambda rng: rng.exponential(mean) if mean else 0.0, mean,
                            lambda rng, n: rng.exponential(mean, n) if mean else np.zeros(n))
    if kind == "lognormal":
        median = _number(spec, "median", where, path, positive=True)
        sigma = _number(spec, "sigma", where, path)
        mu = math.log(median)
        return Distribution(kind, lambda rng: rng.lognormal(mu, sigma), median * math.exp(sigma * sigma / 2), lambda rng, n: rng.lognormal(mu, sigma, n),
                            (mu, sigma))
    if kind == "gamma":
        shape = _number(spec, "shape", where, path, positive=True)
        scale = _number(spec, "scale", where, path)
        return Distribution(kind, lambda rng: rng.gamma(shape, scale), shape * scale, lambda rng, n: rng.gamma(shape, scale, n))
    if kind == "pareto":
        scale = _number(spec, "scale", where, path)
        alpha = _number(spec, "alpha", where, path, positive=True)
        mean = alpha * scale / (alpha - 1) if alpha > 1 else math.inf
        return Distribution(kind, lambda rng: (rng.pareto(alpha) + 1.0) * scale, mean, lambda rng, n: (rng.pareto(alpha, n) + 1.0) * scale)
    if kind == "empirical":
        samples = spec.get("samples")
        if not isinstance(samples, list) or not samples:
            raise where.error(path + ("samples",), "must be a non-empty list of ms", expected="[ms, ...]", found=samples)
        for i, s in enumerate(samples):
            if not isinstance(s, (int, float)) or isinstance(s, bool) or s < 0:
                raise where.error(path + ("samples", i), "must be a number of ms >= 0", expected="a number >= 0", found=s)
        values = np.asarray(samples, dtype=float)
        return Distribution(kind, lambda rng: float(values[rng.integers(len(values))]), float(values.mean()))
    components = spec.get("components")
    if not isinstance(components, list) or not components:
        raise where.error(path + ("components",), "must be a non-empty list", expected="[{weight, dist, ...}, ...]", found=components)
    parts: list[Distribution] = []
    weights: list[float] = []
    for i, comp in enumerate(components):
        if not isinstance(comp, Mapping):
            raise where.error(path + ("components", i), "a component must be a mapping", expected="{weight, dist, ...}", found=comp)
        weights.append(_number(comp, "weight", where, path + ("components", i), positive=True))
        parts.append(parse_distribution(comp, where, path + ("components", i)))
    total = sum(weights)
    cumulative = np.cumsum(np.asarray(weights) / total)
    cumulative[-1] = 1.0
    samplers = [p.sample for p in parts]

    def sample(rng: CounterStream) -> float:
        return samplers[int(np.searchsorted(cumulative, rng.random(), side="right"))](rng)

    return Distribution(kind, sample, sum(w / total * p.mean for w, p in zip(weights, parts)))


ZERO = Distribution("constant", lambda rng: 0.0, 0.0)

# how a leg is drawn: its distribution, its value if constant (in ms, scaled), its (mu, sigma) if lognormal
Source = tuple[Distribution, int, "float | None", "float | None"]


@frozen
class Legs:
    request: Distribution
    service: Distribution
    response: Distribution

    @property
    def mean(self) -> float:
        return self.request.mean + self.service.mean + self.response.mean


def _legs(spec: Mapping[str, Any], where: Located, path: tuple[Any, ...], base: Legs, allow: set[str]) -> Legs:
    extra = sorted(set(spec) - set(LEGS) - allow)
    if extra:
        raise where.error(path + (extra[0],), "unknown latency key", expected=" | ".join(LEGS + tuple(sorted(allow))), found=extra[0])
    return Legs(
        *(parse_distribution(spec[leg], where, path + (leg,)) if leg in spec else getattr(base, leg) for leg in LEGS)
    )


class LatencyModel:
    """Resolved per-tool legs and a global scale (a run draws from it with ``LatencyDraws``).

    Spec (the world's ``latency`` key)::

        scale: 1.0
        default: {request: <dist>, service: <dist>, response: <dist>}
        services:
          TicketAPI:
            request: <dist>            # the service's defaults
            tools:
              create_ticket: {response: <dist>}
    """

    def __init__(self, spec: Mapping[str, Any] | None, where: Located | None = None, path: tuple[Any, ...] = ("latency",)) -> None:
        where = where or Located(None, {})
        spec = spec or {}
        extra = sorted(set(spec) - set(LATENCY_KEYS))
        if extra:
            raise where.error(path + (extra[0],), "unknown latency key", expected=" | ".join(LATENCY_KEYS), found=extra[0])
        scale = spec.get("scale", 1.0)
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or scale < 0:
            raise where.error(path + ("scale",), "must be a number >= 0", expected="a number >= 0", found=scale)
        self.scale = float(scale)
        self.default = _legs(spec.get("default") or {}, where, path + ("default",), Legs(ZERO, ZERO, ZERO), set())
        self._services: dict[str, Legs] = {}
        self._tools: dict[tuple[str, str], Legs] = {}
        self._plans: dict[tuple[str, str], tuple[tuple[str, ...], tuple[Source, ...]]] = {}
        for service, sspec in (spec.get("services") or {}).items():
            spath = path + ("services", service)
            if not isinstance(sspec, Mapping):
                raise where.error(spath, "must be a mapping", expected="{request, service, response, tools}", found=sspec)
            legs = _legs(sspec, where, spath, self.default, {"tools"})
            self._services[service] = legs
            for tool, tspec in (sspec.get("tools") or {}).items():
                if not isinstance(tspec, Mapping):
                    raise where.error(spath + ("tools", tool), "must be a mapping", expected="{request, service, response}", found=tspec)
                self._tools[(service, tool)] = _legs(tspec, where, spath + ("tools", tool), legs, set())

    def plan(self, service: str, tool: str) -> tuple[tuple[str, ...], tuple[Source, ...]]:
        """How ``LatencyDraws`` draws a call of ``tool``: the legs that draw (that need a stream),
        and for each leg (request, service, response) its ``Source``; worked out once per tool."""
        key = (service, tool)
        found = self._plans.get(key)
        if found is None:
            legs = self.legs(service, tool)
            dists = [getattr(legs, leg) for leg in LEGS]
            found = self._plans[key] = (
                tuple(leg for leg, dist in zip(LEGS, dists) if not dist.constant),
                tuple((dist, dist.draw(None, self.scale) if dist.constant else 0, *(dist.lognormal or (None, None)))  # type: ignore[arg-type]
                      for dist in dists),
            )
        return found

    def tool_overrides(self) -> list[tuple[str, str]]:
        """(service, tool) pairs with their own legs, for validating tool names."""
        return list(self._tools)

    def legs(self, service: str, tool: str) -> Legs:
        found = self._tools.get((service, tool))
        if found is not None:
            return found
        return self._services.get(service, self.default)

    def expected_ms(self, service: str, tool: str) -> float:
        return self.legs(service, tool).mean * self.scale


class LatencyDraws:
    """Common-random-number draws for one run: stream (task, tool, leg), k-th draw for occurrence k.

    The k-th value of a stream is a pure function of its name and k (``simtool.rng``), so values
    are drawn one at a time, in order, when first asked for, and kept: the runtime (its k-th
    call of a tool) and the gold book (the k-th gold call) read the same numbers. n values drawn
    so are the n values a batch of n would give (``Distribution.draw_many``). A constant leg
    draws nothing, so it gets no stream.
    """

    def __init__(self, model: LatencyModel, streams: Streams) -> None:
        self.model = model
        self._rngs = streams
        self._values: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
        self._sources: dict[tuple[str, str], tuple[tuple[Distribution, CounterStream | None, int, float | None, float | None], ...]] = {}
        self._next: dict[tuple[str, str], int] = {}

    @property
    def _streams(self) -> dict[tuple[str, str, str], CounterStream]:
        """The streams made so far by (task, tool, leg), in the order they were made."""
        return {(task_id, tool, leg): source[1] for (task_id, tool), sources in self._sources.items()
                for leg, source in zip(LEGS, sources) if source[1] is not None}

    def _legs_of(self, task_id: str, service: str, tool: str) -> tuple[tuple[Distribution, CounterStream | None, int, float | None, float | None], ...]:
        drawing, plan = self.model.plan(service, tool)
        rngs = self._rngs.each(("latency", task_id, tool), drawing)
        if len(rngs) == 3:  # every leg draws (most worlds): no constant among them
            return tuple([(dist, rng, constant, mu, sigma) for (dist, constant, mu, sigma), rng in zip(plan, rngs)])
        found = dict(zip(drawing, rngs))
        return tuple([(dist, found.get(leg), constant, mu, sigma) for leg, (dist, constant, mu, sigma) in zip(LEGS, plan)])

    def nth(self, task_id: str, service: str, tool: str, k: int) -> tuple[int, int, int]:
        """The (request, service, response) ms of the task's ``k``-th call of ``tool`` (from 0)."""
        key = (task_id, tool)
        values = self._values.get(key)
        if values is not None and k < len(values):
            return values[k]
        if values is None:
            values = self._values[key] = []
            sources = self._sources[key] = self._legs_of(task_id, service, tool)
        else:
            sources = self._sources[key]
        scale = self.model.scale
        (d0, r0, c0, m0, s0), (d1, r1, c1, m1, s1), (d2, r2, c2, m2, s2) = sources
        while k >= len(values):
            # each leg as ``dist.draw(rng, scale)`` gives it, a lognormal's without the calls of ``draw``
            # (``round`` of a float is an int already)
            values.append((
                c0 if r0 is None else d0.draw(r0, scale) if m0 is None else a if (a := round(r0.lognormal(m0, s0) * scale)) > 0 else 0,
                c1 if r1 is None else d1.draw(r1, scale) if m1 is None else b if (b := round(r1.lognormal(m1, s1) * scale)) > 0 else 0,
                c2 if r2 is None else d2.draw(r2, scale) if m2 is None else c if (c := round(r2.lognormal(m2, s2) * scale)) > 0 else 0,
            ))
        return values[k]

    def draw(self, task_id: str, service: str, tool: str) -> tuple[int, int, int]:
        """The next (request, service, response) ms for this task's next call of ``tool``."""
        k = self._next.get((task_id, tool), 0)
        self._next[(task_id, tool)] = k + 1
        return self.nth(task_id, service, tool, k)
