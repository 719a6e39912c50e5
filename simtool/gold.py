"""The gold book of a run: what each sub-task's gold path is, as amendments change it, and what
replaying it should give.

- ``steps(task, turn, epoch)``: the gold calls in force, with their expected latency (the
  scripted policies' oracle);
- ``expectation(task, path)``: the services' state and the results after replaying the gold of
  ``path`` ((turn, epoch), ...) on fresh services: what a ``respond`` is checked against;
- ``chain(task, turn)``: the gold calls with the latencies the common-random-number streams
  give them, recorded at each sub-task's start so that scores can bound the makespan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simtool.latency import LatencyDraws, LatencyModel
from simtool.policy import GoldStep
from simtool.service import Service, normalize
from simtool.world import TaskSpec, Turn

__all__ = ["GoldBook"]

Expectation = tuple[dict[str, Any], list[list[Any]]]


class GoldBook:
    def __init__(self, tasks: dict[str, TaskSpec], latency: LatencyModel, seed: int,
                 instantiate: Callable[[TaskSpec], dict[str, Service]]) -> None:
        self._tasks = tasks
        self._latency = latency
        self._draws = LatencyDraws(latency, seed)
        self._instantiate = instantiate
        self._amendments: dict[tuple[str, int, int], Turn] = {}
        self._steps: dict[tuple[str, int, int], tuple[GoldStep, ...]] = {}
        self._expectations: dict[tuple[str, tuple[tuple[int, int], ...]], Expectation] = {}

    def amend(self, task_id: str, turn: int, epoch: int, amendment: Turn) -> None:
        """From ``epoch`` on, the turn's request and gold are ``amendment``'s."""
        self._amendments[(task_id, turn, epoch)] = amendment

    def turn(self, task_id: str, turn: int, epoch: int) -> Turn | None:
        """The turn as in force at ``epoch`` (None: not amended that often, or no such turn)."""
        spec = self._tasks[task_id]
        if turn >= len(spec.turns):
            return None
        return spec.turns[turn] if epoch == 0 else self._amendments.get((task_id, turn, epoch))

    def steps(self, task_id: str, turn: int, epoch: int) -> tuple[GoldStep, ...]:
        key = (task_id, turn, epoch)
        cached = self._steps.get(key)
        if cached is None:
            gold = self.turn(task_id, turn, epoch)
            if gold is None:
                return ()
            cached = tuple(GoldStep(g.tool, g.args, self._latency.expected_ms(g.service, g.tool)) for g in gold.gold)
            self._steps[key] = cached
        return cached

    def expectation(self, task_id: str, path: tuple[tuple[int, int], ...]) -> Expectation:
        key = (task_id, path)
        cached = self._expectations.get(key)
        if cached is None:
            services = self._instantiate(self._tasks[task_id])
            results: list[list[Any]] = []
            for turn, epoch in path:
                gold = self.turn(task_id, turn, epoch)
                assert gold is not None, (task_id, turn, epoch)
                results.append([normalize(services[g.service].invoke(g.tool, g.args).value) for g in gold.gold])
            cached = ({name: s.state() for name, s in services.items()}, results)
            self._expectations[key] = cached
        return cached

    def chain(self, task_id: str, turn: Turn) -> list[dict[str, Any]]:
        """The turn's gold calls with their drawn legs (the k-th gold call of a tool draws the k-th value)."""
        out = []
        for g in turn.gold:
            req, svc, resp = self._draws.draw(task_id, g.service, g.tool)
            out.append({"tool": g.tool, "service": g.service, "args": g.args, "req_ms": req, "svc_ms": svc, "resp_ms": resp})
        return out
