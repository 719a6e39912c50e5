"""Policy plug-ins for the checker's tests: each breaks the policy contract in exactly one way
(its docstring says which); ``Interleave`` itself is the well-formed one."""

from __future__ import annotations

import random
from typing import Any

import attrs

from policies.scripted import Interleave
from simtool.options import at_least
from simtool.policy import CallAction, Cancel, Decision, Observation, Policy, Respond, Wait


class _Once(Interleave):
    """Interleave whose first decision is replaced by ``broken(obs, decision)``."""

    def broken(self, obs: Observation, decision: Decision) -> Any:
        raise NotImplementedError

    def decide(self, obs: Observation) -> Any:
        decision = super().decide(obs)
        return self.broken(obs, decision) if obs.decision == 0 else decision


class NotAPolicy:
    """Not a Policy subclass."""

    name = "not-a-policy"


class NoDecide(Policy):
    """Never implements decide."""

    name = "no-decide"


class OtherName(Interleave):
    """Registered under a key other than its name."""

    name = "other-name"


class PlainOptions(Interleave):
    """Options is a plain class, not an attrs class."""

    name = "plain-options"

    class Options:
        think = 0


@attrs.frozen
class _Refused:
    think: Any = 0
    depth: int = attrs.field(default=0, validator=at_least(1))


class RefusedDefaults(Interleave):
    """Its own default options fail its own validator."""

    name = "refused-defaults"
    Options = _Refused


class ReturnsMapping(_Once):
    """decide returns a dict, not a Decision."""

    name = "returns-mapping"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        return {"actions": decision.actions, "think_ms": decision.think_ms}


class FloatThink(_Once):
    """think_ms is a float."""

    name = "float-think"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        return attrs.evolve(decision, think_ms=2.5)


class UnknownAction(_Once):
    """An action of a type the runtime does not know."""

    name = "unknown-action"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        return attrs.evolve(decision, actions=(*decision.actions, ("call", "t1")))


class UnknownTask(_Once):
    """A call for a task the run does not have."""

    name = "unknown-task"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        return attrs.evolve(decision, actions=(*decision.actions, CallAction("no-such-task", "list_doors")))


class UnknownCancel(_Once):
    """A Cancel naming a call id the run never issued."""

    name = "unknown-cancel"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        return attrs.evolve(decision, actions=(*decision.actions, Cancel("c999")))


class UsesUnknownCall(_Once):
    """A call that says it uses the result of a call id never issued."""

    name = "uses-unknown-call"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        first = decision.actions[0]
        return attrs.evolve(decision, actions=(attrs.evolve(first, uses=("c404",)), *decision.actions[1:]))


class ZeroWait(_Once):
    """A Wait with timeout_ms 0."""

    name = "zero-wait"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        return attrs.evolve(decision, wait=Wait((), 0))


class MappingReads(Interleave):
    """Reads its options as a mapping, the way policies did before options were records."""

    name = "mapping-reads"

    def decide(self, obs: Observation) -> Decision:
        if self.options["max_retries"] > 5:
            return Decision()
        return super().decide(obs)


class BadSummary(Interleave):
    """close() returns a list."""

    name = "bad-summary"

    def close(self) -> Any:
        return ["done"]


class GlobalRandom(Interleave):
    """Draws its think time from the random module's global stream."""

    name = "global-random"

    def decide(self, obs: Observation) -> Decision:
        decision = super().decide(obs)
        return attrs.evolve(decision, think_ms=random.randrange(1, 50)) if decision.actions else decision


class SetOrder(Interleave):
    """Picks the next task by iterating a set of task ids, whose order PYTHONHASHSEED changes."""

    name = "set-order"

    def choose(self, obs: Observation, ready: list) -> Any:
        chosen = next(iter({t.task_id for t in ready}))
        return next(t for t in ready if t.task_id == chosen)


class WaitNumber(_Once):
    """wait is a number of ms instead of a Wait."""

    name = "wait-number"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        return attrs.evolve(decision, wait=100)


class RespondUnknownTask(_Once):
    """Answers a task the run does not have."""

    name = "respond-unknown-task"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        return attrs.evolve(decision, actions=(*decision.actions, Respond("no-such-task", "done")))


class NoteNotMapping(_Once):
    """note is a string."""

    name = "note-not-mapping"

    def broken(self, obs: Observation, decision: Decision) -> Any:
        return attrs.evolve(decision, note="thinking hard")


class Polls(Policy):
    """Keeps the contract, but polls every ms and never calls: the run ends at max_decisions."""

    name = "polls"

    def decide(self, obs: Observation) -> Decision:
        return Decision(wait=Wait((), 1))


class SleepsForever(Policy):
    """Keeps the contract, but sleeps with nothing in flight while its tasks wait: the run stalls."""

    name = "sleeps-forever"

    def decide(self, obs: Observation) -> Decision:
        return Decision(wait=Wait())


class SharedRef(Policy):
    """Two call actions of one decision with the same ref."""

    name = "shared-ref"

    def decide(self, obs: Observation) -> Decision:
        if obs.decision > 0:
            return Decision(wait=Wait())
        task = obs.tasks[0].task_id
        call = CallAction(task, next(iter(obs.schemas[task])), {}, ref="mine")
        return Decision((call, call), 0, Wait())
