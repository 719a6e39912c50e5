"""Tasks we wrote for our own domains (records, datagen, strings, formats), and their checks.

Each domain folder holds a ``tasks.yaml``: ``tasks: [{id, title, services, initial_config?,
turns: [{request, gold: [call strings], expect?}]}]`` (1-4 turns a task), and optionally
``scenarios:``, a place for YAML anchors (``&crm``) that tasks reuse (``*crm``). ``expect`` is
checked after the turn's gold calls have run; it is the same in every domain:

- ``results``: ``{"<i>[.<path>][|len|keys]": value}``, the result of the turn's gold call
  ``i`` (0-based);
- ``state``: ``{"<Service>[.<path>][|len|keys]": value}``, ``Service.state()`` of one of the
  task's services after the turn.

``<path>`` is dot-separated steps, object keys or list indexes (digits); the step ``*``
stands for every item of a list (or value of an object) and makes the value found a list.
Suffixes:

- ``|len`` compares the length of the value found, ``|keys`` its sorted keys, ``|distinct``
  how many different items a list holds;
- ``|within: [low, high]``: every item (or the value itself, when it is not a list) lies
  between low and high inclusive (numbers, or strings such as ISO dates);
- ``|among: [...]``: every item (or the value) is one of the given values;
- ``|matches: "<regex>"``: every item (or the value) is a string the regex fully matches;
- ``|sorted: true``: the list is in ascending order (``false``: it is not).

These check a drawn value without knowing it, so a DataGenerator task's expectations hold
for every run seed. Other values compare as JSON, so tuples equal lists and YAML's integer
keys equal their strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simtool.errors import SpecError
from simtool.yamlspec import Located, load_yaml

__all__ = ["DOMAINS", "SUFFIXES", "authored_domains", "tasks_path", "load_authored_tasks", "check_expect", "lookup"]

DOMAINS = ("records", "datagen", "strings", "formats")
_FILE_KEYS = {"tasks", "scenarios"}
_TASK_KEYS = {"id", "title", "services", "initial_config", "turns"}
_TURN_KEYS = {"request", "gold", "expect"}
_EXPECT_KEYS = {"results", "state"}
MAX_TURNS = 4
SUFFIXES = ("len", "keys", "distinct", "within", "among", "matches", "sorted")


def authored_domains() -> list[str]:
    """The domains that have authored tasks, in a fixed order."""
    return list(DOMAINS)


def tasks_path(domain: str) -> Path:
    return Path(__file__).with_name(domain) / "tasks.yaml"


def _need(ok: bool, where: Located, path: tuple[Any, ...], message: str, expected: str, found: Any) -> None:
    if not ok:
        raise where.error(path, message, expected=expected, found=found)


def _check_turn(turn: Any, where: Located, path: tuple[Any, ...]) -> None:
    _need(isinstance(turn, Mapping), where, path, "a turn must be a mapping", "request/gold/expect", turn)
    unknown = sorted(set(turn) - _TURN_KEYS)
    _need(not unknown, where, path + tuple(unknown[:1]), "unknown turn key", "request/gold/expect", unknown[:1])
    _need(isinstance(turn.get("request"), str) and bool(turn.get("request")), where, path + ("request",),
          "a turn needs a request", "a non-empty string", turn.get("request"))
    gold = turn.get("gold")
    _need(isinstance(gold, list) and bool(gold) and all(isinstance(g, str) for g in gold), where, path + ("gold",),
          "a turn needs gold calls", "a non-empty list of call strings", gold)
    expect = turn.get("expect", {})
    _need(isinstance(expect, Mapping) and not set(expect) - _EXPECT_KEYS, where, path + ("expect",),
          "expect must be a mapping of results/state", "results/state", expect)
    for part in expect:
        _need(isinstance(expect[part], Mapping), where, path + ("expect", part), f"expect.{part} must be a mapping",
              "key -> value", expect[part])
    for part in expect:
        for key in expect[part]:
            suffix = key.partition("|")[2]
            _need(not suffix or suffix in SUFFIXES, where, path + ("expect", part, key), "unknown expect suffix",
                  " | ".join("|" + s for s in SUFFIXES), "|" + suffix)
    for key in expect.get("results", {}):
        head = key.split("|", 1)[0].split(".", 1)[0]
        _need(head.isdigit() and int(head) < len(gold), where, path + ("expect", "results", key),
              "a result key must start with a gold call index", f"0..{len(gold) - 1}", head)


def _check_task(task: Any, where: Located, path: tuple[Any, ...], seen: set[str]) -> None:
    _need(isinstance(task, Mapping), where, path, "a task must be a mapping", "id/title/services/turns", task)
    unknown = sorted(set(task) - _TASK_KEYS)
    _need(not unknown, where, path + tuple(unknown[:1]), "unknown task key", ", ".join(sorted(_TASK_KEYS)), unknown[:1])
    _need(isinstance(task.get("id"), str) and bool(task.get("id")), where, path + ("id",), "a task needs an id",
          "a non-empty string", task.get("id"))
    _need(task["id"] not in seen, where, path + ("id",), "duplicate task id", "a unique id", task["id"])
    seen.add(task["id"])
    _need(isinstance(task.get("title"), str), where, path + ("title",), "a task needs a title", "a string",
          task.get("title"))
    services = task.get("services")
    _need(isinstance(services, list) and bool(services) and all(isinstance(s, str) for s in services), where,
          path + ("services",), "a task needs its services", "a non-empty list of class names", services)
    config = task.get("initial_config", {})
    _need(isinstance(config, Mapping) and set(config) <= set(services), where, path + ("initial_config",),
          "initial_config is keyed by the task's services", f"keys among {services}", config)
    turns = task.get("turns")
    _need(isinstance(turns, list) and 1 <= len(turns) <= MAX_TURNS, where, path + ("turns",),
          "a task needs turns", f"1 to {MAX_TURNS} turns", turns)
    for index, turn in enumerate(turns):
        _check_turn(turn, where, path + ("turns", index))
    for index, turn in enumerate(turns):
        for key in turn.get("expect", {}).get("state", {}):
            head = key.split("|", 1)[0].split(".", 1)[0]
            _need(head in services, where, path + ("turns", index, "expect", "state", key),
                  "a state key must start with one of the task's services", ", ".join(services), head)


def _check_plain(value: Any, where: Located, path: tuple[Any, ...]) -> None:
    """Task data must be JSON data: an unquoted ``2024-01-15`` would load as a date object."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _check_plain(inner, where, path + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_plain(inner, where, path + (index,))
    elif not (value is None or isinstance(value, (str, int, float, bool))):
        raise where.error(path, "task data must be plain JSON values (quote dates and times)",
                          expected="string, number, boolean, null, list or mapping", found=value)


