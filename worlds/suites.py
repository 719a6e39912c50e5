"""Multi-task suites: instances of several tasks in front of one agent, the AsyncTool setting.

The task pool is every BFCL entry the importer can turn into a usable task
(``worlds.bfcl.importer.importable``) plus every authored task of our own domains. Each task
is in exactly one of twelve categories, its ``domain`` (``worlds.bfcl.categories.CATEGORIES``:
a BFCL task's is the category of its user's goal, an authored task's is its folder).

An instance's kind is a size and a composition, ``<size>-<composition>``: ``dual`` (2 tasks),
``tri`` (3), ``quad`` (4), ``penta`` (5), ``hexa`` (6), ``hepta`` (7), ``octa`` (8);
``similar`` (every task of one category) or ``cross`` (every task of a different category).
The default suite is AsyncTool's shape: 712 instances, sizes 2 and 3, the four kinds in
equal shares (712 = 4 x 178). ``build_suite(..., sizes=, mix=, categories=)`` builds any other
shape: ``sizes`` lists the task counts (every kind of those sizes in equal shares), ``mix``
weighs kinds (``parse_mix``), ``categories`` restricts the pool.

Draws are seeded by name: the kinds' order comes from ``stream(seed, "suite", "kinds")`` and
instance ``i`` draws its tasks from ``stream(seed, "suite", "instance", i)``. A category is
picked uniformly among those that can fill the instance, so each of the twelve anchors about
as many instances as the others, however many tasks it has (``suite_stats`` shows how often
that reuses each task); then tasks uniformly within it. An instance does not repeat an
earlier instance's set of tasks unless ``MAX_REDRAWS`` draws found no new one.

A suite file is JSON lines, one canonical line (sorted keys) per instance::

    {"id": "0042-tri-cross", "index": 42, "kind": "tri-cross", "size": 3,
     "composition": "cross", "domains": [...], "profile": "saas", "seed": 7,
     "source_tasks": ["bfcl-12", ...], "task_ids": ["t1-bfcl-12", ...], "tasks": [...]}

``domains`` are the tasks' categories, in task order. ``seed`` is the build's seed (a run's own
seed is ``simtool run --seed``). ``tasks`` holds the full task specs (ids prefixed ``t1-``,
``t2-``, ... so that they are unique within the instance even when two sources share an id),
so an instance runs without the corpus. ``resolve_instance`` (the ``jsonl`` world source:
``simtool run SUITE.jsonl#0042-tri-cross``, or ``#0042-tri-cross@instant`` for another
profile) turns one line into a world with the profile's latency inlined.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from simtool.errors import SpecError
from simtool.jsonl import read_json_lines
from simtool.rng import stream
from simtool.trace import canonical
from worlds.authored import load_authored_tasks
from worlds.bfcl.categories import CATEGORIES
from worlds.bfcl.importer import import_corpus, importable
from worlds.profiles import latency_for, load_profile, shared_profile

__all__ = [
    "SIZE_NAMES",
    "COMPOSITIONS",
    "DEFAULT_SIZES",
    "KINDS",
    "MIX",
    "DEFAULT_N",
    "DEFAULT_PROFILE",
    "MAX_REDRAWS",
    "kinds_for",
    "parse_kind",
    "parse_sizes",
    "parse_mix",
    "parse_categories",
    "kind_counts",
    "task_pool",
    "excluded_tasks",
    "build_suite",
    "suite_stats",
    "write_suite",
    "read_suite",
    "instance_world",
    "resolve_instance",
]

SIZE_NAMES = {2: "dual", 3: "tri", 4: "quad", 5: "penta", 6: "hexa", 7: "hepta", 8: "octa"}
COMPOSITIONS = ("similar", "cross")
DEFAULT_SIZES = (2, 3)
DEFAULT_N = 712  # AsyncTool's benchmark size
DEFAULT_PROFILE = "saas"
MAX_REDRAWS = 50
_SIZE_OF = {name: size for size, name in SIZE_NAMES.items()}


def kinds_for(sizes: Iterable[int]) -> tuple[str, ...]:
    """Every kind of ``sizes``, smallest size first, ``similar`` before ``cross``."""
    return tuple(f"{SIZE_NAMES[s]}-{c}" for s in sorted(set(sizes)) for c in COMPOSITIONS)


KINDS = kinds_for(DEFAULT_SIZES)
MIX = dict.fromkeys(KINDS, 0.25)


def parse_kind(kind: str) -> tuple[int, str]:
    """``"tri-cross"`` -> ``(3, "cross")``; SpecError for anything else."""
    size, _, composition = str(kind).partition("-")
    if size not in _SIZE_OF or composition not in COMPOSITIONS:
        raise SpecError(f"unknown instance kind '{kind}'", key="mix", expected="<size>-<composition>, size one of "
                        + " | ".join(SIZE_NAMES.values()) + ", composition similar | cross", found=kind)
    return _SIZE_OF[size], composition


def parse_sizes(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"2,3,4,5"`` (or a sequence of ints) -> ``(2, 3, 4, 5)``: task counts of 2 to 8, each once."""
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    sizes: list[int] = []
    for part in parts:
        size = int(part) if isinstance(part, int) or (isinstance(part, str) and part.isdigit()) else None
        if size not in SIZE_NAMES:
            raise SpecError("instance sizes are task counts from 2 to 8", key="sizes", expected="e.g. 2,3,4,5", found=part)
        if size in sizes:
            raise SpecError("an instance size is given twice", key="sizes", expected="each size once", found=size)
        sizes.append(size)
    if not sizes:
        raise SpecError("no instance size given", key="sizes", expected="e.g. 2,3", found=text)
    return tuple(sorted(sizes))


