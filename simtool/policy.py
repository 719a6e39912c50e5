"""The policy contract: an observation in, a decision out, think time charged by the clock.

The runtime, not the policy, keeps the scheduler state. At each decision point (start, any
delivery, any world event, a wait that times out) the policy gets an ``Observation`` and
returns a ``Decision``: actions plus the think time it spent. The clock charges the think
time first; then the actions take effect in order. After that:

- ``wait=None``: the policy is asked again at once (it has more to do);
- ``Wait(call_ids, timeout_ms)``: the policy sleeps until one of ``call_ids`` ends (any call
  when empty), a world event touches the run, or the timeout passes.
A decision with no actions and no wait waits for anything.

Actions name results they rely on in ``uses`` (call ids): that is how the trace knows which
result a decision was bound to (for stale-result and wrong-binding checks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import attrs
import numpy as np
from attrs import define, field, frozen

from simtool.errors import SpecError
from simtool.latency import Distribution, parse_distribution
from simtool.options import ThinkOptions, resolve_options, structure_options
from simtool.service import ToolSchema

__all__ = [
    "CallView",
    "TaskView",
    "Event",
    "Observation",
    "CallAction",
    "Cancel",
    "Respond",
    "Wait",
    "Action",
    "AgentError",
    "Decision",
    "Policy",
    "PolicyContext",
    "Oracle",
    "GoldStep",
    "resolve_options",
    "structure_options",
    "ThinkOptions",
]


@frozen
class CallView:
    """A call as the agent may see it. ``status``: in_flight | ok | error | timeout | cancelled."""

    call_id: str
    task_id: str
    turn: int
    epoch: int
    tool: str
    args: Mapping[str, Any]
    issued_at: int
    deadline: int | None
    status: str
    result: Any = None
    ended_at: int | None = None
    stale: bool = False  # issued for a sub-task that was amended or a task that was cancelled


@frozen
class TaskView:
    """``status``: active | done | cancelled. ``epoch`` counts amendments of the current turn."""

    task_id: str
    status: str
    turn: int
    n_turns: int
    epoch: int
    request: str
    tools: tuple[str, ...]
    permissions: tuple[str, ...]
    call_ids: Sequence[str]  # every call issued for the task so far, in issue order (live, read-only)


@frozen
class Event:
    """Something that happened since the last decision.

    kinds: ``delivered`` (a result, ok or error), ``timed_out``, ``cancelled`` (a call cancelled
    by the world), ``task_cancelled``, ``amended``, ``revoked``, ``granted``, ``outage``,
    ``rate_limit``, ``subtask_started``, ``rejected`` (an action the runtime refused),
    ``wait_timeout``.
    """

    kind: str
    t: int
    task_id: str | None = None
    call_id: str | None = None
    detail: Mapping[str, Any] = field(factory=dict)


@frozen
class Observation:
    now: int
    decision: int  # index of this decision, from 0
    tasks: tuple[TaskView, ...]
    calls: Mapping[str, CallView]  # every call of the run so far, by id
    in_flight: tuple[str, ...]  # call ids, in issue order
    events: tuple[Event, ...]  # since the last decision, in order
    schemas: Mapping[str, Mapping[str, ToolSchema]]  # task id -> tool name -> schema

    def task(self, task_id: str) -> TaskView:
        for t in self.tasks:
            if t.task_id == task_id:
                return t
        raise KeyError(task_id)


@frozen
class CallAction:
    task_id: str
    tool: str
    args: Mapping[str, Any] = field(factory=dict)
    timeout_ms: int | None = None
    uses: tuple[str, ...] = ()


@frozen
class Cancel:
    call_id: str


@frozen
class Respond:
    """Answer the user for a task: ends its current sub-task."""

    task_id: str
    text: str = ""
    uses: tuple[str, ...] | None = None  # None: every result delivered to this sub-task


@frozen
class Wait:
    call_ids: tuple[str, ...] = ()
    timeout_ms: int | None = None


Action = CallAction | Cancel | Respond


@frozen
class AgentError:
    """An agent output that never became an action (bad JSON, no call, ...): the runtime records
    it as an ``agent_error`` event once the decision's think time has passed."""

    reason: str
    detail: str
    raw: Any = None
    task_id: str | None = None


