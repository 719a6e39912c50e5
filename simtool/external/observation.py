"""An observation as plain JSON data, and back: what ``status`` gives a programmatic MCP client.

``observation_record(obs)`` is JSON-ready (tasks, calls, what is in flight, events, the refs'
outcomes); ``observation_from_record(record, schemas)`` rebuilds the
:class:`~simtool.policy.Observation` a :class:`~simtool.policy.Policy` decides on, so that an
agent written as a policy can run on the far side of the MCP server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from simtool.policy import CallView, Event, Issued, Observation, TaskView
from simtool.service import ToolSchema, normalize

__all__ = ["observation_record", "observation_from_record"]


def _plain(record: Any) -> dict[str, Any]:
    return normalize({f.name: getattr(record, f.name) for f in attrs.fields(type(record))})


def observation_record(obs: Observation) -> dict[str, Any]:
    """The observation as JSON data (schemas left out: the agent has them as tool definitions)."""
    return {
        "now": obs.now,
        "decision": obs.decision,
        "tasks": [_plain(t) for t in obs.tasks],
        "calls": {call_id: _plain(view) for call_id, view in obs.calls.items()},
        "in_flight": list(obs.in_flight),
        "events": [_plain(e) for e in obs.events],
        "issued": {ref: _plain(i) for ref, i in obs.issued.items()},
    }


def observation_from_record(record: Mapping[str, Any], schemas: Mapping[str, Mapping[str, ToolSchema]],
                            issued: Mapping[str, Issued] | None = None) -> Observation:
    """The :class:`Observation` a record describes; ``issued`` replaces the record's refs (a client
    that learned call ids from its own requests' answers passes them here)."""
    tasks = tuple(TaskView(**{**t, "tools": tuple(t["tools"]), "permissions": tuple(t["permissions"]),
                              "call_ids": tuple(t["call_ids"])}) for t in record["tasks"])
    calls = {call_id: CallView(**c) for call_id, c in record["calls"].items()}
    events = tuple(Event(**e) for e in record["events"])
    refs = issued if issued is not None else {ref: Issued(**i) for ref, i in record.get("issued", {}).items()}
    return Observation(now=record["now"], decision=record["decision"], tasks=tasks, calls=calls,
                       in_flight=tuple(record["in_flight"]), events=events, schemas=schemas, issued=dict(refs))