def parse_mix(text: str | Mapping[str, float], sizes: Sequence[int] | None = None) -> dict[str, float]:
    """Weights of kinds: ``"dual-similar=1,tri-cross=3"``, or ``"similar=1,cross=3"`` (that composition
    at every size of ``sizes``, default 2 and 3). Kinds left out get no instance; the result is
    in ``kinds_for`` order. With ``sizes`` given, every kind named must be of one of them."""
    if isinstance(text, str):
        pairs = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            name, eq, weight = part.partition("=")
            try:
                value = float(weight) if eq else None
            except ValueError:
                value = None
            if value is None or value < 0 or value != value:
                raise SpecError("a mix entry is KIND=WEIGHT with a weight >= 0", key="mix", expected="e.g. dual-cross=2", found=part)
            pairs.append((name.strip(), value))
    else:
        pairs = [(str(k), float(v)) for k, v in text.items()]
    weights: dict[str, float] = {}
    for name, value in pairs:
        kinds = [f"{SIZE_NAMES[s]}-{name}" for s in (sizes or DEFAULT_SIZES)] if name in COMPOSITIONS else [name]
        for kind in kinds:
            size, _ = parse_kind(kind)
            if sizes is not None and size not in sizes:
                raise SpecError(f"the mix names {kind}, a size not among the sizes asked for", key="mix",
                                expected="kinds of sizes " + ",".join(map(str, sizes)), found=kind)
            if kind in weights:
                raise SpecError("a kind is weighed twice in the mix", key="mix", expected="each kind once", found=kind)
            weights[kind] = value
    if not weights or sum(weights.values()) <= 0:
        raise SpecError("the mix must give some kind a positive weight", key="mix", expected="e.g. dual-similar=1,tri-cross=1", found=text)
    order = kinds_for(parse_kind(k)[0] for k in weights)
    return {k: weights[k] for k in order if k in weights}


def parse_categories(text: str | Sequence[str], known: Iterable[str] = CATEGORIES) -> tuple[str, ...]:
    """``"math,travel"`` -> ``("math", "travel")``; every name must be a known category."""
    names = [p.strip() for p in text.split(",") if p.strip()] if isinstance(text, str) else [str(p) for p in text]
    allowed = list(known)
    for name in names:
        if name not in allowed:
            raise SpecError(f"unknown category '{name}'", key="categories", expected=" | ".join(allowed), found=name)
    if not names:
        raise SpecError("no category given", key="categories", expected=" | ".join(allowed), found=text)
    return tuple(dict.fromkeys(names))


