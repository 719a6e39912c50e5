"""BFCL multi-turn entries as simtool tasks (the task format of a world YAML's ``tasks:``).

One entry becomes one task; each of its turns becomes a sub-task:

- ``request``: the turn's user message(s), joined by a blank line;
- ``gold``: the turn's call strings from ``possible_answer`` (checked against our tool
  schemas when the world is parsed);
- ``services``: the entry's ``involved_classes``; ``initial_config``: the entry's scenarios, each made explicit by its service
  (``Service.explicit_scenario``: a suite stores tasks as canonical JSON, whose sorted keys
  must not change what a scenario means; e.g. GorillaFileSystem keeps only the first
  top-level folder, the root the reference uses).

The gold state after each turn is not stored: the engine computes it at ``respond`` by
replaying the gold path on fresh services (``simtool.gold.GoldBook.expectation``).

Turns that BFCL leaves without a call or without words:

- empty gold (the user asks for something no tool does, e.g. an invoice for a cancelled
  booking): kept, with gold ``[]``. The right behaviour is to call nothing and answer the
  user; the sub-task passes when the state is unchanged, so an agent that makes a
  state-changing call anyway fails it.
- no user message (BFCL's "missing function" turns, where a tool is added instead of a
  question being asked; none in the base category): the request becomes
  ``MISSING_REQUEST``, so the sub-task stays a turn of its own and the gold path keeps its
  shape. ``importable`` rejects a turn that has neither words nor gold: there is nothing to do.

An entry's ``excluded_function`` (tools BFCL hides from the model for that entry) is kept
under ``source.excluded_tools``: the engine gives a task every tool of its services, so a
scripted policy is unaffected; an LLM front end may hide them.

The task's ``domain`` is its category, the one of the twelve (``worlds.bfcl.categories``)
that best describes its user's goal: the class that serves most of its turns, ties decided
by a table (``docs/bfcl-categories.md``). ``source.anchor`` keeps the class BFCL built the
entry around, the first class on its ``path`` (entries 0-49 filesystem, 50-99 vehicle,
100-149 trading, 150-199 travel).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from simtool.errors import SimtoolError, SpecError
from simtool.registry import service_class
from simtool.world import TaskSpec, parse_world
from simtool.yamlspec import Located
from worlds.bfcl.categories import anchor_class, category_of
from worlds.bfcl.corpus import data_dir, read_answers, read_entries

__all__ = [
    "MISSING_REQUEST",
    "task_id_of",
    "anchor_class",
    "import_entry",
    "import_corpus",
    "importable",
    "check_task",
]

MISSING_REQUEST = "(no new request: continue with the tools you now have)"
PREFIX = "bfcl-"


def task_id_of(entry_id: str) -> str:
    """``multi_turn_base_12`` -> ``bfcl-12`` (other categories keep their own name: ``bfcl-multi_turn_long_context_3``)."""
    head, _, number = entry_id.rpartition("_")
    if head == "multi_turn_base" and number.isdigit():
        return PREFIX + number
    return PREFIX + entry_id


def _request(messages: Iterable[Mapping[str, Any]]) -> str:
    texts = [str(m.get("content") or "").strip() for m in messages if m.get("role", "user") == "user"]
    text = "\n\n".join(t for t in texts if t)
    return text or MISSING_REQUEST


def _explicit(class_name: str, scenario: Any) -> Any:
    """The scenario as its service states it outright; an unknown class's as it is (``importable`` says why)."""
    try:
        service = service_class(class_name)
    except SimtoolError:
        return scenario
    return service.explicit_scenario(scenario) if isinstance(scenario, Mapping) else scenario


def import_entry(entry: Mapping[str, Any], gold: list[list[str]]) -> dict[str, Any]:
    """One BFCL entry and its gold path as a task mapping (world YAML task format)."""
    questions = list(entry["question"])
    if len(questions) != len(gold):
        raise SpecError(
            f"entry {entry['id']}: {len(questions)} question turns but {len(gold)} gold turns",
            key=entry["id"], expected=str(len(questions)), found=len(gold),
        )
    anchor = anchor_class(entry)
    turns = [{"request": _request(q), "gold": list(g)} for q, g in zip(questions, gold)]
    first = turns[0]["request"]
    return {
        "id": task_id_of(entry["id"]),
        "title": first if len(first) <= 80 else first[:77].rstrip() + "...",
        "domain": category_of(entry, gold),
        "source": {
            "corpus": "bfcl",
            "entry": entry["id"],
            "anchor": anchor,
            "excluded_tools": list(entry.get("excluded_function") or []),
        },
        "services": list(entry["involved_classes"]),
        # scenarios only for involved classes: the reference instantiates no other class
        # (entry multi_turn_base_96 carries a TravelAPI scenario but involves only VehicleControlAPI)
        "initial_config": {k: _explicit(k, v) for k, v in (entry.get("initial_config") or {}).items() if k in entry["involved_classes"]},
        "turns": turns,
    }


def check_task(task: Mapping[str, Any]) -> TaskSpec:
    """Parse one task as the engine will (services known, gold calls fit the schemas); SpecError if not."""
    world = parse_world({"name": "check", "tasks": [dict(task)]}, Located(f"<task {task.get('id')}>", {}))
    return world.tasks[0]


def importable(task: Mapping[str, Any]) -> str | None:
    """Why a task cannot be used in a suite, or None when it can.

    A task is usable when the engine accepts it (its services are installed, every gold call
    names a tool of its services and fits that tool's schema) and every turn has a request
    or a gold call.
    """
    for i, turn in enumerate(task["turns"]):
        if turn["request"] == MISSING_REQUEST and not turn["gold"]:
            return f"turn {i} has neither a request nor gold calls"
    try:
        check_task(task)
    except SimtoolError as exc:
        return str(exc)
    return None


def import_corpus(folder: str | Path | None = None) -> list[dict[str, Any]]:
    """Every entry of the corpus in ``folder`` (else ``$SIMTOOL_BFCL_DATA``) as a task, in file order."""
    where = data_dir(folder)
    if where is None:
        raise SpecError("no BFCL corpus given: pass its folder or set SIMTOOL_BFCL_DATA", key="bfcl", expected="a folder holding BFCL_v4_multi_turn_base.json", found=None)
    entries = read_entries(where)
    answers = read_answers(where)
    out = []
    for entry in entries:
        if entry["id"] not in answers:
            raise SpecError(f"entry {entry['id']} has no gold path in possible_answer", file=str(where), key=entry["id"])
        out.append(import_entry(entry, answers[entry["id"]]))
    return out
