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

from simtool.latency import LatencyDraws
from simtool.policy import GoldStep
from simtool.rng import Streams
from simtool.service import Service, ServiceContext, normalize
from simtool.world import TaskSpec, Turn, World

__all__ = ["GoldBook", "shared_expectations", "shared_steps"]

Expectation = tuple[dict[str, Any], list[list[Any]]]
Instantiate = Callable[[TaskSpec, "list[ServiceContext] | None"], dict[str, Service]]

_MEMO_LIMIT = 4096


Shared = dict[tuple[Any, ...], tuple[tuple[Any, ...], Expectation]]


def shared_expectations(world: World) -> Shared:
    """Gold expectations kept across the runs of one (immutable, parsed) world.

    Replaying the gold on fresh services gives the same state for every run unless a service
    drew from its seeded streams; such expectations are kept per seed. A sweep running one
    world over many seeds and policies replays each sub-task's gold once.
    """
    return world.memo.setdefault("expectations", {})  # type: ignore[no-any-return]


def shared_steps(world: World) -> dict[int, tuple[Turn, tuple[GoldStep, ...]]]:
    """Gold steps kept across the runs of one (immutable, parsed) world, by turn: a turn's steps
    and their expected latencies depend on the world alone."""
    return world.memo.setdefault("steps", {})  # type: ignore[no-any-return]


class GoldBook:
    """The gold of one run's tasks as amendments change it, and what replaying it gives."""

    def __init__(self, tasks: dict[str, TaskSpec], draws: LatencyDraws, instantiate: Instantiate,
                 streams: Streams, shared: Shared | None = None,
                 steps: dict[int, tuple[Turn, tuple[GoldStep, ...]]] | None = None) -> None:
        self._tasks = tasks
        self._latency = draws.model
        self._draws = draws  # shared with the runtime: the k-th gold call of a tool reads the k-th draw
        self._drawn: dict[tuple[str, str], int] = {}
        self._instantiate = instantiate
        self._seed = streams.seed  # the key of expectations that depend on the run's streams
        self._shared = shared if shared is not None else {}
        self._amendments: dict[tuple[str, int, int], Turn] = {}
        self._steps: dict[tuple[str, int, int], tuple[GoldStep, ...]] = {}
        self._shared_steps = steps if steps is not None else {}

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
            # kept by the turn's identity (the entry holds the turn, so its id is not reused)
            entry = self._shared_steps.get(id(gold))
            if entry is not None and entry[0] is gold:
                cached = entry[1]
            else:
                cached = tuple(GoldStep(g.tool, g.args, self._latency.expected_ms(g.service, g.tool)) for g in gold.gold)
                if len(self._shared_steps) >= _MEMO_LIMIT:
                    self._shared_steps.clear()
                self._shared_steps[id(gold)] = (gold, cached)
            self._steps[key] = cached
        return cached

    def expectation(self, task_id: str, path: tuple[tuple[int, int], ...]) -> Expectation:
        """What replaying the gold of ``path`` on fresh services gives (shared with other runs of
        the world; read-only)."""
        turns = tuple(self.turn(task_id, turn, epoch) for turn, epoch in path)
        key = (task_id, tuple(id(t) for t in turns))  # turns belong to the world, which owns the memo
        entry = self._shared.get(key) or self._shared.get(key + (self._seed,))
        # an entry keeps its turns alive, so their ids cannot be reused; the identity check is a guard
        cached = entry[1] if entry is not None and all(a is b for a, b in zip(entry[0], turns)) else None
        if cached is None:
            contexts: list[ServiceContext] = []
            services = self._instantiate(self._tasks[task_id], contexts)
            results: list[list[Any]] = []
            for gold in turns:
                assert gold is not None, (task_id, path)
                results.append([normalize(services[g.service].invoke(g.tool, g.args).value) for g in gold.gold])
            cached = ({name: s.state() for name, s in services.items()}, results)
            if len(self._shared) >= _MEMO_LIMIT:
                self._shared.clear()
            self._shared[key + ((self._seed,) if any(c.seeded for c in contexts) else ())] = (turns, cached)
        return cached

    def chain(self, task_id: str, turn: Turn) -> list[dict[str, Any]]:
        """The turn's gold calls with their drawn legs (the k-th gold call of a tool draws the k-th value)."""
        out = []
        for g in turn.gold:
            k = self._drawn.get((task_id, g.tool), 0)
            self._drawn[(task_id, g.tool)] = k + 1
            req, svc, resp = self._draws.nth(task_id, g.service, g.tool, k)
            out.append({"tool": g.tool, "service": g.service, "args": g.args, "req_ms": req, "svc_ms": svc, "resp_ms": resp})
        return out