def kind_counts(n: int, mix: Mapping[str, float] = MIX) -> dict[str, int]:
    """How many instances of each kind of ``mix`` a suite of ``n`` has: shares of the weights,
    largest remainders going to the kinds first in ``mix`` order on ties."""
    if n < 0:
        raise SpecError("the number of instances must be >= 0", key="n", expected="an integer >= 0", found=n)
    kinds = list(mix)
    total = sum(mix.values())
    exact = {k: n * mix[k] / total for k in kinds}
    counts = {k: int(exact[k]) for k in kinds}
    short = n - sum(counts.values())
    for k in sorted(kinds, key=lambda k: (-(exact[k] - counts[k]), kinds.index(k)))[:short]:
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


def _by_category(pool: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for task in pool:
        out.setdefault(str(task["domain"]), []).append(task)
    return {c: out[c] for c in sorted(out)}


def _draw(rng: Any, kind: str, categories: dict[str, list[Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
    size, composition = parse_kind(kind)
    names = list(categories)
    if composition == "similar":
        able = [c for c in names if len(categories[c]) >= size]
        if not able:
            raise SpecError(f"no category has {size} tasks for a {kind} instance", key="pool", expected=f">= {size} tasks in a category",
                            found={c: len(v) for c, v in categories.items()})
        tasks = categories[able[int(rng.integers(len(able)))]]
        return [tasks[int(i)] for i in rng.choice(len(tasks), size=size, replace=False)]
    if len(names) < size:
        raise SpecError(f"a {kind} instance needs {size} categories", key="pool", expected=f">= {size} categories", found=names)
    chosen = [names[int(i)] for i in rng.choice(len(names), size=size, replace=False)]
    return [categories[c][int(rng.integers(len(categories[c])))] for c in chosen]


def _instance(index: int, kind: str, tasks: Sequence[Mapping[str, Any]], seed: int, profile: str) -> dict[str, Any]:
    specs = []
    for k, task in enumerate(tasks, 1):
        spec = copy.deepcopy(dict(task))
        spec["id"] = f"t{k}-{task['id']}"
        specs.append(spec)
    size, composition = parse_kind(kind)
    return {
        "id": f"{index:04d}-{kind}",
        "index": index,
        "kind": kind,
        "size": size,
        "composition": composition,
        "domains": [str(t["domain"]) for t in tasks],
        "profile": profile,
        "seed": seed,
        "source_tasks": [str(t["id"]) for t in tasks],
        "task_ids": [s["id"] for s in specs],
        "tasks": specs,
    }


def build_suite(pool: Sequence[Mapping[str, Any]], n: int = DEFAULT_N, seed: int = 0, profile: str = DEFAULT_PROFILE,
                mix: Mapping[str, float] | None = None, *, sizes: Sequence[int] | None = None,
                categories: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """``n`` instances drawn from ``pool``; the same inputs give the same instances.

    ``sizes``: task counts (default 2 and 3); ``mix``: kind weights (default: every kind of
    ``sizes`` equally; when given alone, its kinds set the sizes); ``categories``: only tasks
    of these categories."""
    load_profile(profile)  # an unknown profile fails before any work
    if sizes is not None:
        sizes = parse_sizes(sizes)
    weights = parse_mix(mix, sizes) if mix is not None else dict.fromkeys(kinds_for(sizes or DEFAULT_SIZES), 1.0)
    if categories is not None:
        wanted = parse_categories(categories, sorted({str(t["domain"]) for t in pool}))
        pool = [t for t in pool if str(t["domain"]) in wanted]
    counts = kind_counts(n, weights)
    order = [k for k in weights for _ in range(counts[k])]
    order = [order[int(i)] for i in stream(seed, "suite", "kinds").permutation(len(order))]
    by_category = _by_category(pool)
    seen: set[tuple[str, ...]] = set()
    out = []
    for index, kind in enumerate(order):
        rng = stream(seed, "suite", "instance", str(index))
        for _ in range(MAX_REDRAWS):
            tasks = _draw(rng, kind, by_category)
            key = tuple(sorted(str(t["id"]) for t in tasks))
            if key not in seen:
                break
        seen.add(key)
        out.append(_instance(index, kind, tasks, seed, profile))
    return out


def suite_stats(instances: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The composition of a suite: instances per category (a category anchors an instance when
    one of its tasks is in it), per kind and per size, and how often each task is reused."""
    instances = list(instances)
    anchored: Counter[str] = Counter()
    slots: Counter[str] = Counter()
    uses: Counter[str] = Counter()
    category_of: dict[str, str] = {}
    for instance in instances:
        categories = [str(c) for c in instance.get("domains") or []]
        anchored.update(set(categories))
        slots.update(categories)
        for task, category in zip(instance["source_tasks"], categories):
            uses[str(task)] += 1
            category_of[str(task)] = category
    n = len(instances)
    per_category = {}
    for category in sorted(anchored, key=lambda c: (list(CATEGORIES).index(c) if c in CATEGORIES else len(CATEGORIES), c)):
        counts = [uses[t] for t in uses if category_of[t] == category]
        per_category[category] = {
            "title": CATEGORIES.get(category, category),
            "instances": anchored[category],
            "share": round(anchored[category] / n, 4) if n else 0.0,
            "task_slots": slots[category],
            "tasks": len(counts),
            "mean_reuse": round(sum(counts) / len(counts), 2) if counts else 0.0,
            "max_reuse": max(counts, default=0),
        }
    kinds = Counter(str(i["kind"]) for i in instances)
    sizes = Counter(int(i["size"]) for i in instances)
    histogram = Counter(uses.values())
    return {
        "instances": n,
        "categories": per_category,
        "kinds": {k: kinds[k] for k in sorted(kinds, key=lambda k: (parse_kind(k)[0], COMPOSITIONS.index(parse_kind(k)[1])))},
        "sizes": {str(s): sizes[s] for s in sorted(sizes)},
        "reuse": {
            "tasks": len(uses),
            "task_slots": sum(uses.values()),
            "mean": round(sum(uses.values()) / len(uses), 2) if uses else 0.0,
            "max": max(uses.values(), default=0),
            "histogram": {str(k): histogram[k] for k in sorted(histogram)},
            "most_used": [[t, c] for t, c in sorted(uses.items(), key=lambda kv: (-kv[1], kv[0]))[:10]],
        },
    }


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


def instance_world(instance: Mapping[str, Any], profile: str | None = None, suite: str | None = None,
                   think_ms: int | None = None) -> dict[str, Any]:
    """The world of one instance: its tasks, and the latency of ``profile`` (default: the instance's).
    Under a turns profile the world also fixes every decision's think time (``think_ms``: another T)."""
    name = profile or str(instance.get("profile") or DEFAULT_PROFILE)
    preset = shared_profile(name, think_ms)
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
    if "think_ms" in preset:
        world["think_ms"] = preset["think_ms"]
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
    """World source ``SUITE.jsonl#<instance id>[@<profile>[:<think ms>]]``: the world mapping of that
    instance (``@turns:250``: the turns profile with a think time of 250 ms per decision)."""
    instance_id, _, profile = fragment.partition("@")
    profile, colon, think = profile.partition(":")
    think_ms = None
    if colon:
        if not think.isdigit() or int(think) < 1:
            raise SpecError("the think time after ':' must be a whole number of ms", file=path,
                            expected="SUITE.jsonl#<id>@turns:<ms >= 1>", found=fragment)
        think_ms = int(think)
    if not instance_id:
        raise SpecError("name an instance after '#'", file=path, expected="SUITE.jsonl#<instance id>", found=fragment)
    index = _index(Path(path))
    if instance_id in index:
        return instance_world(index[instance_id], profile or None, Path(path).name, think_ms)
    known = list(index)[:5]
    raise SpecError(f"no instance '{instance_id}' in the suite", file=path, expected=" | ".join(known) + (" | ..." if known else ""), found=instance_id)
