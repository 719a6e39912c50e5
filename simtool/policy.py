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

Everything a policy learns comes back in the observation, as in Gymnasium's ``step``: a
``CallAction`` carries a ``ref`` the policy chooses, and the next observation's ``issued``
reports what became of it (the ``call_id`` it got, or the refusal and why).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import attrs
from attrs import define, field, frozen

from simtool.errors import SimtoolError, SpecError
from simtool.latency import Distribution, parse_distribution
from simtool.options import ThinkOptions, resolve_options, structure_options
from simtool.rng import CounterStream
from simtool.service import ToolSchema

__all__ = [
    "CallView",
    "TaskView",
    "Event",
    "Issued",
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
    "PolicyAbort",
    "resolve_options",
    "structure_options",
    "ThinkOptions",
]


class PolicyAbort(SimtoolError):
    """Raised by a policy that cannot go on (e.g. the model cannot be reached): the trace stays incomplete."""


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
    by the world), ``subtask_started``, ``rejected`` (an action the runtime refused),
    ``wait_timeout``, and the events of the world's faults, each named by its fault kind
    (``simtool.faults``): ``task_cancelled``, ``amended``, ``revoked``, ``granted``.
    """

    kind: str
    t: int
    task_id: str | None = None
    call_id: str | None = None
    detail: Mapping[str, Any] = field(factory=dict)


@frozen
class Issued:
    """What became of a ``CallAction`` that carried a ``ref``, reported in the next observation.

    ``call_id`` is the id of the call it started; None when the runtime refused the action
    outright (no call was made), with ``refused`` the reason (the ``agent_error`` reason:
    ``unknown_task``, ``unknown_tool``, ``wrong_task_tool``, ``bad_arguments``, ``bad_timeout``)
    and ``detail`` the explanation. A call that got an id can still be refused later (the task
    is no longer active, a permission, an outage): its delivery says so.
    """

    ref: str
    call_id: str | None
    refused: str | None = None
    detail: str | None = None


@frozen
class Observation:
    """What the policy sees at a decision point.

    ``issued`` maps the ``ref`` of each call action applied since the last decision to its
    outcome (in the order the actions took effect); actions without a ``ref`` are not reported.
    """

    now: int
    decision: int  # index of this decision, from 0
    tasks: tuple[TaskView, ...]
    calls: Mapping[str, CallView]  # every call of the run so far, by id
    in_flight: tuple[str, ...]  # call ids, in issue order
    events: tuple[Event, ...]  # since the last decision, in order
    schemas: Mapping[str, Mapping[str, ToolSchema]]  # task id -> tool name -> schema
    issued: Mapping[str, Issued] = field(factory=dict)  # ref -> outcome, since the last decision

    def task(self, task_id: str) -> TaskView:
        for t in self.tasks:
            if t.task_id == task_id:
                return t
        raise KeyError(task_id)


@frozen
class CallAction:
    """Call ``tool`` of task ``task_id`` with ``args``.

    ``timeout_ms``: the call's deadline from issue (None: the world's default, if any).
    ``uses``: the call ids whose results the arguments rely on. ``ref``: a name the policy
    chooses for this action; the next observation's ``issued[ref]`` tells the call id it got or
    why it was refused (use a ref not pending in the same decision: a repeated one replaces it).
    """

    task_id: str
    tool: str
    args: Mapping[str, Any] = field(factory=dict)
    timeout_ms: int | None = None
    uses: tuple[str, ...] = ()
    ref: str | None = None


@frozen
class Cancel:
    """Cancel call ``call_id`` (see ``simtool.runtime`` for what cancelled means before and after execution)."""

    call_id: str


@frozen
class Respond:
    """Answer the user for a task: ends its current sub-task."""

    task_id: str
    text: str = ""
    uses: tuple[str, ...] | None = None  # None: every result delivered to this sub-task


@frozen
class Wait:
    """Sleep until one of ``call_ids`` ends (any call when empty) or a world event touches the run,
    or ``timeout_ms`` passes (then the observation has a ``wait_timeout`` event)."""

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
    """A policy's answer to an observation: ``actions`` applied in order once ``think_ms`` has
    passed, then ``wait`` (None: decide again at once, unless there were no actions)."""

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
    after: tuple[int, ...] = ()  # earlier steps of the turn this one depends on (``simtool.dependencies``)


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
        """The expected critical path of the rest of the task: of the current turn's steps from
        ``done_in_turn`` on (their partial order), then of each later turn's."""
        total = _critical_path(self.steps(task_id, turn, epoch), done_in_turn)
        for later in range(turn + 1, self._n_turns[task_id]):
            total += _critical_path(self.steps(task_id, later, 0), 0)
        return total


def _critical_path(steps: tuple[GoldStep, ...], start: int) -> float:
    finish: dict[int, float] = {}
    for j in range(start, len(steps)):
        finish[j] = max((finish.get(i, 0.0) for i in steps[j].after), default=0.0) + steps[j].expected_ms
    return max(finish.values(), default=0.0)


@define
class PolicyContext:
    """Handed to a policy at reset: its seeded streams, the oracle, the run's seed and world name."""

    seed: int
    rng: Callable[[str], CounterStream]
    oracle: Oracle
    world_name: str
    trace_dir: str | None = None


class Policy:
    """Base class. Subclasses set ``name``, an attrs ``Options`` class, and implement ``decide``.

    The runtime calls ``reset`` once, then ``decide`` at each decision point, then ``close``.

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

    def close(self) -> dict[str, Any]:
        """Called when the run ends; returns a summary recorded in the trace's end event."""
        return {}

    @staticmethod
    def think_distribution(spec: Any) -> Distribution:
        try:
            return parse_distribution(spec, None, ("policy", "think"))
        except SpecError as exc:
            raise SpecError(exc.detail, key="policy.think", expected=exc.expected, found=exc.found) from None
