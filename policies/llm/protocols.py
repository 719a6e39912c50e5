"""The two ways the model sees the run, compared on the same seeds.

- ``managed``: each decision is one fresh prompt, a state summary rendered from the
  observation. A reply that starts calls then sleeps until something happens; a reply with
  only answers or cancellations is asked again at once.
- ``transcript`` (AsyncTool's setting): one growing chat. A call answers at once
  ``pending, call_id X`` and what it asks of the task's next calls while in flight
  (``simtool.render.order_note``); results, timeouts and the world's events arrive later as messages
  naming the call id and the task; ``wait`` answers when something happened. A reply without
  ``wait`` is asked again at once (with its answers).
- ``sync`` (ordinary tool calling, the baseline of every sync-versus-async comparison): one
  growing chat in which every domain call is answered with its result. The reply's calls go
  out together in one decision (they run concurrently, as parallel tool calls do) and the
  agent is blocked until all of them have ended: the clock charges their latencies, and the
  next prompt answers every tool use with its result (or its error, timeout or cancellation).
  While it is blocked the policy only waits (decisions without a model request and without
  think time); world events seen meanwhile are kept for that next prompt.
"""

from __future__ import annotations

from policies.llm.conversation import AssistantTurn, Prompt, Reply, ToolAnswer, ToolDef, Turn, UserTurn
from policies.llm.reading import Answer, Plan, refusal_reason
from policies.llm.render import event_lines, order_note, state_summary, value_text
from simtool.policy import CallAction, CallView, Event, Observation, Wait

__all__ = ["Protocol", "Managed", "Transcript", "Sync", "make_protocol"]

NUDGE = ("Your last reply made no usable tool call. Reply with tool calls: a domain tool (with task_id), "
         "respond, cancel, or wait.")


class Protocol:
    name = ""

    def __init__(self, system: str, tools: tuple[ToolDef, ...]) -> None:
        self.system = system
        self.tools = tools

    def prompt(self, obs: Observation) -> Prompt:
        raise NotImplementedError

    def absorb(self, reply: Reply, plan: Plan, obs: Observation) -> None:
        """Take in the model's reply (the transcript keeps it)."""

    def blocked_on(self, obs: Observation) -> tuple[str, ...]:
        """The call ids the agent still waits for before its next model request (none: ask now)."""
        return ()

    def wait_after(self, plan: Plan) -> Wait | None:
        raise NotImplementedError


class Managed(Protocol):
    name = "managed"

    def prompt(self, obs: Observation) -> Prompt:
        return Prompt(self.system, (UserTurn(state_summary(obs)),), self.tools)

    def wait_after(self, plan: Plan) -> Wait | None:
        if plan.wait is not None:
            return plan.wait
        # a started call always ends (or is refused), which wakes the policy
        return Wait() if any(isinstance(a, CallAction) for a in plan.actions) else None


class Transcript(Protocol):
    name = "transcript"

    def __init__(self, system: str, tools: tuple[ToolDef, ...]) -> None:
        super().__init__(system, tools)
        self.turns: list[Turn] = []
        self._answers: list[Answer] = []
        self._nudge = False
        self._obs: Observation | None = None

    def prompt(self, obs: Observation) -> Prompt:
        self._learn_issued(obs)
        timed_out = any(e.kind == "wait_timeout" for e in obs.events)
        answers = tuple(ToolAnswer(a.use.id, self._answer_text(a, obs, timed_out)) for a in self._answers)
        # refusals of malformed output were answered already, in the tool answers or the nudge
        lines = event_lines(obs, (e for e in obs.events if e.kind != "rejected"))
        return self._user_turn(obs, lines, answers)

    def _user_turn(self, obs: Observation, lines: list[str], answers: tuple[ToolAnswer, ...]) -> Prompt:
        """Close the turn: the task list on the first, the nudge, the answers and news; the prompt."""
        if not self.turns:
            names = ", ".join(t.task_id for t in obs.tasks)
            lines.insert(0, f"You have {len(obs.tasks)} tasks: {names}. Their requests:")
        if self._nudge:
            lines.append(NUDGE)
        if not lines and not answers:
            lines.append(f"[{obs.now} ms] nothing new")
        self.turns.append(UserTurn("\n".join(lines), answers))
        self._answers, self._nudge = [], False
        return Prompt(self.system, tuple(self.turns), self.tools)

    @staticmethod
    def _answer_text(answer: Answer, obs: Observation, timed_out: bool) -> str:
        if answer.text is not None:
            return answer.text
        if answer.action is None:  # a wait
            return f"woke at {obs.now} ms" + (" (the wait timed out)" if timed_out else "")
        return "error: the call was not made"  # the decision never took effect

    def absorb(self, reply: Reply, plan: Plan, obs: Observation) -> None:
        self.turns.append(AssistantTurn(reply.text, reply.uses))
        self._answers = list(plan.answers)
        self._nudge = not plan.actions and plan.wait is None
        self._obs = obs

    def _learn_issued(self, obs: Observation) -> None:
        """Answer each call of the last reply with the call id it got, or why it was refused."""
        for answer in self._answers:
            action = answer.action
            if action is None or answer.text is not None or action.ref not in obs.issued:
                continue
            call_id = obs.issued[action.ref].call_id
            if call_id is not None:
                schema = (obs.schemas.get(action.task_id) or {}).get(action.tool)
                note = f"; it {order_note(schema)}" if schema is not None else ""
                answer.text = f"pending, call_id {call_id}{note}"
            else:
                reason = refusal_reason(self._obs, action) if self._obs is not None else "refused"
                answer.text = f"error: refused, no call was made: {reason}"

    def wait_after(self, plan: Plan) -> Wait | None:
        return plan.wait


