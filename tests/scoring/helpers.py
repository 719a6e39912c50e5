"""Running the crafted worlds and scoring them; a scripted test policy for hand-made histories."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from simtool.policy import Decision, Observation, Policy, Wait
from simtool.run import run, run_source
from simtool.scoring import History, history_of, score_trace, trace_from_lines

WORLDS = Path(__file__).with_name("worlds")
INSTANT = ("world.latency.scale=0",)


def world_path(name: str) -> str:
    return str(WORLDS / f"{name}.yaml")


def score_world(name: str, policy: str, seed: int, overrides: Sequence[str] = ()) -> dict[str, Any]:
    result = run_source(world_path(name), policy, seed, tuple(overrides))
    return score_trace(trace_from_lines(result.lines))


def nonzero(violations: dict[str, int]) -> dict[str, int]:
    return {name: count for name, count in violations.items() if count}


class Script(Policy):
    """Returns the given decisions in order (a callable gets the observation); then waits for anything."""

    name = "script"

    def __init__(self, steps: Sequence[Decision | Callable[[Observation], Decision]]) -> None:
        super().__init__({})
        self.steps = list(steps)

    def decide(self, obs: Observation) -> Decision:
        if not self.steps:
            return Decision((), 0, Wait())
        step = self.steps.pop(0)
        return step(obs) if callable(step) else step


def ticket_task(task_id: str, turns: Sequence[Sequence[str]], *, counter: int = 1, user: str | None = "ana",
                queue: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": task_id,
        "services": ["TicketAPI"],
        "initial_config": {"TicketAPI": {"current_user": user, "ticket_counter": counter, "ticket_queue": queue or []}},
        "turns": [{"request": f"{task_id} turn {i}", "gold": list(g)} for i, g in enumerate(turns)],
    }


def world(tasks: list[dict[str, Any]], *, request: Any = 100, service: Any = 0, response: Any = 100, **extra: Any) -> dict[str, Any]:
    return {"name": "scripted", "tasks": tasks, "latency": {"default": {"request": request, "service": service, "response": response}}, **extra}


def scripted_history(world_spec: dict[str, Any], steps: Sequence[Any], seed: int = 0) -> History:
    result = run({"world": world_spec, "policy": {"name": "script"}}, seed, policy=Script(steps))
    return history_of(trace_from_lines(result.lines))