def _load_domain(domain: str) -> list[dict[str, Any]]:
    data, where = load_yaml(tasks_path(domain))
    _need(isinstance(data, Mapping) and isinstance(data.get("tasks"), list), where, (),
          "a tasks file needs a 'tasks' list", "tasks: [...]", data)
    unknown = sorted(set(data) - _FILE_KEYS)
    _need(not unknown, where, tuple(unknown[:1]), "unknown top-level key", "tasks, scenarios", unknown[:1])
    seen: set[str] = set()
    out = []
    for index, task in enumerate(data["tasks"]):
        _check_task(task, where, ("tasks", index), seen)
        _check_plain(task, where, ("tasks", index))
        out.append({**task, "domain": domain})
    return out


def load_authored_tasks(domain: str | None = None) -> list[dict[str, Any]]:
    """The tasks of one domain, or of all in ``authored_domains()`` order; file order within each."""
    if domain is not None and domain not in DOMAINS:
        raise SpecError(f"unknown authored domain '{domain}'", expected=" | ".join(DOMAINS), found=domain)
    out: list[dict[str, Any]] = []
    for name in [domain] if domain is not None else DOMAINS:
        out.extend(_load_domain(name))
    return out


# -- expect ------------------------------------------------------------------------------

def lookup(value: Any, steps: Sequence[str]) -> tuple[bool, Any]:
    """``(True, value at steps)`` (steps are object keys, list indexes or ``*`` for every item),
    or ``(False, None)``."""
    for position, step in enumerate(steps):
        if step == "*":
            if isinstance(value, Mapping):
                items = list(value.values())
            elif isinstance(value, (list, tuple)):
                items = list(value)
            else:
                return False, None
            found = [lookup(item, steps[position + 1 :]) for item in items]
            if not all(ok for ok, _ in found):
                return False, None
            return True, [inner for _, inner in found]
        if isinstance(value, Mapping) and step in value:
            value = value[step]
        elif isinstance(value, (list, tuple)) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return False, None
    return True, value


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _items(found: Any) -> list[Any]:
    return list(found) if isinstance(found, (list, tuple)) else [found]


