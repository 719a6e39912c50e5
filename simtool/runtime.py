"""The runtime: one deterministic run of a world, steppable by whoever drives the agent.

A composition root: it wires the run's parts and holds no logic of its own.
- ``Streams`` (simtool.rng): the root seed, handing out named random streams;
- ``Clock`` (simtool.clock): simulated ms, SimPy underneath;
- ``TraceStamp`` (simtool.stamp): every event gets ``t``, ``seq`` and ``kind``;
- ``TaskBoard`` (simtool.tasks): the tasks, their services, statuses and sub-tasks;
- ``GoldBook`` (simtool.gold) and ``Grader`` (simtool.grader): each ``respond`` against gold;
- ``ServiceGate`` (simtool.gate): capacity, rate limits, outages;
- ``CallLife`` (simtool.calls): a call from issue to delivery, timeout or cancellation;
- the fault table (simtool.faults): the world's own events;
- ``Inbox`` and ``AgentLoop`` (simtool.agent): what the agent is told, decision points, think time, waits.

Driving it: ``start()``, then ``advance()`` (the observation at the agent's next decision point,
None once the run is over) and ``submit(decision)`` in turn, then ``finish(summary)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from types import MappingProxyType
from typing import Any

from simtool.agent import AgentLoop, Inbox
from simtool.calls import CallLife
from simtool.clock import make_clock
from simtool.faults import FaultScene, schedule_faults
from simtool.gate import ServiceGate
from simtool.gold import GoldBook, shared_edges, shared_expectations
from simtool.grader import Grader
from simtool.latency import LatencyDraws
from simtool.policy import (
    CallAction,
    Cancel,
    Decision,
    Issued,
    Observation,
    Oracle,
    PolicyAbort,
    PolicyContext,
    Respond,
)
from simtool.records import CallRun, TaskRun
from simtool.rng import CounterStream, Streams
from simtool.stamp import TraceStamp
from simtool.tasks import TaskBoard, make_services
from simtool.trace import TraceWriter
from simtool.views import CallViews
from simtool.world import World

__all__ = ["Runtime", "PolicyAbort"]  # PolicyAbort lives in simtool.policy; re-exported for old imports


class Runtime:
    """One deterministic run of a world with a seed, writing its trace to ``writer``."""

    def __init__(self, world: World, seed: int, writer: TraceWriter) -> None:
        self.world = world
        self.streams = streams = Streams(seed)
        self.clock = clock = make_clock(streams("ties") if world.tie_shuffle else None)
        emit = TraceStamp(clock, writer.write).emit
        draws = LatencyDraws(world.latency, streams)
        services = partial(make_services, streams)
        self.gold = GoldBook({t.task_id: t for t in world.tasks}, draws, services, streams, shared_expectations(world),
                             shared_edges(world))
        self.inbox = inbox = Inbox(clock, emit)
        notify, reject = inbox.notify, inbox.reject
        self.board = TaskBoard(world.tasks, services, self.gold, clock, emit, notify)
        self.tasks: dict[str, TaskRun] = self.board.tasks
        self.gate = ServiceGate(world.limits, clock)
        schemas = MappingProxyType({t.task_id: MappingProxyType(dict(t.tools)) for t in world.tasks})
        self.life = CallLife(clock, self.tasks, self.gate, draws, emit, notify, reject,
                             enforcement=world.enforcement, default_timeout_ms=world.default_timeout_ms)
        self.calls: dict[str, CallRun] = self.life.calls
        self.agent = AgentLoop(clock, inbox, self.board, CallViews(self.calls, self.tasks), self.life.in_flight, schemas, emit,
                               max_decisions=world.max_decisions, horizon_ms=world.horizon_ms,
                               fixed_think_ms=world.think_ms)
        self.board.committed = self.agent.committed_calls
        self.grader = Grader(self.board, self.calls, self.gold, emit, reject)
        self._scene = FaultScene(clock, self.board, self.life, self.gate, emit, notify, world.horizon_ms)
        self._emit = emit
        # the steps are the agent loop's own methods: no extra call per decision (documented below)
        self.advance = self.agent.advance  # type: ignore[method-assign]
        self.submit = self.agent.submit  # type: ignore[method-assign]

    @property
    def end_reason(self) -> str | None:
        """Why the run ended (``all_done``, ``max_decisions``, ``horizon``, ``stalled``, ``stopped``); None while it runs."""
        return self.agent.end_reason

    # ----------------------------------------------------------------- the steppable run
    def policy_context(self) -> PolicyContext:
        """What a policy gets at reset: its seeded streams, the gold oracle, the seed and world name."""
        return PolicyContext(seed=self.streams.seed, rng=self.policy_rng, oracle=self.oracle(), world_name=self.world.name)

    def start(self) -> None:
        """Start every task's first sub-task, schedule the faults and the agent's first wake-up (at 0)."""
        for task in self.tasks.values():
            self.board.start_subtask(task, "start")
        schedule_faults(self.world.faults, self.world.fault_processes, self._scene, self.streams)
        self.agent.start(self._apply)

    def advance(self) -> Observation | None:
        """Run the clock to the agent's next decision point and return its observation; None once
        the run is over (``end_reason`` says why)."""
        return self.agent.advance()

    def submit(self, decision: Decision) -> None:
        """The agent's decision on the last observation: recorded now, its actions applied after
        its think time. A malformed decision is recorded as an ``agent_error`` and taken as a
        decision to wait for anything."""
        self.agent.submit(decision)

    def finish(self, policy_summary: Mapping[str, Any] | None = None) -> str:
        """End the run: emit the ``end`` event (with the policy's summary) and return the end reason.

        Called before the run is over (an external agent stopping early), the reason is ``stopped``.
        """
        reason = self.agent.stop()
        tasks = {t.task_id: {"status": t.status, "turn": t.turn, "turns": len(t.spec.turns)} for t in self.tasks.values()}
        self._emit(
            "end", reason=reason, tasks=tasks, in_flight=list(self.life.in_flight), decisions=self.agent.decisions,
            think_ms=self.agent.think_total, policy=dict(policy_summary or {}),
        )
        return reason

    def _apply(self, action: Any) -> Issued | None:
        if isinstance(action, CallAction):
            return self.life.issue(action)
        if isinstance(action, Cancel):
            self.life.cancel(action.call_id, "agent")
        elif isinstance(action, Respond):
            self.grader.respond(action)
        else:
            self.inbox.reject(None, "bad_action", f"unknown action {type(action).__name__}", repr(action)[:500])
        return None

    # ----------------------------------------------------------------- what a policy may know
    def policy_rng(self, name: str) -> CounterStream:
        return self.streams("policy", name)

    def oracle(self) -> Oracle:
        return Oracle(self.gold.steps, {t.task_id: len(t.turns) for t in self.world.tasks})
