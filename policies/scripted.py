"""Scripted policies that follow each task's gold path: they know *what* to call and differ in *when*.

Correct ones:
- ``sequential``: one call at a time, task after task (the blocking baseline);
- ``interleave``: one call in flight per task, round-robin over ready tasks;
- ``critical-path``: like interleave, the task with the longest expected remaining critical
  path (through its partial order) first;
- ``parallel``: every ready step of every task: a step whose dependencies have been delivered.
Faulty ones, each reproducing one of AsyncTool's failure modes:
- ``eager``: issues a task's next call without waiting for the previous result (ignores
  dependencies: ``dependency_violation``);
- ``neglectful``: starves the last task while another has a call in flight (``neglect_ms``);
- ``confused``: every third call goes to another task's tool (``wrong_task_tool``);
- ``unbound``: ignores correlation ids, binding each delivery to its oldest pending call;
- ``oblivious``: ignores cancellations, amendments and revocations.

All of them: one action per decision (then decide again at once), think time drawn per
decision from the ``think`` latency spec on the policy's own stream; on a refusal that says
``retry_after_ms`` (outage, rate limit) they retry that call after the wait; on a timeout they
retry up to ``max_retries`` times. A correct policy cancels the calls that an amendment,
cancellation or revocation made pointless, and answers at once a sub-task whose next call a
revocation forbids.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from attrs import define, evolve, field, frozen

from simtool.latency import Distribution
from simtool.options import at_least, think_spec
from simtool.policy import (
    Action,
    CallAction,
    Cancel,
    Decision,
    GoldStep,
    Observation,
    Policy,
    PolicyContext,
    Respond,
    TaskView,
    Wait,
)

__all__ = ["Sequential", "Interleave", "CriticalPath", "Parallel", "Eager", "Neglectful", "Confused", "Unbound", "Oblivious", "ScriptedOptions"]


_WAIT_ANY = Wait()  # wait for anything, no timeout (immutable: one instance serves every decision)
_NO_NOTE: Mapping[str, Any] = MappingProxyType({})  # a decision's note: none (read-only, so shared)


@frozen
class ScriptedOptions:
    """``policy.<key>`` options of every scripted policy.

    ``think``: the think time per decision, a latency spec (ms); ``timeout_ms``: the deadline
    given to each call (null: none); ``max_retries``: how often a timed-out or refused step
    is issued again.
    """

    think: Any = field(factory=lambda: {"dist": "lognormal", "median": 25, "sigma": 0.4}, validator=think_spec)
    timeout_ms: int | None = field(default=None, validator=at_least(1))
    max_retries: int = field(default=3, validator=at_least(0))


@define
class Progress:
    """What a scripted policy believes about one task's current sub-task."""

    turn: int = 0
    epoch: int = 0
    issued: int = 0  # gold steps issued (not counting retries)
    done: int = 0  # gold steps whose result the policy holds
    started: set[int] = field(factory=set)  # indices of the gold steps issued
    finished: set[int] = field(factory=set)  # indices of the gold steps whose result the policy holds
    in_flight: dict[str, int] = field(factory=dict)  # call id -> gold step index
    uses: list[str] = field(factory=list)  # results bound to this sub-task
    retry: deque[int] = field(factory=deque)  # gold steps to issue again
    not_before: int = 0
    retries: int = 0
    answered: bool = False  # responded; waits for the next sub-task (a refused answer is not repeated)
    steps: tuple[GoldStep, ...] = ()  # the gold steps in force, for ``steps_of`` (turn, epoch)
    steps_of: tuple[int, int] | None = None

    def restart(self, turn: int, epoch: int) -> None:
        self.turn, self.epoch, self.issued, self.done, self.uses, self.retry, self.retries = turn, epoch, 0, 0, [], deque(), 0
        self.started, self.finished = set(), set()
        self.answered = False