class Sync(Transcript):
    name = "sync"

    def __init__(self, system: str, tools: tuple[ToolDef, ...]) -> None:
        super().__init__(system, tools)
        self._held: list[str] = []  # event lines seen while blocked, for the next prompt
        self._inline: set[str] = set()  # call ids answered inline: their end events are not repeated

    def blocked_on(self, obs: Observation) -> tuple[str, ...]:
        self._learn_issued(obs)
        waiting = tuple(a.call_id for a in self._answers
                        if a.call_id is not None and obs.calls[a.call_id].status == "in_flight")
        if waiting:
            self._held.extend(event_lines(obs, self._news(obs)))
        return waiting

    def _news(self, obs: Observation) -> list[Event]:
        ids = {a.call_id for a in self._answers if a.call_id is not None} | self._inline
        return [e for e in obs.events if e.kind != "rejected" and not (e.call_id in ids and e.kind in _ENDS)]

    def _learn_issued(self, obs: Observation) -> None:
        for answer in self._answers:
            action = answer.action
            if action is None or answer.text is not None or answer.call_id is not None or action.ref not in obs.issued:
                continue
            call_id = obs.issued[action.ref].call_id
            if call_id is not None:
                answer.call_id = call_id
            else:
                reason = refusal_reason(self._obs, action) if self._obs is not None else "refused"
                answer.text = f"error: refused, no call was made: {reason}"

    def prompt(self, obs: Observation) -> Prompt:
        self._learn_issued(obs)
        timed_out = any(e.kind == "wait_timeout" for e in obs.events)
        answers = []
        for a in self._answers:
            if a.call_id is not None:
                text = result_text(obs.calls[a.call_id])
                self._inline.add(a.call_id)
            else:
                text = self._answer_text(a, obs, timed_out)
            answers.append(ToolAnswer(a.use.id, text))
        lines = self._held + event_lines(obs, self._news(obs))
        self._held = []
        return self._user_turn(obs, lines, tuple(answers))

    def wait_after(self, plan: Plan) -> Wait | None:
        if any(isinstance(a, CallAction) for a in plan.actions):
            return Wait()  # a started call always ends (or is refused), which wakes the agent
        return plan.wait


_ENDS = frozenset({"delivered", "timed_out", "cancelled"})


def result_text(view: CallView) -> str:
    """A call's outcome as a synchronous tool answers it: the result, or what ended it."""
    if view.status == "ok":
        return value_text(view.result)
    if view.status == "error":
        return f"error: {value_text(view.result)}"
    if view.status == "timeout":
        return f"error: the call timed out at {view.ended_at} ms"
    return f"error: the call was {view.status} at {view.ended_at} ms"


def make_protocol(name: str, system: str, tools: tuple[ToolDef, ...]) -> Protocol:
    return {"managed": Managed, "transcript": Transcript, "sync": Sync}[name](system, tools)
