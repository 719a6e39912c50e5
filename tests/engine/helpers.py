"""Small worlds and a scripted test policy for exercising the engine's call lifecycle."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from simtool.policy import Decision, Observation, Policy, Wait
from simtool.run import RunResult, run


def ticket_task(task_id: str, gold: Sequence[str], *, counter: int = 1, user: str | None = "ana", queue: list | None = None,
                turns: Sequence[Sequence[str]] | None = None) -> dict[str, Any]:
    turn_list = [list(g) for g in turns] if turns is not None else [list(gold)]
    return {
        "id": task_id,
        "services": ["TicketAPI"],
        "initial_config": {"TicketAPI": {"current_user": user, "ticket_counter": counter, "ticket_queue": queue or []}},
        "turns": [{"request": f"{task_id} turn {i}", "gold": g} for i, g in enumerate(turn_list)],
    }


def world(tasks: list[dict[str, Any]], *, request: Any = 100, service: Any = 0, response: Any = 100,
          tools: dict[str, dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    latency: dict[str, Any] = {"default": {"request": request, "service": service, "response": response}}
    if tools:
        latency["services"] = {"TicketAPI": {"tools": tools}}
    return {"name": "test", "tasks": tasks, "latency": latency, **extra}


class Script(Policy):
    """Returns the given decisions in order (a callable gets the observation); then waits for anything."""

    name = "script"

    def __init__(self, steps: Sequence[Decision | Callable[[Observation], Decision]]) -> None:
        super().__init__({})
        self.steps = list(steps)
        self.seen: list[Observation] = []

    def decide(self, obs: Observation) -> Decision:
        self.seen.append(obs)
        if not self.steps:
            return Decision((), 0, Wait())
        step = self.steps.pop(0)
        return step(obs) if callable(step) else step


def run_script(world_spec: dict[str, Any], steps: Sequence[Any], seed: int = 0) -> tuple[RunResult, list[dict[str, Any]], Script]:
    policy = Script(steps)
    result = run({"world": world_spec, "policy": {"name": "script"}}, seed, policy=policy)
    return result, [json.loads(line) for line in result.lines], policy


def of(events: list[dict[str, Any]], kind: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == kind and all(e.get(k) == v for k, v in match.items())]