class GoldFollower(Policy):
    """Shared machinery; subclasses choose which ready task acts next."""

    Options = ScriptedOptions
    options: ScriptedOptions
    follows_world: ClassVar[bool] = True  # reacts to cancellations, amendments, revocations
    one_in_flight: ClassVar[bool] = True  # waits for a task's result before its next call

    def reset(self, ctx: PolicyContext) -> None:
        super().reset(ctx)
        self._think: Distribution = self.think_distribution(self.options.think)
        self._rng = None if self._think.constant else ctx.rng("think")  # a constant draws nothing
        self._constant_think = self._think.draw(None) if self._think.constant else None  # type: ignore[arg-type]
        self._progress: dict[str, Progress] = {}
        self._owner: dict[str, str] = {}  # call id -> task id
        self._cancels: list[str] = []
        self._refs: dict[str, int] = {}  # ref of a call action (its task id) -> gold step index
        self._cursor = 0
        self._tasks_seen: tuple[TaskView, ...] | None = None  # the task views last absorbed
        self._order: list[str] = []  # task ids in world order
        # readiness is re-checked only for tasks whose state may have changed since they were
        # last found not ready: every task when the views change, else the ones woken below
        self._views: dict[str, TaskView] = {}  # task id -> its current view
        self._position: dict[str, int] = {}  # task id -> its place in obs.tasks
        self._awake: dict[str, None] = {}  # candidates, an ordered set (never iterated into output unsorted)
        self._timed: dict[str, int] = {}  # task id -> the time from which a not-ready task may be ready again
        self._ended: dict[str, str | None] = {}  # call id -> how it ended, for the ends seen by this decision
        self._latest_not_before = 0  # the latest ``not_before`` of any task: none lies after it

    # ------------------------------------------------------------ beliefs
    def steps(self, task_id: str, p: Progress) -> tuple[GoldStep, ...]:
        key = (p.turn, p.epoch if self.follows_world else 0)
        if p.steps_of != key:  # a new sub-task (or amendment): look its gold steps up once
            assert self.ctx is not None
            p.steps, p.steps_of = self.ctx.oracle.steps(task_id, *key), key
        return p.steps

    def bind(self, obs: Observation, delivered: str, holder: str) -> None:
        """Take the result of call ``delivered`` as the answer to the policy's call ``holder``."""
        task_id = self._owner.pop(holder, None)
        if task_id is None:
            return
        self._awake[task_id] = None
        p = self._progress[task_id]
        step = p.in_flight.pop(holder, None)
        if step is None:
            return
        # how the call ended, from its event when this decision saw one (no view built for an ok result)
        status = self._ended.get(delivered)
        if status is None:
            status = obs.calls[delivered].status
        result = obs.calls[delivered].result if status == "error" else None
        retryable = status == "timeout" or (status == "error" and isinstance(result, dict) and "retry_after_ms" in result)
        if retryable and p.retries < self.options.max_retries:
            p.retries += 1
            p.retry.append(step)
            if isinstance(result, dict) and "retry_after_ms" in result:
                p.not_before = max(p.not_before, obs.now + int(result["retry_after_ms"]))
                self._latest_not_before = max(self._latest_not_before, p.not_before)
            return
        p.done += 1
        p.finished.add(step)
        p.uses.append(delivered)

    def on_delivery(self, obs: Observation, call_id: str) -> None:
        if call_id in self._owner:
            self.bind(obs, call_id, call_id)

    def _drop(self, task_id: str, call_ids: list[str], *, again: bool = False, cancel: bool = True) -> None:
        """Forget calls the world made pointless (cancelling them unless already cancelled);
        ``again``: their steps are still to be done."""
        p = self._progress[task_id]
        self._awake[task_id] = None
        for c in call_ids:
            step = p.in_flight.pop(c, None)
            self._owner.pop(c, None)
            if cancel:
                self._cancels.append(c)
            if again and step is not None:
                p.retry.append(step)

    def _absorb(self, obs: Observation) -> None:
        if obs.tasks is not self._tasks_seen:  # the runtime hands the same views while no task changed
            self._tasks_seen = obs.tasks
            self._views = {task.task_id: task for task in obs.tasks}
            self._position = {task.task_id: i for i, task in enumerate(obs.tasks)}
            self._awake = dict.fromkeys(self._views)
            for task in obs.tasks:
                p = self._progress.get(task.task_id)
                if p is None:
                    p = self._progress[task.task_id] = Progress(turn=task.turn, epoch=task.epoch)
                    self._order.append(task.task_id)
                elif task.turn != p.turn:
                    p.restart(task.turn, task.epoch)
        self._ended.clear()
        for e in obs.events:
            if e.kind in ("delivered", "timed_out") and e.call_id is not None:
                self._ended[e.call_id] = "timeout" if e.kind == "timed_out" else e.detail.get("outcome")  # type: ignore[assignment]
                self.on_delivery(obs, e.call_id)
            elif e.kind == "cancelled" and e.task_id in self._progress:
                # the world cancelled one of our calls: its step is still undone
                self._drop(e.task_id, [e.call_id], again=True, cancel=False)
            elif self.follows_world and e.task_id in self._progress:
                p = self._progress[e.task_id]
                if e.kind in ("task_cancelled", "amended"):
                    self._drop(e.task_id, list(p.in_flight))
                    if e.kind == "amended":
                        p.restart(p.turn, obs.task(e.task_id).epoch)
                elif e.kind == "revoked":
                    schemas = obs.schemas[e.task_id]
                    revoked = [c for c in p.in_flight if schemas[obs.calls[c].tool].scope == e.detail.get("scope")]
                    self._drop(e.task_id, revoked, again=True)


    # ------------------------------------------------------------ acting
    def ready(self, obs: Observation, task: TaskView) -> bool:
        if task.status != "active" and (self.follows_world or task.status == "done"):
            return False
        p = self._progress[task.task_id]
        if p.answered or p.not_before > obs.now or (self.one_in_flight and p.in_flight):
            return False
        steps = self.steps(task.task_id, p)
        return bool(p.retry) or self.next_step(steps, p) is not None or (not p.in_flight and p.done >= len(steps))

    def next_step(self, steps: tuple[GoldStep, ...], p: Progress) -> int | None:
        """The gold step to issue next (None: none may be issued now): the next in gold order."""
        return p.issued if p.issued < len(steps) else None

    def act(self, obs: Observation, task: TaskView) -> Action:
        p = self._progress[task.task_id]
        steps = self.steps(task.task_id, p)
        following = None if p.retry else self.next_step(steps, p)
        if p.retry or following is not None:
            index = p.retry[0] if p.retry else following
            assert index is not None
            step = steps[index]
            scope = obs.schemas[task.task_id][step.tool].scope
            if self.follows_world and scope not in task.permissions:
                p.issued = p.done = len(steps)
                p.retry.clear()
                p.answered = True
                return Respond(task.task_id, f"I cannot finish this request: permission {scope} was revoked.", tuple(p.uses))
            if p.retry:
                p.retry.popleft()
            else:
                p.issued += 1
                p.started.add(index)
            self._refs[task.task_id] = index  # one call action per decision: the task names it
            return CallAction(task.task_id, step.tool, step.args, self.options.timeout_ms, tuple(p.uses[-1:]), task.task_id)
        p.answered = True
        return Respond(task.task_id, f"Done ({len(steps)} steps).", tuple(p.uses))

    def _learn_issued(self, obs: Observation) -> None:
        """Take in what became of the call actions taken since the last decision."""
        for task_id, outcome in obs.issued.items():
            index = self._refs.pop(task_id)
            p = self._progress[task_id]
            self._awake[task_id] = None
            if outcome.call_id is None:  # refused outright: count the step as answered
                p.done += 1
                p.finished.add(index)
                continue
            p.in_flight[outcome.call_id] = index
            self._owner[outcome.call_id] = task_id
            self.issued(outcome.call_id)

    def issued(self, call_id: str) -> None:
        """Hook for policies that keep their own view of pending calls."""

    def choose(self, obs: Observation, ready: list[TaskView]) -> TaskView:
        """Round-robin over ready tasks, starting after the last one served."""
        if len(ready) == 1:
            chosen = ready[0]
            self._cursor = (self._order.index(chosen.task_id) + 1) % len(self._order)
            return chosen
        order = self._order
        by_id = {t.task_id: t for t in ready}
        for k in range(len(order)):
            position = (self._cursor + k) % len(order)
            task = by_id.get(order[position])
            if task is not None:
                self._cursor = (position + 1) % len(order)
                return task
        raise AssertionError("choose() called with no ready task")

    def decide(self, obs: Observation) -> Decision:
        if obs.issued:
            self._learn_issued(obs)
        self._absorb(obs)
        actions: list[Action] = [Cancel(c) for c in self._cancels]
        self._cancels = []
        ready = self.ready_tasks(obs)
        if ready:
            chosen = self.choose(obs, ready)
            actions.append(self.act(obs, chosen))
            action = actions[-1]
            # a one-in-flight policy's chosen task waits for its call; an answer moves on to the next turn
            again = isinstance(action, Respond) or (not self.one_in_flight and self.ready(obs, chosen))
            more = len(ready) > 1 or again
        else:
            more = False
        if not actions:
            return Decision((), 0, self._sleep(obs), _NO_NOTE)
        # with nothing else ready, sleep right after acting instead of deciding once more to learn that
        think = self._constant_think
        if think is None:
            think = self._think.draw(self._rng)  # type: ignore[arg-type]
        return Decision(tuple(actions), think, None if more else self._sleep(obs), _NO_NOTE)

    def ready_tasks(self, obs: Observation) -> list[TaskView]:
        """The tasks that can act now, in the world's order: those of ``obs.tasks`` for which
        :meth:`ready` holds, checking only the tasks woken since they were last found not ready."""
        now = obs.now
        if self._timed:
            for task_id, at in list(self._timed.items()):
                if at <= now:
                    self._awake[task_id] = None
                    del self._timed[task_id]
        ready = []
        awake = self._awake
        for task_id in sorted(awake, key=self._position.__getitem__) if len(awake) > 1 else list(awake):
            task = self._views[task_id]
            if self.ready(obs, task):
                ready.append(task)
                continue
            del self._awake[task_id]
            p = self._progress[task_id]
            if p.not_before > now:
                self._timed[task_id] = p.not_before
        return ready

    def _sleep(self, obs: Observation) -> Wait:
        now = obs.now
        if self._latest_not_before <= now:  # no task waits for a time to retry
            return _WAIT_ANY
        wake = [p.not_before - now for p in self._progress.values() if p.not_before > now]
        return Wait((), min(wake) if wake else None)


