"""Replay one class's share of BFCL gold paths, for entries that mix it with unfinished classes.

``replay_class`` runs only the gold calls a given service owns (the classes are independent
in the reference, so the others' calls cannot change its state) and ``class_differences``
compares those calls' results and the class's per-turn state with ``reference_0_99.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simtool.callstring import parse_call
from simtool.service import Service
from worlds.bfcl.corpus import read_answers, read_entries, read_jsonl
from worlds.bfcl.gold import render_result

__all__ = ["reference_cases", "replay_class", "class_differences", "schema_differences"]

_BFCL_TYPES = {"dict": "object", "float": "number"}  # BFCL's spelling -> tools.yaml's


def _as_json(text: str) -> Any:
    """A result text as a JSON value where it parses (dict results), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def reference_cases(bfcl_dir: Path, class_name: str) -> list[tuple[dict[str, Any], list[list[str]], dict[str, Any]]]:
    """(entry, gold, reference line) for every reference entry that involves ``class_name``."""
    entries = {e["id"]: e for e in read_entries(bfcl_dir)}
    answers = read_answers(bfcl_dir)
    return [
        (entries[ref["id"]], answers[ref["id"]], ref)
        for ref in read_jsonl(bfcl_dir / "reference_0_99.jsonl")
        if class_name in ref["involved_classes"]
    ]


def replay_class(service_type: type[Service], entry: Mapping[str, Any], gold: list[list[str]]) -> list[dict[str, Any]]:
    """Per turn: ``{"calls": [(call, result text)], "state": state}`` for this class only."""
    service = service_type()
    scenario = (entry.get("initial_config") or {}).get(service_type.name) or {}
    service.load_scenario(json.loads(json.dumps(scenario)))
    schemas = service_type.schemas()
    turns = []
    for turn in gold:
        calls = []
        for text in turn:
            name = text.split("(", 1)[0].strip()
            if name in schemas:
                _, args = parse_call(text, schemas[name].param_names)
                calls.append((text, render_result(service.invoke(name, args).value)))
        turns.append({"calls": calls, "state": json.loads(json.dumps(service.state()))})
    return turns


def class_differences(service_type: type[Service], entry: Mapping[str, Any], gold: list[list[str]], ref: Mapping[str, Any]) -> list[str]:
    """Differences in this class's results and states from the reference line (empty when equal)."""
    name = service_type.name
    out: list[str] = []
    for t, (mine, theirs) in enumerate(zip(replay_class(service_type, entry, gold), ref["turns"], strict=True)):
        their_calls = [(c["call"], c["result"]) for c in theirs["calls"] if c["class"] == name]
        if [c for c, _ in mine["calls"]] != [c for c, _ in their_calls]:
            out.append(f"{ref['id']} turn {t}: calls {mine['calls']} != reference {their_calls}")
            continue
        for (call, a), (_, b) in zip(mine["calls"], their_calls):
            if _as_json(a) != _as_json(b):
                out.append(f"{ref['id']} turn {t} {call}: result {a!r} != reference {b!r}")
        if mine["state"] != theirs["state"].get(name):
            out.append(f"{ref['id']} turn {t} state: {json.dumps(mine['state'])[:400]} != reference {json.dumps(theirs['state'].get(name))[:400]}")
    return out


def schema_differences(service_type: type[Service], func_doc: Path) -> list[str]:
    """How ``service_type``'s tools.yaml disagrees with a BFCL func doc on names, parameters,
    their order, types, required flags and defaults (empty when it agrees)."""
    docs = {d["name"]: d["parameters"] for d in read_jsonl(func_doc)}
    ours = service_type.schemas()
    out = [f"tool sets differ: only ours {sorted(set(ours) - set(docs))}, only BFCL {sorted(set(docs) - set(ours))}"] if set(ours) != set(docs) else []
    for tool in sorted(set(ours) & set(docs)):
        props, required = docs[tool]["properties"], set(docs[tool].get("required", []))
        params = ours[tool].params
        if [p.name for p in params] != list(props):
            out.append(f"{tool}: parameters {[p.name for p in params]} != BFCL {list(props)}")
            continue
        for p in params:
            doc = props[p.name]
            want_type = _BFCL_TYPES.get(doc["type"], doc["type"])
            if p.type != want_type:
                out.append(f"{tool}.{p.name}: type {p.type} != BFCL {want_type}")
            if doc.get("items") and p.items != _BFCL_TYPES.get(doc["items"]["type"], doc["items"]["type"]):
                out.append(f"{tool}.{p.name}: items {p.items} != BFCL {doc['items']}")
            if p.required != (p.name in required):
                out.append(f"{tool}.{p.name}: required {p.required} != BFCL {p.name in required}")
            if p.has_default != ("default" in doc) or (p.has_default and p.default != doc["default"]):
                out.append(f"{tool}.{p.name}: default {p.default!r} != BFCL {doc.get('default', '(none)')!r}")
    return out


def gold_refusals(service_type: type[Service], bfcl_dir: Path) -> list[tuple[str, str, str]]:
    """(entry id, call, result) of every refusal or failure when the gold paths of the entries
    involving ``service_type`` replay through it alone: entries with no reference lines should
    at least run clean (a wrong seeded draw turns a later call into a "not found" refusal)."""
    entries = [e for e in read_entries(bfcl_dir) if service_type.name in e["involved_classes"]]
    assert entries, f"no BFCL entry involves {service_type.name}"
    answers = read_answers(bfcl_dir)
    return [
        (entry["id"], call, result)
        for entry in entries
        for turn in replay_class(service_type, entry, answers[entry["id"]])
        for call, result in turn["calls"]
        if result.startswith("Error during execution") or '"error"' in result
    ]
