"""Multi-task suites: instances of two or three tasks in front of one agent, the AsyncTool setting.

The task pool is every BFCL entry the importer can turn into a usable task
(``worlds.bfcl.importer.importable``) plus every authored task of our own domains, each
with a ``domain`` (a BFCL task's is its anchor class's: filesystem, vehicle, trading,
travel; ours: records, datagen, strings, formats).

Kinds of instance (``KINDS``), in equal shares by default (``MIX``; 712 = 4 x 178, the size
of AsyncTool's benchmark):

- ``dual-similar`` / ``tri-similar``: 2 or 3 different tasks of one domain;
- ``dual-cross`` / ``tri-cross``: 2 or 3 tasks of different domains.

Draws are seeded by name: the kinds' order comes from ``stream(seed, "suite", "kinds")`` and
instance ``i`` draws its tasks from ``stream(seed, "suite", "instance", i)``. A domain is
picked uniformly among those that can fill the instance (so our smaller authored domains
appear as often as BFCL's), then tasks uniformly within it. An instance does not repeat an
earlier instance's set of tasks unless ``MAX_REDRAWS`` draws found no new one.

A suite file is JSON lines, one canonical line (sorted keys) per instance::

    {"id": "0042-tri-cross", "index": 42, "kind": "tri-cross", "size": 3,
     "composition": "cross", "domains": [...], "profile": "saas", "seed": 7,
     "source_tasks": ["bfcl-12", ...], "task_ids": ["t1-bfcl-12", ...], "tasks": [...]}

``seed`` is the build's seed (a run's own seed is ``simtool run --seed``). ``tasks`` holds the full task specs (ids prefixed ``t1-``, ``t2-``, ... so that they are
unique within the instance even when two sources share an id), so an instance runs without
the corpus. ``resolve_instance`` (the ``jsonl`` world source: ``simtool run
SUITE.jsonl#0042-tri-cross``, or ``#0042-tri-cross@instant`` for another profile) turns one
line into a world with the profile's latency inlined.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from simtool.errors import SpecError
from simtool.jsonl import read_json_lines
from simtool.rng import stream
from simtool.trace import canonical
from worlds.authored import load_authored_tasks
from worlds.bfcl.importer import import_corpus, importable
from worlds.profiles import latency_for, load_profile

__all__ = [
    "KINDS",
    "MIX",
    "DEFAULT_N",
    "DEFAULT_PROFILE",
    "MAX_REDRAWS",
    "kind_counts",
    "task_pool",
    "excluded_tasks",
    "build_suite",
    "write_suite",
    "read_suite",
    "instance_world",
    "resolve_instance",
]

KINDS = ("dual-similar", "dual-cross", "tri-similar", "tri-cross")
MIX = {"dual-similar": 0.25, "dual-cross": 0.25, "tri-similar": 0.25, "tri-cross": 0.25}
DEFAULT_N = 712  # AsyncTool's benchmark size
DEFAULT_PROFILE = "saas"
MAX_REDRAWS = 50
_SIZE = {"dual": 2, "tri": 3}


def kind_counts(n: int, mix: Mapping[str, float] = MIX) -> dict[str, int]:
    """How many instances of each kind a suite of ``n`` has: shares of ``mix``, largest remainders
    going to the kinds first in ``KINDS`` order on ties."""
    if n < 0:
        raise SpecError("the number of instances must be >= 0", key="n", expected="an integer >= 0", found=n)
    total = sum(mix.values())
    exact = {k: n * mix[k] / total for k in KINDS}
    counts = {k: int(exact[k]) for k in KINDS}
    short = n - sum(counts.values())
    for k in sorted(KINDS, key=lambda k: (-(exact[k] - counts[k]), KINDS.index(k)))[:short]:
        counts[k] += 1
    return counts


def _bfcl_pool(folder: str | Path | None) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    if folder is None:
        return [], []
    usable, excluded = [], []
    for task in import_corpus(folder):
        why = importable(task)
        if why is None:
            usable.append(task)
        else:
            excluded.append((task["id"], why))
    return usable, excluded


def excluded_tasks(bfcl: str | Path | None) -> list[tuple[str, str]]:
    """BFCL tasks the suite leaves out, with the reason (``importable``'s filter)."""
    return _bfcl_pool(bfcl)[1]


def task_pool(bfcl: str | Path | None, *, authored: bool = True) -> list[dict[str, Any]]:
    """Usable tasks: BFCL-imported (when ``bfcl`` is a corpus folder) then authored, ids unique.

    Authored tasks get ``source: {corpus: simtool, ...}``; BFCL ones carry their entry.
    """
    pool, _ = _bfcl_pool(bfcl)
    if authored:
        for task in load_authored_tasks():
            task = dict(task)
            task.setdefault("source", {"corpus": "simtool", "domain": task["domain"]})
            pool.append(task)
    seen: dict[str, int] = {}
    for i, task in enumerate(pool):
        if task["id"] in seen:
            raise SpecError(f"two pool tasks share the id '{task['id']}'", key="tasks", expected="unique task ids", found=task["id"])
        seen[task["id"]] = i
    return pool


def _by_domain(pool: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for task in pool:
        out.setdefault(str(task["domain"]), []).append(task)
    return {d: out[d] for d in sorted(out)}


def _draw(rng: Any, kind: str, domains: dict[str, list[Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
    size = _SIZE[kind.split("-")[0]]
    names = list(domains)
    if kind.endswith("similar"):
        able = [d for d in names if len(domains[d]) >= size]
        if not able:
            raise SpecError(f"no domain has {size} tasks for a {kind} instance", key="pool", expected=f">= {size} tasks in a domain", found={d: len(v) for d, v in domains.items()})
        tasks = domains[able[int(rng.integers(len(able)))]]
        return [tasks[int(i)] for i in rng.choice(len(tasks), size=size, replace=False)]
    if len(names) < size:
        raise SpecError(f"a {kind} instance needs {size} domains", key="pool", expected=f">= {size} domains", found=names)
    chosen = [names[int(i)] for i in rng.choice(len(names), size=size, replace=False)]
    return [domains[d][int(rng.integers(len(domains[d])))] for d in chosen]


def _instance(index: int, kind: str, tasks: Sequence[Mapping[str, Any]], seed: int, profile: str) -> dict[str, Any]:
    specs = []
    for k, task in enumerate(tasks, 1):
        spec = copy.deepcopy(dict(task))
        spec["id"] = f"t{k}-{task['id']}"
        specs.append(spec)
    size, composition = kind.split("-")
    return {
        "id": f"{index:04d}-{kind}",
        "index": index,
        "kind": kind,
        "size": _SIZE[size],
        "composition": composition,
        "domains": [str(t["domain"]) for t in tasks],
        "profile": profile,
        "seed": seed,
        "source_tasks": [str(t["id"]) for t in tasks],
        "task_ids": [s["id"] for s in specs],
        "tasks": specs,
    }


def build_suite(pool: Sequence[Mapping[str, Any]], n: int = DEFAULT_N, seed: int = 0, profile: str = DEFAULT_PROFILE,
                mix: Mapping[str, float] = MIX) -> list[dict[str, Any]]:
    """``n`` instances drawn from ``pool`` with the kinds of ``mix``; the same inputs give the same instances."""
    load_profile(profile)  # an unknown profile fails before any work
    counts = kind_counts(n, mix)
    order = [k for k in KINDS for _ in range(counts[k])]
    order = [order[int(i)] for i in stream(seed, "suite", "kinds").permutation(len(order))]
    domains = _by_domain(pool)
    seen: set[tuple[str, ...]] = set()
    out = []
    for index, kind in enumerate(order):
        rng = stream(seed, "suite", "instance", str(index))
        for _ in range(MAX_REDRAWS):
            tasks = _draw(rng, kind, domains)
            key = tuple(sorted(str(t["id"]) for t in tasks))
            if key not in seen:
                break
        seen.add(key)
        out.append(_instance(index, kind, tasks, seed, profile))
    return out


def write_suite(instances: Sequence[Mapping[str, Any]], out: str | Path) -> None:
    """One canonical JSON line per instance, written atomically."""
    target = Path(out)
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as handle:
        for instance in instances:
            handle.write(canonical(instance) + "\n")
    tmp.replace(target)


def read_suite(path: str | Path) -> Iterator[dict[str, Any]]:
    """The instances of a suite file, in order; errors name the file and line."""
    for number, data in read_json_lines(path, "suite"):
        if not isinstance(data, dict) or "id" not in data or "tasks" not in data:
            raise SpecError("not a suite instance", file=str(path), line=number, expected="{id, kind, tasks, ...}", found=str(data)[:80])
        yield data


def instance_world(instance: Mapping[str, Any], profile: str | None = None, suite: str | None = None) -> dict[str, Any]:
    """The world of one instance: its tasks, and the latency of ``profile`` (default: the instance's)."""
    name = profile or str(instance.get("profile") or DEFAULT_PROFILE)
    preset = load_profile(name)
    services = sorted({s for t in instance["tasks"] for s in t["services"]})
    world: dict[str, Any] = {
        "name": str(instance["id"]),
        "description": f"{instance.get('kind', 'multi-task')} instance: " + ", ".join(str(t.get("title") or t["id"]) for t in instance["tasks"]),
        "profile": name,
        "instance": {k: instance[k] for k in ("id", "kind", "seed", "source_tasks") if k in instance} | ({"suite": suite} if suite else {}),
        "latency": latency_for(preset, services),
        "tasks": copy.deepcopy(list(instance["tasks"])),
    }
    if "horizon_ms" in preset:
        world["horizon_ms"] = preset["horizon_ms"]
    return world


_indexes: dict[tuple[str, int, int], dict[str, dict[str, Any]]] = {}


def _index(path: Path) -> dict[str, dict[str, Any]]:
    """Instances of a suite file by id, read once per file version (path, mtime, size):
    a sweep resolving hundreds of instances of one suite reads it once per process."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise SpecError(f"cannot read the suite: {exc.strerror}", file=str(path)) from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    index = _indexes.get(key)
    if index is None:
        index = {instance["id"]: instance for instance in read_suite(path)}
        _indexes.clear()
        _indexes[key] = index
    return index


def resolve_instance(path: str, fragment: str) -> dict[str, Any]:
    """World source ``SUITE.jsonl#<instance id>[@<profile>]``: the world mapping of that instance."""
    instance_id, _, profile = fragment.partition("@")
    if not instance_id:
        raise SpecError("name an instance after '#'", file=path, expected="SUITE.jsonl#<instance id>", found=fragment)
    index = _index(Path(path))
    if instance_id in index:
        return instance_world(index[instance_id], profile or None, Path(path).name)
    known = list(index)[:5]
    raise SpecError(f"no instance '{instance_id}' in the suite", file=path, expected=" | ".join(known) + (" | ..." if known else ""), found=instance_id)