class Interleave(GoldFollower):
    """One call in flight per task; round-robin over the tasks that can proceed."""

    name = "interleave"


class Sequential(GoldFollower):
    """One call at a time, one task after another: the blocking baseline."""

    name = "sequential"

    def ready_tasks(self, obs: Observation) -> list[TaskView]:
        """Only the first active task, and only while no call is in flight."""
        if self._owner:  # a call in flight (every in-flight call has its owner here)
            return []
        first = next((t for t in obs.tasks if t.status == "active"), None)
        return [first] if first is not None and super().ready(obs, first) else []

    def ready(self, obs: Observation, task: TaskView) -> bool:
        if any(p.in_flight for p in self._progress.values()):
            return False
        first = next((t for t in obs.tasks if t.status == "active"), None)
        return first is not None and first.task_id == task.task_id and super().ready(obs, task)


class CriticalPath(GoldFollower):
    """Like interleave, but the ready task with the longest expected remaining chain goes first."""

    name = "critical-path"

    def remaining_ms(self, task: TaskView) -> float:
        """The expected critical path of the task's work not yet issued (this turn's, then the later turns')."""
        assert self.ctx is not None
        p = self._progress[task.task_id]
        return self.ctx.oracle.remaining_ms(task.task_id, p.turn, p.epoch, p.issued)

    def choose(self, obs: Observation, ready: list[TaskView]) -> TaskView:
        best = max(self.remaining_ms(t) for t in ready)
        return next(t for t in ready if self.remaining_ms(t) == best)


