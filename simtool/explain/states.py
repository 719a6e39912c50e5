"""Service states recomputed from a trace: what the gold gives, what the run's calls gave.

A ``respond`` event names the state keys (``Service.attribute``) that differed from the gold
state, not their values. To show expected against found, both states are recomputed,
deterministically, from the trace alone: the header's world gives each task's fresh services
(with the run's seeded streams), the ``subtask_start`` events give the gold of each answered
(turn, epoch), and the ``issue``/``execute`` events give the calls the services ran, in
execution order. The replay checks itself against the trace: every replayed call must give the
result its ``execute`` event recorded, and the recomputed differing keys must be the respond's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from simtool.errors import SimtoolError
from simtool.jsondiff import Difference, differences
from simtool.rng import Streams
from simtool.scoring.history import History
from simtool.service import Service, normalize
from simtool.tasks import make_services
from simtool.world import TaskSpec, parse_world

__all__ = ["Difference", "StateCheck", "StateReplay", "differences", "describe_keys"]

State = dict[str, dict[str, Any]]

MAX_DIFFERENCES = 12  # leaves shown per answer


@frozen
class StateCheck:
    """The state check of one answer: the keys the trace names and, when recomputed, their values.

    ``keys``: the respond's ``state_diff``; ``differences``: the minimal differing leaves (empty
    when the states could not be recomputed); ``note``: why values are missing or uncertain.
    """

    keys: tuple[str, ...]
    differences: tuple[Difference, ...] = ()
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"keys": list(self.keys), "differences": [d.as_dict() for d in self.differences], "note": self.note}


def _fresh_services(spec: TaskSpec, seed: int) -> dict[str, Service]:
    """A task's services as the run builds them at t=0 (same seeded streams, same scenario)."""
    return make_services(Streams(seed), spec)


def _snapshot(services: Mapping[str, Service]) -> State:
    return {name: s.state() for name, s in services.items()}


def _key_diff(expected: State, found: State) -> list[str]:
    """The ``Service.attribute`` keys that differ, as the runtime lists them."""
    return [f"{name}.{key}" for name in sorted(found) for key in sorted(set(found[name]) | set(expected.get(name, {})))
            if found[name].get(key) != expected.get(name, {}).get(key)]


def _changed_paths(before: State, after: State, limit: int = 4) -> tuple[str, ...]:
    """Where a call changed the state: the minimal differing paths, at most ``limit`` (then the keys)."""
    paths: list[str] = []
    for key in _key_diff(before, after):
        service, _, attribute = key.partition(".")
        paths += [d.path for d in differences(before[service].get(attribute), after[service].get(attribute), key, limit + 1)]
    if len(paths) > limit:
        return tuple(_key_diff(before, after))
    return tuple(paths)


class StateReplay:
    """Recomputes a task's states from a trace's history (lazily; the world is parsed once).

    ``changes(call_id)``: the state keys a call's execution changed; ``check(respond)``: the
    respond's state check with expected and found values. When the world cannot be rebuilt
    (a service not installed here, a hand-made header), values are left out and a note says why.
    """

    def __init__(self, history: History) -> None:
        self._h = history
        self._specs: dict[str, TaskSpec] | None = None
        self._problem: str | None = None
        self._changes: dict[str, tuple[str, ...]] = {}
        self._found: dict[int, State] = {}  # respond seq -> the task's state just before it
        self._replayed: set[str] = set()
        self._mismatch: dict[str, str] = {}  # task -> first call whose replayed result differs

    @property
    def problem(self) -> str | None:
        """Why states cannot be recomputed (None: they can)."""
        self._load()
        return self._problem

    def _load(self) -> dict[str, TaskSpec]:
        if self._specs is None:
            self._specs = {}
            try:
                world = parse_world(self._h.world)
                self._specs = {t.task_id: t for t in world.tasks}
            except (SimtoolError, KeyError, TypeError, ValueError) as exc:
                self._problem = f"the header's world cannot be rebuilt here ({exc})"
        return self._specs

    def _replay_task(self, task: str) -> None:
        """Run the task's executed calls, in execution order, on fresh services; record each call's changes."""
        if task in self._replayed:
            return
        self._replayed.add(task)
        spec = self._load().get(task)
        if spec is None:
            return
        services = _fresh_services(spec, self._h.seed)
        executions = [c for c in self._h.calls.values() if c.task == task and c.execute is not None]
        executions.sort(key=lambda c: c.execute["seq"])  # type: ignore[index]
        responds = [r for r in self._h.responds if r["task"] == task]
        before = _snapshot(services)
        step = 0
        for call in executions:
            while step < len(responds) and responds[step]["seq"] < call.execute["seq"]:  # type: ignore[index]
                self._found[responds[step]["seq"]] = before
                step += 1
            service = services.get(call.issue.get("service"))
            if service is None:
                continue
            result = normalize(service.invoke(call.tool, call.args).value)
            if result != call.execute.get("result") and task not in self._mismatch:  # type: ignore[union-attr]
                self._mismatch[task] = call.call_id
            after = _snapshot(services)
            self._changes[call.call_id] = _changed_paths(before, after)
            before = after
        for r in responds[step:]:
            self._found[r["seq"]] = before

    def changes(self, call_id: str) -> tuple[str, ...] | None:
        """Where the call's execution changed the state (minimal paths, or keys when many) (None: not executed, or not recomputable)."""
        call = self._h.calls.get(call_id)
        if call is None or call.execute is None:
            return None
        self._replay_task(call.task)
        return self._changes.get(call_id)

    def _expected(self, respond: Mapping[str, Any]) -> State | None:
        spec = self._load().get(respond["task"])
        if spec is None:
            return None
        path = [(r["turn"], r["epoch"]) for r in self._h.responds if r["task"] == respond["task"] and r["seq"] <= respond["seq"]]
        services = _fresh_services(spec, self._h.seed)
        for turn, epoch in path:
            starts = [s for s in self._h.starts.get((respond["task"], turn), []) if s.get("epoch") == epoch]
            if not starts:
                return None
            for g in starts[-1].get("gold") or []:
                service = services.get(g.get("service"))
                if service is None:
                    return None
                service.invoke(g["tool"], g.get("args") or {})
        return _snapshot(services)

    def check(self, respond: Mapping[str, Any]) -> StateCheck:
        """Expected against found at a ``respond``: minimal differences of the keys that differ."""
        keys = tuple(respond.get("state_diff") or ())
        if respond.get("state_ok", True) and not keys:
            return StateCheck(keys)
        expected = self._expected(respond)
        self._replay_task(respond["task"])
        found = self._found.get(respond["seq"])
        if expected is None or found is None:
            return StateCheck(keys, (), self._problem or "the gold or the run's calls of this task cannot be replayed")
        differing = _key_diff(expected, found)
        note = None
        if respond["task"] in self._mismatch:
            note = f"replaying {self._mismatch[respond['task']]} gave another result than the trace: values may differ from the run's"
        elif differing[: len(keys)] != list(keys):
            note = f"recomputed differing keys {differing} are not the trace's {list(keys)}"
        out: list[Difference] = []
        for key in differing:
            service, _, attribute = key.partition(".")
            out += differences(expected.get(service, {}).get(attribute), found.get(service, {}).get(attribute), key,
                               MAX_DIFFERENCES - len(out))
            if len(out) >= MAX_DIFFERENCES:
                break
        return StateCheck(keys, tuple(out), note)


def describe_keys(keys: Sequence[str]) -> str:
    """``a, b`` or ``nothing``."""
    return ", ".join(keys) if keys else "nothing"
