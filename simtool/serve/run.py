"""What each request to the MCP server does to the simulated run.

Every domain tool takes ``task_id`` plus its own arguments; ``wait``, ``cancel``, ``respond``
and ``status`` are the control tools. Two modes:

- ``handle`` (default; AsyncTool's setting): a domain call answers at once ``pending, call_id
  X``; results arrive through ``wait``.
- ``blocking``: a domain call answers with its result once the simulation delivers it; calls
  that arrive together (within ``batch_ms`` of wall time of each other) are issued in one
  decision and run concurrently, as parallel tool calls do.

Time: simulated time never follows the wall clock. It stands still while the agent thinks and
moves only at a barrier: the agent waits, or (blocking mode) every open request is blocked on
the simulation. Each request that acts (a call, a cancel, a respond, a wait) is one decision,
charged the declared think time: fixed per request, or from the tokens the agent read since
its last request and wrote in this one (estimated from characters). ``status`` only reads the
state: it is not a decision, costs no time and changes nothing. Every decision's submission is
recorded in the trace, in the order the server admitted the requests, so ``simtool replay``
reproduces the session byte for byte without the agent. Once the run is over, ``status``
reports how it ended (:class:`~simtool.external.outcome.Outcome`), not the last live state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
from attrs import frozen

from simtool.agent_tools import CONTROL_TOOLS, TASK_PARAM, AgentTool, domain_tools
from simtool.external.observation import observation_record
from simtool.external.session import AgentSession
from simtool.external.think import estimate_tokens
from simtool.policy import Event, Observation
from simtool.render import event_lines, state_summary, value_text
from simtool.trace import canonical

__all__ = ["Reply", "ServedRun", "STATUS_TOOL", "MODES"]

MODES = ("handle", "blocking")
STATUS_TOOL = AgentTool(
    "status",
    "Read the state without acting: every task with its current request and calls, what is in flight, and what "
    "happened since you last looked (status or wait). Costs no simulated time.",
    {"type": "object", "properties": {}, "required": []},
)
Progress = Callable[[int], Awaitable[None]]


@frozen
class Reply:
    """The text a request is answered with, and whether it reports an error."""

    text: str
    is_error: bool = False
    data: Any = None  # structured content (``status``: the observation as JSON data)


class ServedRun:
    """One simulated run answering an MCP client's requests (see the module's docs)."""

    def __init__(self, session: AgentSession, mode: str = "handle", *, tokens: bool = False, batch_ms: int = 50) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, found {mode!r}")
        self.session = session
        self.mode = mode
        self.tokens = tokens  # charge think time from estimated tokens instead of a fixed figure
        self.batch_s = batch_ms / 1000
        self.lock = asyncio.Lock()
        self.unseen: list[Event] = []  # events the agent has not been shown yet
        self.read_chars = 0  # characters the agent read since its last request
        obs = session.obs
        self.last: Observation | None = obs
        if obs is not None:
            self.unseen.extend(obs.events)
        schemas = obs.schemas if obs is not None else {}
        self.domain = domain_tools(schemas, reserved=(STATUS_TOOL.name,))
        self.domain_names = frozenset(t.name for t in self.domain)
        self._batch: list[tuple[str, dict[str, Any], asyncio.Future[Reply]]] = []
        self._batch_timer: asyncio.TimerHandle | None = None
        self._blocked: dict[str, asyncio.Future[Reply]] = {}

    # ------------------------------------------------------------------ tools
    def tools(self) -> tuple[AgentTool, ...]:
        """What ``tools/list`` shows: the domain tools, then wait, cancel, respond and status."""
        return (*self.domain, *CONTROL_TOOLS, STATUS_TOOL)

    # ------------------------------------------------------------------ requests
    async def request(self, name: str, arguments: Mapping[str, Any] | None, progress: Progress | None = None) -> Reply:
        """Answer one request (``tools/call``) in the order the server admitted it."""
        args = dict(arguments or {})
        if self.mode == "blocking" and name in self.domain_names:
            return await self._blocking_call(name, args, progress)
        async with self.lock:
            return self._answer(name, args)

    def _answer(self, name: str, args: dict[str, Any]) -> Reply:
        if name == STATUS_TOOL.name:
            return self._shown(self._status())
        if self.session.over:
            return self._over()
        if name == "wait":
            return self._shown(self._wait(args))
        if name == "cancel":
            return self._shown(self._cancel(args))
        if name == "respond":
            return self._shown(self._respond(args))
        return self._shown(self._call(name, args))

    # ------------------------------------------------------------------ one decision
    def _submit(self, actions: list[dict[str, Any]], wrote: Any) -> Observation | None:
        """One decision: the actions, charged the declared think time; the next observation."""
        body: dict[str, Any] = {"actions": actions}
        if self.tokens:
            body["usage"] = {"input_tokens": estimate_tokens("x" * self.read_chars), "output_tokens": estimate_tokens(canonical(wrote))}
        self.read_chars = 0
        obs = self.session.submit(body)
        self.last = obs if obs is not None else self.last
        if obs is not None:
            self.unseen.extend(obs.events)
        return obs

    def _shown(self, reply: Reply) -> Reply:
        self.read_chars += len(reply.text)
        return reply

    def _over(self) -> Reply:
        return Reply(f"The run is over ({self.session.end_reason}): nothing more can be done; `status` gives its final "
                     "figures. The trace is complete; score it with `simtool score`.", is_error=True)

    def _ended_text(self) -> str:
        return f" The run is over ({self.session.end_reason})." if self.session.over else ""

    def _call(self, name: str, args: dict[str, Any]) -> Reply:
        task = args.pop(TASK_PARAM, None)
        action = {"op": "call", "task": task, "tool": name, "args": args, "ref": "request"}
        obs = self._submit([action], {"tool": name, TASK_PARAM: task, **args})
        issued = obs.issued.get("request") if obs is not None else None
        if issued is not None and issued.call_id is not None:
            return Reply(f"pending, call_id {issued.call_id} (task {task}, {name})" + self._ended_text())
        if issued is not None:
            return Reply(f"refused: {issued.refused}: {issued.detail}" + self._ended_text(), is_error=True)
        if name not in self.domain_names:
            why = f"unknown_tool: no tool '{name}' (call status or list the tools)"
        elif not isinstance(task, str):
            why = f"{TASK_PARAM} must name the task this call is for, found {task!r}"
        else:
            why = self._rejection() or "the request was not acted on"
        return Reply(f"refused: {why}" + self._ended_text(), is_error=True)

    def _rejection(self) -> str | None:
        """The reason of the last refusal the agent was told of (a ``rejected`` event it has not seen)."""
        for event in reversed(self.unseen):
            if event.kind == "rejected":
                return f"{event.detail.get('reason')}: {event.detail.get('detail')}"
        return None

    def _wait(self, args: dict[str, Any]) -> Reply:
        ids = args.get("call_ids") or []
        ids = [ids] if isinstance(ids, str) else ids
        if not self._matching(ids):  # nothing unseen would end it: the simulation moves on
            self._submit([{"op": "wait", **args}], {"wait": args})
        return self._news()

    def _matching(self, ids: Any) -> bool:
        """Whether an event the agent has not seen would end this wait at once (the runtime's rule)."""
        if not isinstance(ids, list) or not ids:
            return bool(self.unseen)
        return any(e.call_id in ids if e.call_id is not None else e.kind != "subtask_started" for e in self.unseen)

    def _news(self) -> Reply:
        """What happened that the agent has not been shown, as text and as an observation record."""
        obs = self.last
        if obs is None:
            return Reply("The run has not started.")
        view = attrs.evolve(obs, events=tuple(self.unseen), issued={})
        lines = event_lines(obs, self.unseen)
        self.unseen = []
        text = "\n".join(lines) if lines else "Nothing has happened that needs you."
        return Reply(text + self._ended_text(), data=observation_record(view))

    def _cancel(self, args: dict[str, Any]) -> Reply:
        call_id = args.get("call_id")
        view = self.last.calls.get(call_id) if self.last is not None and isinstance(call_id, str) else None
        self._submit([{"op": "cancel", "call_id": call_id}], {"cancel": args})
        if not isinstance(call_id, str):
            return Reply(f"refused: cancel needs call_id as a string, found {call_id!r}", is_error=True)
        if view is None:
            return Reply(f"refused: no call '{call_id}'", is_error=True)
        if view.status == "in_flight":
            return Reply(f"cancelled {call_id}" + self._ended_text())
        return Reply(f"{call_id} had already ended ({view.status}): nothing to cancel" + self._ended_text())

    def _respond(self, args: dict[str, Any]) -> Reply:
        task_id, text = args.get(TASK_PARAM), args.get("text", "")
        known = {t.task_id: t for t in self.last.tasks} if self.last is not None else {}
        self._submit([{"op": "respond", "task": task_id, "text": text}], {"respond": args})
        if task_id not in known:
            return Reply(f"refused: no task {task_id!r}", is_error=True)
        if known[task_id].status != "active":
            return Reply(f"refused: task {task_id} is {known[task_id].status}", is_error=True)
        if self.last is not None and not self.session.over:
            now = next(t for t in self.last.tasks if t.task_id == task_id)
            if now.status == "active":
                return Reply(f"answered task {task_id}; its next request ({now.turn + 1}/{now.n_turns}): {now.request}")
        return Reply(f"answered task {task_id}; it is done." + self._ended_text())

    def _status(self) -> Reply:
        """The state with every event the agent has not been shown yet (they count as shown now);
        once the run is over, how it ended instead (the last live state is out of date by then)."""
        obs = self.last
        outcome = self.session.outcome
        if outcome is not None:
            news = event_lines(obs, self.unseen) if obs is not None else []
            self.unseen = []
            lines = [outcome.text()]
            if news:
                lines += ["Since you last looked:", *(f"- {line}" for line in news)]
            if self.session.path is not None:
                lines.append("The trace is complete; score it with `simtool score`.")
            return Reply("\n".join(lines), data=outcome.record())
        if obs is None:
            return Reply("The run has not started.")
        view = attrs.evolve(obs, events=tuple(self.unseen), issued={})
        self.unseen = []
        return Reply(state_summary(view) + self._ended_text(), data=observation_record(view))

    # ------------------------------------------------------------------ blocking mode
    async def _blocking_call(self, name: str, args: dict[str, Any], progress: Progress | None) -> Reply:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Reply] = loop.create_future()
        self._batch.append((name, args, future))
        if self._batch_timer is None:
            self._batch_timer = loop.call_later(self.batch_s, lambda: loop.create_task(self._issue_batch()))
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(future), timeout=1.0)
            except asyncio.TimeoutError:
                if progress is not None and self.last is not None:
                    await progress(self.last.now)

    async def _issue_batch(self) -> None:
        async with self.lock:
            batch, self._batch, self._batch_timer = self._batch, [], None
            if self.session.over:
                for _, _, future in batch:
                    future.set_result(self._over())
                return
            actions = []
            for index, (name, args, _) in enumerate(batch):
                task = args.pop(TASK_PARAM, None)
                actions.append({"op": "call", "task": task, "tool": name, "args": args, "ref": f"r{index}"})
            obs = self._submit(actions, actions)
            for index, (_, _, future) in enumerate(batch):
                issued = obs.issued.get(f"r{index}") if obs is not None else None
                if issued is None or issued.call_id is None:
                    why = f"{issued.refused}: {issued.detail}" if issued is not None else "the request was not acted on"
                    future.set_result(self._shown(Reply(f"refused: {why}", is_error=True)))
                else:
                    self._blocked[issued.call_id] = future
            self._settle()
            while self._blocked and not self._batch and not self.session.over:
                self._submit([{"op": "wait", "call_ids": list(self._blocked)}], {"wait": list(self._blocked)})
                self._settle()
            if self.session.over:
                for future in self._blocked.values():
                    future.set_result(self._shown(self._over()))
                self._blocked.clear()

    def _settle(self) -> None:
        """Answer every blocked call that has ended."""
        obs = self.last
        if obs is None:
            return
        for call_id in [c for c in self._blocked if c in obs.calls and obs.calls[c].status != "in_flight"]:
            view = obs.calls[call_id]
            self.unseen = [e for e in self.unseen if e.call_id != call_id or e.kind not in ("delivered", "timed_out", "cancelled")]
            body = value_text(view.result) if view.status in ("ok", "error") else f"{view.status} at {view.ended_at} ms"
            stale = " [stale: its request has changed since]" if view.stale else ""
            future = self._blocked.pop(call_id)
            future.set_result(self._shown(Reply(f"{call_id} {view.status}: {body}{stale}", is_error=view.status != "ok")))