class Parallel(CriticalPath):
    """Issues every ready step of every task: a step whose dependencies (its ``after``) have all
    been delivered, in gold order among the ready ones; the ready task with the longest expected
    remaining critical path first (as ``critical-path``), counting the steps not yet started."""

    name = "parallel"
    one_in_flight = False

    def next_step(self, steps: tuple[GoldStep, ...], p: Progress) -> int | None:
        return next((j for j in range(len(steps)) if j not in p.started and p.finished.issuperset(steps[j].after)), None)

    def remaining_ms(self, task: TaskView) -> float:
        assert self.ctx is not None
        p = self._progress[task.task_id]
        steps = self.steps(task.task_id, p)
        finish: dict[int, float] = {}
        for j, step in enumerate(steps):  # the partial order of the steps not started (started ones are under way)
            if j not in p.started:
                finish[j] = max((finish.get(i, 0.0) for i in step.after), default=0.0) + step.expected_ms
        later = self.ctx.oracle.remaining_ms(task.task_id, p.turn, p.epoch, len(steps))
        return max(finish.values(), default=0.0) + later


class Eager(GoldFollower):
    """Issues a task's next call without waiting for the previous one's result."""

    name = "eager"
    faulty = "faulty: does not wait for results"  # plots and reports label it so
    one_in_flight = False