def _comparable(a: Any, b: Any) -> bool:
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
    return numbers or (isinstance(a, str) and isinstance(b, str))


def _compare(suffix: str, found: Any, wanted: Any) -> str | None:
    """Why ``found`` fails the check ``|suffix: wanted``, or None."""
    if suffix == "within":
        if not (isinstance(wanted, list) and len(wanted) == 2):
            return "|within needs [low, high]"
        low, high = wanted
        outside = [v for v in _items(found) if not (_comparable(v, low) and _comparable(v, high) and low <= v <= high)]
        return f"{outside[0]!r} is not within [{low!r}, {high!r}]" if outside else None
    if suffix == "among":
        if not isinstance(wanted, list):
            return "|among needs a list of values"
        allowed = [_as_json(w) for w in wanted]
        outside = [v for v in _items(found) if _as_json(v) not in allowed]
        return f"{outside[0]!r} is not among {wanted!r}" if outside else None
    if suffix == "matches":
        if not isinstance(wanted, str):
            return "|matches needs a regular expression"
        outside = [v for v in _items(found) if not (isinstance(v, str) and re.fullmatch(wanted, v))]
        return f"{outside[0]!r} does not match {wanted!r}" if outside else None
    # sorted
    if not isinstance(found, (list, tuple)):
        return "value is not a list"
    items = list(found)
    try:
        ordered = all(a <= b for a, b in zip(items, items[1:]))
    except TypeError:
        return "items are not comparable"
    return None if ordered == bool(wanted) else f"the list is {'not ' if not ordered else ''}sorted"


def _resolve(root: Any, key: str) -> tuple[Any, str | None]:
    """``(found value, None)`` or ``(None, why not)`` for a key ``<head>[.<path>][|suffix]``
    (the value found before a comparing suffix: within, among, matches, sorted)."""
    spec, _, suffix = key.partition("|")
    steps = spec.split(".")[1:]
    exists, found = lookup(root, steps)
    if not exists:
        return None, "path not found"
    if suffix == "len":
        return (len(found), None) if hasattr(found, "__len__") else (None, "value has no length")
    if suffix == "keys":
        return (sorted(found), None) if isinstance(found, Mapping) else (None, "value is not an object")
    if suffix == "distinct":
        if not isinstance(found, (list, tuple)):
            return None, "value is not a list"
        return len({json.dumps(v, sort_keys=True, default=str) for v in found}), None
    if suffix and suffix not in SUFFIXES:
        return None, f"unknown suffix '|{suffix}' (expected one of {', '.join('|' + s for s in SUFFIXES)})"
    return found, None


def check_expect(expect: Mapping[str, Any], results: Sequence[Any], states: Mapping[str, Any]) -> list[str]:
    """Every expectation that does not hold, as ``"<part> <key>: <why>"``; empty when all hold.

    ``results`` are the turn's gold results in call order; ``states`` maps service class name to
    its ``state()`` after the turn.
    """
    failures = []
    for part, roots in (("results", None), ("state", states)):
        for key, wanted in (expect.get(part) or {}).items():
            head = key.split("|", 1)[0].split(".", 1)[0]
            if part == "results":
                exists = head.isdigit() and int(head) < len(results)
                root = results[int(head)] if exists else None
            else:
                exists, root = head in roots, roots.get(head)
            if not exists:
                failures.append(f"{part} {key}: no such {'call' if part == 'results' else 'service'}")
                continue
            found, problem = _resolve(root, key)
            suffix = key.partition("|")[2]
            if not problem and suffix in ("within", "among", "matches", "sorted"):
                problem = _compare(suffix, found, wanted)
            elif not problem and _as_json(found) != _as_json(wanted):
                problem = f"expected {wanted!r}, found {found!r}"
            if problem:
                failures.append(f"{part} {key}: {problem}")
    return failures
