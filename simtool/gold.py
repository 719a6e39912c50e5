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

from collections.abc import Callable, Mapping
from typing import Any

from simtool.dependencies import dependencies
from simtool.latency import LatencyDraws
from simtool.policy import GoldStep
from simtool.rng import Streams
from simtool.service import Service, ServiceContext, normalize
from simtool.world import TaskSpec, Turn, World

__all__ = ["GoldBook", "shared_expectations", "shared_edges"]

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


def shared_edges(world: World) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Gold turns' dependency relations and steps (``GoldBook.steps``) kept across the runs of one
    parsed world, beside its expectations: both are pure functions of a turn and its gold results."""
    return world.memo.setdefault("edges", {})  # type: ignore[no-any-return]


class GoldBook:
    """The gold of one run's tasks as amendments change it, and what replaying it gives."""

    def __init__(self, tasks: dict[str, TaskSpec], draws: LatencyDraws, instantiate: Instantiate,
                 streams: Streams, shared: Shared | None = None,
                 shared_edges: dict[tuple[str, int], tuple[Any, ...]] | None = None) -> None:
        self._tasks = tasks
        self._latency = draws.model
        self._draws = draws  # shared with the runtime: the k-th gold call of a tool reads the k-th draw
        self._drawn: dict[tuple[str, str], int] = {}
        self._instantiate = instantiate
        self._seed = streams.seed  # the key of expectations that depend on the run's streams
        self._shared = shared if shared is not None else {}
        self._edges: dict[tuple[str, int], tuple[Any, ...]] = shared_edges if shared_edges is not None else {}
        self._amendments: dict[tuple[str, int, int], Turn] = {}
        self._steps: dict[tuple[str, int, int], tuple[GoldStep, ...]] = {}
        self._expected: dict[tuple[str, tuple[tuple[int, int], ...]], Expectation] = {}
        self._relations: dict[tuple[str, tuple[tuple[int, int], ...]], tuple[tuple[int, ...], ...]] = {}

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
            done = tuple((t, max((e for (task, t2, e) in self._amendments if task == task_id and t2 == t), default=0))
                         for t in range(turn))
            path = done + ((turn, epoch),)
            # the steps are a pure function of the turn and the gold results replaying ``path``
            # gives (through the dependency relation, ``edges``): kept across runs beside the relation
            results = None if self._tasks[task_id].strict or not gold.gold else self.expectation(task_id, path)[1][-1]
            memo_key = ("steps", task_id, id(gold), id(results))
            entry = self._edges.get(memo_key)
            if entry is not None and entry[0] is gold and entry[1] is results:
                cached = entry[2]
            else:
                edges = self.edges(task_id, path)
                cached = tuple(GoldStep(g.tool, g.args, self._latency.expected_ms(g.service, g.tool), edges[j])
                               for j, g in enumerate(gold.gold))
                if len(self._edges) >= _MEMO_LIMIT:
                    self._edges.clear()
                self._edges[memo_key] = (gold, results, cached)  # holds both: their ids are not reused while it lives
            self._steps[key] = cached
        return cached

    def expectation(self, task_id: str, path: tuple[tuple[int, int], ...]) -> Expectation:
        """What replaying the gold of ``path`` on fresh services gives (shared with other runs of
        the world; read-only)."""
        mine = self._expected.get((task_id, path))
        if mine is not None:
            return mine
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
        # a path's turns never change in a run (an amendment is a new epoch): asked again, the same answer
        self._expected[(task_id, path)] = cached
        return cached

    def edges(self, task_id: str, path: tuple[tuple[int, int], ...]) -> tuple[tuple[int, ...], ...]:
        """The dependency relation of the last turn of ``path`` (``simtool.dependencies``), its data
        flow read from the gold results replaying ``path`` gives."""
        mine = self._relations.get((task_id, path))
        if mine is None:
            mine = self._relations[(task_id, path)] = self._edges_of(task_id, path)
        return mine

    def _edges_of(self, task_id: str, path: tuple[tuple[int, int], ...]) -> tuple[tuple[int, ...], ...]:
        spec = self._tasks[task_id]
        turn = self.turn(task_id, *path[-1])
        assert turn is not None, (task_id, path)
        if spec.strict or not turn.gold:
            return dependencies(turn.gold, spec.tools, None, spec.strict)
        results = self.expectation(task_id, path)[1][-1]
        # the relation is a pure function of the turn and its gold results: worked out once per
        # shared expectation (the entry holds the results, so their id is not reused while it lives)
        memo_key = ("edges", id(results))
        entry = self._edges.get(memo_key)
        if entry is not None and entry[0] is results and entry[1] is turn:
            return entry[2]  # type: ignore[no-any-return]
        edges = dependencies(turn.gold, spec.tools, results)
        if len(self._edges) >= _MEMO_LIMIT:
            self._edges.clear()
        self._edges[memo_key] = (results, turn, edges)
        return edges

    def chain(self, task_id: str, turn: Turn, path: tuple[tuple[int, int], ...] | None = None,
              issued: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
        """The turn's gold calls with their drawn legs (the k-th gold call of a tool draws the k-th value)
        and, when ``path`` (the sub-task's (turn, epoch) and those before it) is given, the earlier
        steps each depends on (``after``) and the scope each needs.

        ``issued``: how many calls of each tool the agent has issued in the task so far, or decided
        on in the think time it is in (they will be issued first); the sub-task's gold calls of a
        tool then draw on from there, the values the agent's own next calls of that tool will get
        (after an amendment the old gold path's unissued calls drew nothing)."""
        edges = self.edges(task_id, path) if path is not None else None
        if issued is not None:
            for key in [k for k in self._drawn if k[0] == task_id]:
                del self._drawn[key]
            for tool, count in issued.items():
                self._drawn[(task_id, tool)] = count
        out = []
        drawn, nth, tools = self._drawn, self._draws.nth, self._tasks[task_id].tools
        for j, g in enumerate(turn.gold):
            tool = g.tool
            k = drawn.get((task_id, tool), 0)
            drawn[(task_id, tool)] = k + 1
            req, svc, resp = nth(task_id, g.service, tool, k)
            step = {"tool": tool, "service": g.service, "args": g.args, "req_ms": req, "svc_ms": svc, "resp_ms": resp}
            if edges is not None:
                step["after"] = list(edges[j])
                schema = tools.get(tool)
                if schema is not None:
                    step["scope"] = schema.scope
            out.append(step)
        return out