class Neglectful(Interleave):
    """Starves one task: the last task in world order is served only while no other task has a
    call in flight (AsyncTool's task neglect; no violation, a high ``neglect_ms``)."""

    name = "neglectful"

    def ready(self, obs: Observation, task: TaskView) -> bool:
        if self._order and task.task_id == self._order[-1] and len(self._order) > 1:
            if any(p.in_flight for tid, p in self._progress.items() if tid != task.task_id):
                return False
        return super().ready(obs, task)


class Confused(Interleave):
    """Now and then sends a call to another task's tool (AsyncTool's tool confusion): every
    third call is named for the next task, in world order, that lacks the tool; the runtime
    refuses it (``wrong_task_tool``) and the policy then issues the step for the right task."""

    name = "confused"
    EVERY: ClassVar[int] = 3

    def reset(self, ctx: PolicyContext) -> None:
        super().reset(ctx)
        self._calls = 0
        self._misrouted: set[str] = set()  # refs of the call actions sent to the wrong task

    def act(self, obs: Observation, task: TaskView) -> Action:
        action = super().act(obs, task)
        if not isinstance(action, CallAction):
            return action
        self._calls += 1
        if self._calls % self.EVERY:
            return action
        k = self._order.index(task.task_id)
        for other in self._order[k + 1:] + self._order[:k]:
            if action.tool not in obs.schemas.get(other, {}):
                self._misrouted.add(task.task_id)
                return CallAction(other, action.tool, action.args, action.timeout_ms, (), task.task_id)
        return action

    def _learn_issued(self, obs: Observation) -> None:
        rest = {}
        for ref, outcome in obs.issued.items():
            misrouted = ref in self._misrouted
            self._misrouted.discard(ref)
            if misrouted and outcome.call_id is None:
                self._progress[ref].retry.append(self._refs.pop(ref))  # issue the step again, for the right task
            else:
                rest[ref] = outcome
        super()._learn_issued(evolve(obs, issued=rest))


class Unbound(GoldFollower):
    """Ignores correlation ids: each delivery is taken as the answer to the oldest pending call."""

    name = "unbound"
    faulty = "faulty: ignores call ids"

    def reset(self, ctx: PolicyContext) -> None:
        super().reset(ctx)
        self._fifo: deque[str] = deque()

    def issued(self, call_id: str) -> None:
        self._fifo.append(call_id)

    def on_delivery(self, obs: Observation, call_id: str) -> None:
        while self._fifo and self._fifo[0] not in self._owner:
            self._fifo.popleft()
        if self._fifo:
            self.bind(obs, call_id, self._fifo.popleft())


class Oblivious(GoldFollower):
    """Ignores cancellations, amendments and revocations: follows the original gold path regardless."""

    name = "oblivious"
    faulty = "faulty: ignores world events"
    follows_world = False
