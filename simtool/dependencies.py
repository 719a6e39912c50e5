"""The dependency relation of a gold path: which gold calls of a turn must wait for which.

A turn's gold path is a partial order, not a chain. ``dependencies(calls, tools, results,
strict)`` gives, for each gold step ``j``, the earlier steps ``i < j`` it depends on, by one
rule:

- **state**: steps ``i`` and ``j`` touch the same service and at least one of them writes
  (``ToolSchema.writes``: the tool's ``access: write`` in ``tools.yaml``, or ``mutates: true``
  for a tool that needs only read permission but changes state later calls read, as ``cd``);
- **data flow**: an argument of ``j`` (any scalar inside it, lists and mappings searched) equals
  a scalar inside ``i``'s gold result that is not an echo of ``i``'s own arguments and is not
  trivial (``None``, booleans, integral numbers from -10 to 10, strings that are empty or
  blank); values compare by JSON type and value (``5`` and ``5.0`` match, ``5`` and ``"5"``
  do not);
- **stated**: ``j``'s ``after:`` in the world lists ``i``;
- **strict**: the task is ``strict: true``: every step depends on every earlier one.

Conflicting steps keep their gold order; all others may run in any order or together. Edges
are kept as found (not reduced): ``after`` of step ``j`` is sorted and may include steps
already implied through others.

``without_step(gold, k)`` removes a step from a world's gold list and renumbers the stated
``after:`` edges (the shrinker's use: the smaller world stays valid and keeps its order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simtool.service import ToolSchema
from simtool.turns import GoldCall

__all__ = ["dependencies", "scalars", "linearisations", "critical_path_ms", "without_step"]

Edges = tuple[tuple[int, ...], ...]


def _key(value: Any) -> tuple[str, Any] | None:
    """A scalar's comparison key, or None when it is trivial (carries no information)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if float(value).is_integer() and -10 <= value <= 10:
            return None
        return ("number", float(value))
    if isinstance(value, str):
        return ("string", value) if value.strip() else None
    return None


def scalars(value: Any) -> set[tuple[str, Any]]:
    """The non-trivial scalars inside a value (lists and mappings searched, mapping keys not)."""
    out: set[tuple[str, Any]] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        else:
            key = _key(v)
            if key is not None:
                out.add(key)
    return out


def dependencies(calls: Sequence[GoldCall], tools: Mapping[str, ToolSchema], results: Sequence[Any] | None = None,
                 strict: bool = False) -> Edges:
    """For each gold step, the sorted indices of the earlier steps it depends on (see the module)."""
    writes = [tools[c.tool].writes if c.tool in tools else True for c in calls]
    returned = []
    for i, c in enumerate(calls):
        result = results[i] if results is not None and i < len(results) else None
        returned.append(scalars(result) - scalars(dict(c.args)))
    out = []
    for j, c in enumerate(calls):
        if strict:
            out.append(tuple(range(j)))
            continue
        used = scalars(dict(c.args))
        deps = set(c.after)
        for i in range(j):
            b = calls[i]
            if (b.service == c.service and (writes[i] or writes[j])) or (used & returned[i]):
                deps.add(i)
        out.append(tuple(sorted(deps)))
    return tuple(out)


def linearisations(edges: Edges, count: int, pick: Any) -> list[tuple[int, ...]]:
    """Up to ``count`` topological orders of ``edges``; ``pick(ready)`` chooses the next step
    among the ready ones (e.g. a seeded ``random.Random().choice``). The gold order comes first."""
    n = len(edges)
    orders = [tuple(range(n))]
    for _ in range(max(0, count - 1)):
        done: list[int] = []
        left = set(range(n))
        while left:
            ready = sorted(j for j in left if all(i in done for i in edges[j]))
            j = pick(ready)
            done.append(j)
            left.discard(j)
        orders.append(tuple(done))
    return orders


def critical_path_ms(edges: Edges, durations: Sequence[int]) -> int:
    """The longest path through the partial order, each step taking its duration."""
    finish: list[int] = []
    for j, deps in enumerate(edges):
        finish.append(max((finish[i] for i in deps), default=0) + int(durations[j]))
    return max(finish, default=0)


def without_step(gold: Sequence[Any], k: int) -> list[Any]:
    """A world's gold list (call strings, or ``{call, after}`` mappings) without step ``k``.

    The ``after:`` lists stay valid and keep their meaning: a step that waited for ``k`` now
    waits for what ``k`` itself was stated to wait for (the order through the gap still holds),
    and indices above ``k`` move down by one. A step left with no stated edge becomes its call
    string again. (Edges the rule derives need no care: they are derived again from the calls.)
    """
    def call_and_after(step: Any) -> tuple[Any, list[int]]:
        if isinstance(step, Mapping):
            return step.get("call"), [int(i) for i in step.get("after") or []]
        return step, []

    _, through = call_and_after(gold[k])
    out: list[Any] = []
    for j, step in enumerate(gold):
        if j == k:
            continue
        call, after = call_and_after(step)
        if j > k and k in after:
            after = [i for i in after if i != k] + through
        renumbered = sorted({i - 1 if i > k else i for i in after})
        out.append({"call": call, "after": renumbered} if renumbered else call)
    return out
