"""The ``external`` policy: the decisions of an outside agent, read back from its trace.

A run driven by an outside agent (the Gymnasium environment, the MCP server) records each
submission in its ``decide`` event (``note.submitted``). Replaying the trace runs this policy,
which reads the same submissions into the same decisions in the same order: the run replays
byte for byte without the agent. Run on its own (``simtool run --policy external``) it has
no agent to ask, and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from attrs import evolve, field, frozen

from simtool.errors import SimtoolError
from simtool.external.actions import read_submission
from simtool.external.think import ThinkModel, parse_think
from simtool.options import one_of
from simtool.policy import Decision, Observation, Policy

__all__ = ["ExternalAgent", "EXTERNAL", "submission_note", "agent_options"]

EXTERNAL = "external"


def _think_model(_instance: Any, attribute: Any, value: Any) -> None:
    """Validator: the value is a think model (whole ms per decision, or the three figures)."""
    parse_think(value, f"policy.{attribute.name}")


@frozen
class ExternalOptions:
    """``driver``: what drove the run (env, mcp). ``think``: the declared think model."""

    driver: str = field(default="env", validator=one_of(("env", "mcp", "script")))
    think: Any = field(factory=lambda: {"fixed_ms": 0, "ms_per_input_token": 0.0, "ms_per_output_token": 0.0},
                       validator=_think_model)
    mode: str | None = None  # the MCP server's mode (handle | blocking); None for the env


def agent_options(agent: Mapping[str, Any]) -> dict[str, Any]:
    """The policy options of an external agent's header mapping (its name left out)."""
    return {k: v for k, v in agent.items() if k != "name"}


def submission_note(submitted: Any) -> dict[str, Any]:
    """The ``note`` a decide event carries for one submission."""
    return {"submitted": submitted}


class ExternalAgent(Policy):
    """Decisions submitted by an outside agent, replayed in order from a trace's decide events."""

    name: ClassVar[str] = EXTERNAL
    Options: ClassVar[type] = ExternalOptions

    def __init__(self, options: Mapping[str, Any] | None = None, submissions: Iterable[Any] | None = None) -> None:
        super().__init__(options)
        self.think: ThinkModel = parse_think(self.options.think, "policy.think")
        self._submissions = list(submissions) if submissions is not None else None
        self._next = 0

    @classmethod
    def from_events(cls, options: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> ExternalAgent:
        """The policy that replays the submissions recorded in a trace's decide events."""
        subs = [(e.get("note") or {}).get("submitted") for e in events if e.get("kind") == "decide"]
        return cls(options, subs)

    def decide(self, obs: Observation) -> Decision:
        if self._submissions is None:
            raise SimtoolError("the external policy's decisions come from an outside agent (simtool.env, simtool serve): "
                               "replay one of their traces with `simtool replay TRACE`")
        if self._next >= len(self._submissions):
            raise SimtoolError(f"the trace records {len(self._submissions)} decisions and the run asks for one more: "
                               "the trace does not belong to this version of simtool")
        submitted = self._submissions[self._next]
        self._next += 1
        return evolve(read_submission(submitted, self.think), note=submission_note(submitted))

    @staticmethod
    def summary(submissions: int) -> dict[str, Any]:
        """The end event's summary of a run with ``submissions`` decisions."""
        return {"submissions": submissions}

    def close(self) -> dict[str, Any]:
        return self.summary(self._next)
