"""Replay BFCL gold paths through simtool's services, in the shape of the reference's lines.

One line per entry: ``{"id", "involved_classes", "turns": [{"calls": [{"call", "class",
"result"}], "state": {ClassName: public state}}]}``. A dict result is rendered as
``json.dumps(result)`` (key order as built), anything else as ``str(result)``, as the
reference does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from simtool.callstring import parse_call
from simtool.registry import service_class
from simtool.service import Service

__all__ = ["instantiate", "replay_entry", "replay_corpus", "render_result"]


def instantiate(classes: Iterable[str], initial_config: Mapping[str, Any]) -> dict[str, Service]:
    """Fresh instances of ``classes``, each loaded with its scenario (``{}`` when absent)."""
    out: dict[str, Service] = {}
    for name in classes:
        instance = service_class(name)()
        instance.load_scenario(json.loads(json.dumps(initial_config.get(name) or {})))
        out[name] = instance
    return out


def render_result(value: Any) -> str:
    """As the reference renders results: a dict as JSON, falling back to ``str`` when it holds
    values JSON cannot encode (mpmath / Decimal numbers), anything else as ``str``."""
    if isinstance(value, dict):
        try:
            return json.dumps(value)
        except TypeError:
            return str(value)
    return str(value)


def tool_owner(services: Mapping[str, Service], tool: str) -> str | None:
    for name, instance in services.items():
        if tool in type(instance).schemas():
            return name
    return None


def replay_entry(entry: Mapping[str, Any], gold: list[list[str]]) -> dict[str, Any]:
    """Run one entry's gold path; return the reference-shaped line."""
    classes = list(entry["involved_classes"])
    services = instantiate(classes, entry.get("initial_config") or {})
    turns = []
    for turn_calls in gold:
        calls = []
        for text in turn_calls:
            name = text.split("(", 1)[0].strip()
            owner = tool_owner(services, name)
            if owner is None:
                calls.append({"call": text, "class": None, "result": f"Error during execution: unknown tool {name}"})
                continue
            schema = type(services[owner]).schemas()[name]
            _, args = parse_call(text, schema.param_names)
            result = services[owner].invoke(name, args)
            calls.append({"call": text, "class": owner, "result": render_result(result.value)})
        turns.append({"calls": calls, "state": {c: services[c].state() for c in classes if services[c].state()}})
    return {"id": entry["id"], "involved_classes": classes, "turns": turns}


def replay_corpus(entries: Iterable[Mapping[str, Any]], answers: Mapping[str, list[list[str]]]) -> Iterator[dict[str, Any]]:
    for entry in entries:
        yield replay_entry(entry, answers[entry["id"]])


def write_gold(folder: Path, out: Path, on_entry: Callable[[str, int], None] | None = None) -> int:
    """``simtool bfcl gold``: replay every entry of the corpus in ``folder`` into ``out``.

    ``on_entry(entry_id, total)`` is called after each entry is written (a progress bar)."""
    from worlds.bfcl.corpus import read_answers, read_entries

    entries = read_entries(folder)
    answers = read_answers(folder)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for line in replay_corpus(entries, answers):
            handle.write(json.dumps(line) + "\n")
            if on_entry is not None:
                on_entry(line["id"], len(entries))
    tmp.replace(out)
    return len(entries)