@frozen
class Decision:
    actions: tuple[Action, ...] = ()
    think_ms: int = 0
    wait: Wait | None = None
    note: Mapping[str, Any] = field(factory=dict)  # recorded in the trace (e.g. token usage)
    errors: tuple[AgentError, ...] = ()  # emitted as agent_error events, before the actions


@frozen
class GoldStep:
    tool: str
    args: Mapping[str, Any]
    expected_ms: float


class Oracle:
    """What scripted policies may know that a real agent does not: the gold path per task.

    ``steps(task_id, turn, epoch)`` gives the current gold calls (the amended ones when
    ``epoch`` > 0). ``remaining_ms`` estimates the expected latency of the rest of a task.
    """

    def __init__(self, lookup: Callable[[str, int, int], tuple[GoldStep, ...]], n_turns: Mapping[str, int]) -> None:
        self._lookup = lookup
        self._n_turns = dict(n_turns)

    def steps(self, task_id: str, turn: int, epoch: int = 0) -> tuple[GoldStep, ...]:
        return self._lookup(task_id, turn, epoch)

    def remaining_ms(self, task_id: str, turn: int, epoch: int, done_in_turn: int) -> float:
        total = sum(s.expected_ms for s in self.steps(task_id, turn, epoch)[done_in_turn:])
        for later in range(turn + 1, self._n_turns[task_id]):
            total += sum(s.expected_ms for s in self.steps(task_id, later, 0))
        return total


@define
class PolicyContext:
    """Handed to a policy at reset: its seeded streams, the oracle, the run's seed and world name."""

    seed: int
    rng: Callable[[str], np.random.Generator]
    oracle: Oracle
    world_name: str
    trace_dir: str | None = None


class Policy:
    """Base class. Subclasses set ``name``, an attrs ``Options`` class, and implement ``decide``.

    ``options`` is the policy's options record, an instance of ``Options`` (every default
    filled, every value checked: see :mod:`simtool.options`), read as attributes
    (``self.options.think``); the trace header records ``attrs.asdict`` of it. To change an
    option, make a new record with ``attrs.evolve(self.options, key=value)``. ``think``
    (every scripted policy has it) is a latency spec: the think time drawn per decision from
    the policy's own stream.
    """

    name: ClassVar[str] = ""
    Options: ClassVar[type] = ThinkOptions

    def __init__(self, options: Mapping[str, Any] | Any | None = None) -> None:
        """``options``: ``policy.<key>`` values (a mapping), or a ready ``Options`` record."""
        if isinstance(self.Options, type) and isinstance(options, self.Options) and attrs.has(type(options)):
            self.options: Any = options
        else:
            self.options = structure_options(self.Options, options or {})
        self.ctx: PolicyContext | None = None

    def header_options(self) -> dict[str, Any]:
        """The options as the trace header records them: ``attrs.asdict`` of the record."""
        if not (isinstance(self.Options, type) and isinstance(self.options, self.Options) and attrs.has(type(self.options))):
            raise TypeError(
                f"{type(self).__name__}.options must be a {getattr(self.Options, '__name__', self.Options)} record, "
                f"found {type(self.options).__name__}: options are attrs records now (read self.options.<key>; "
                f"change one with attrs.evolve(self.options, key=value) instead of assigning a mapping)"
            )
        return attrs.asdict(self.options)

    def reset(self, ctx: PolicyContext) -> None:
        """Called once before the first decision."""
        self.ctx = ctx

    def decide(self, obs: Observation) -> Decision:
        raise NotImplementedError

    def on_issue(self, action: CallAction, call_id: str | None) -> None:
        """Told, as each call action takes effect, the call id it got (None: the runtime refused it)."""

    def close(self) -> dict[str, Any]:
        """Called when the run ends; returns a summary recorded in the trace's end event."""
        return {}

    @staticmethod
    def think_distribution(spec: Any) -> Distribution:
        try:
            return parse_distribution(spec, None, ("policy", "think"))
        except SpecError as exc:
            raise SpecError(exc.detail, key="policy.think", expected=exc.expected, found=exc.found) from None
