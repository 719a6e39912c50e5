"""Synchronous against asynchronous: the same instances, seeds and latencies, each policy's
runs side by side with its synchronous baseline (issue 13, AsyncTool's comparison).

The two sides of a row:

- ``async``: the policy as given, at the worlds' own latencies.
- ``sync`` (the default baseline, ``sync``): the true synchronous baseline *at the same
  latencies*. A policy that can work synchronously says how (``Policy.sync_baseline``: the
  LLM policy's ``protocol: sync``, every call answered with its result in the same turn while
  the clock charges its latency); for every other policy (the scripted ones) the baseline is
  ``sequential``, which issues one call, waits for it, and moves on. Baseline ``instant``
  instead runs the policy itself with its latencies scaled to zero (``world.latency.scale=0``):
  an upper bound on what the delays cost, not a synchronous agent.

Each run's trace is scored; rows pool one policy's runs per side. A run that serves several
rows (the ``sequential`` baseline of every scripted policy, or ``sequential``'s own async run,
which is the same run) is run once. A delayed row whose mean ``latency_think_ratio`` (median
tool latency / median think time) is below 1 gets a warning: its results are back before the
agent's next decision, so the delays cannot matter and the drop measures nothing (docs/llm.md).

Policies are written ``NAME[,KEY=VALUE...]``: ``llm,model=qwen2.5:7b`` sets ``policy.model``
for that row alone (``label=...`` names the row). A row's label is the policy's name, plus
``/MODEL`` when its resolved options have a model, plus its other options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from simtool import registry
from simtool.config import check_policy_name, run_config
from simtool.errors import SpecError
from simtool.run import run_source
from simtool.scoring.aggregate import aggregate
from simtool.scoring.history import trace_from_lines
from simtool.scoring.score import score_trace
from simtool.sweeps.executors import on_threads
from simtool.sweeps.spec import ALL_INSTANCES, suite_instance_ids

__all__ = [
    "compare", "pace_warnings", "parse_policy", "expand_worlds", "run_facts", "ComparedPolicy",
    "BASELINES", "SIDES", "INSTANT", "SEQUENTIAL", "DEFAULT_POLICIES",
]

INSTANT = ("world.latency.scale=0",)
SEQUENTIAL = "sequential"
SIDES = ("sync", "async")
BASELINES: dict[str, str] = {
    "sync": "the synchronous baseline at the same latencies: the policy's sync protocol where it has one "
            "(llm: protocol sync), else the sequential policy",
    "instant": "the policy itself with every latency scaled to zero (world.latency.scale=0)",
}
DEFAULT_POLICIES = ("sequential", "interleave", "critical-path", "eager", "unbound", "oblivious")


@frozen
class ComparedPolicy:
    """One ``--policy`` of compare: ``NAME[,KEY=VALUE...]`` as written, its name and its own options."""

    spec: str
    name: str
    options: tuple[tuple[str, str], ...]  # (policy key, value as written), in the order given
    label: str | None = None  # ``label=...``: the row's name, else derived from the run

    @property
    def overrides(self) -> tuple[str, ...]:
        """The options as ``policy.<key>=<value>`` overrides (values parsed as YAML, as ``--set``'s)."""
        return tuple(f"policy.{key}={value}" for key, value in self.options)


def parse_policy(spec: str) -> ComparedPolicy:
    """``"llm,model=qwen2.5:7b,temperature=0"`` -> name ``llm`` with those options (a value holds no comma)."""
    name, *parts = [p.strip() for p in str(spec).split(",")]
    check_policy_name(name, option="--policy")
    options: list[tuple[str, str]] = []
    label = None
    for part in parts:
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or not key or "." in key:
            raise SpecError("a policy option is KEY=VALUE after the policy's name", key="--policy",
                            expected="NAME[,KEY=VALUE...], e.g. llm,model=qwen2.5:7b", found=spec)
        if key == "label":
            label = value.strip() or None
        else:
            options.append((key, value.strip()))
    return ComparedPolicy(str(spec), name, tuple(options), label)


def expand_worlds(worlds: Sequence[str]) -> list[str]:
    """World sources with ``SUITE.jsonl#*`` (or ``#*@profile``) replaced by one source per instance."""
    out: list[str] = []
    for source in worlds:
        path, sep, fragment = source.partition("#")
        instance, _, profile = fragment.partition("@")
        if sep and instance == ALL_INSTANCES:
            out.extend(f"{path}#{i}" + (f"@{profile}" if profile else "") for i in suite_instance_ids(path))
        else:
            out.append(source)
    return out


def _policy_fields(name: str) -> set[str] | None:
    options = getattr(registry.load("policy", name), "Options", None)
    return set(attrs.fields_dict(options)) if isinstance(options, type) and attrs.has(options) else None


def _for_policy(name: str, overrides: Sequence[str]) -> tuple[str, ...]:
    """``overrides`` without the ``policy.<key>`` ones that policy ``name`` has no option for
    (``--set policy.model=...`` is for the LLM rows, not their ``sequential`` baseline)."""
    fields = _policy_fields(name)
    if fields is None:
        return tuple(overrides)
    kept = []
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key.startswith("policy.") and key.split(".")[1] not in fields | {"name"}:
            continue
        kept.append(item)
    return tuple(kept)


def _side(choice: ComparedPolicy, side: str, baseline: str, overrides: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """(policy name, overrides) of one side of ``choice``'s row."""
    own = tuple(overrides) + choice.overrides
    if side == "async":
        return choice.name, own
    if baseline == "instant":
        return choice.name, own + INSTANT
    sync = getattr(registry.load("policy", choice.name), "sync_baseline", None)
    if sync is not None:
        return choice.name, own + tuple(f"policy.{k}={v}" for k, v in sync.items())
    return SEQUENTIAL, _for_policy(SEQUENTIAL, overrides)


def _trace_path(trace_dir: Path | None, world: str, label: str, side: str, seed: int) -> Path | None:
    if trace_dir is None:
        return None
    path, sep, fragment = world.partition("#")
    stem = Path(path).stem + (f"-{fragment}" if sep else "")
    safe = ["".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in part) for part in (stem, label)]
    return trace_dir / f"{safe[0]}.{safe[1]}.{side}.seed{seed}.jsonl"


def run_facts(config: Mapping[str, Any]) -> dict[str, Any]:
    """What the results table reads from a run's resolved config (its trace header's ``config``):
    ``kind`` (the suite instance's, e.g. ``dual-cross``; None for another world), ``task_domains``
    (task id -> its ``domain``, for the tasks that have one) and ``model`` (the policy's, if any)."""
    world = config.get("world") or {}
    instance = world.get("instance")
    kind = instance.get("kind") if isinstance(instance, Mapping) else None
    domains = {str(t["id"]): str(t["domain"]) for t in world.get("tasks") or () if isinstance(t, Mapping) and t.get("domain")}
    model = (config.get("policy") or {}).get("model")
    return {"kind": str(kind) if kind else None, "task_domains": domains, "model": str(model) if model else None}


def _resolved(world: str, policy: str, overrides: Sequence[str]) -> dict[str, Any]:
    """The run config of one side, before any run (``--set`` applied): to tell two sides apart."""
    return run_config(world, policy, overrides)[0]


RunKey = tuple[str, str, tuple[str, ...], int]  # (world source, policy name, overrides, seed)


def _score_run(key: RunKey, path: Path | None) -> dict[str, Any]:
    """Run one cell and score its trace; the score carries :func:`run_facts` and ``world_source``."""
    world, policy, overrides, seed = key
    result = run_source(world, policy, seed, overrides, path)
    trace = trace_from_lines(result.lines, str(path) if path else f"<{world} {policy} seed {seed}>")
    score = score_trace(trace)
    score.update(run_facts(trace.header["config"]), world_source=world)
    return score


def _model_given(choice: ComparedPolicy, overrides: Sequence[str]) -> str | None:
    """The model named on the command line for ``choice`` (its own option first), before any run."""
    given = [v for k, v in choice.options if k == "model"]
    given += [item.split("=", 1)[1].strip() for item in reversed(overrides) if item.split("=", 1)[0].strip() == "policy.model"]
    return given[0] if given else None


def _label(choice: ComparedPolicy, model: str | None) -> str:
    if choice.label:
        return choice.label
    rest = [f"{k}={v}" for k, v in choice.options if k != "model"]
    return ",".join([choice.name + (f"/{model}" if model else ""), *rest])


def _distinct(labels: Sequence[str]) -> None:
    twice = [label for label in labels if labels.count(label) > 1]
    if twice:
        raise SpecError("two policies share a row label", key="--policy", expected="distinct policies, or label=NAME",
                        found=twice[0])


def compare(worlds: Sequence[str], policies: Sequence[str] = DEFAULT_POLICIES, seeds: Sequence[int] = (0, 1, 2),
            overrides: Sequence[str] = (), trace_dir: str | Path | None = None, baseline: str = "sync",
            threads: int | None = None) -> dict[str, Any]:
    """Run and score every (world, policy, seed) on both sides (sync: ``baseline``; async: as given),
    each distinct run once, on ``threads`` threads (None: one at a time; the same result either way).

    Returns ``{"baseline", "sides": {side: what it ran}, "rows": [{"label", "policy", "sync_policy",
    "sync": group row, "async": group row}], "scores": [...], "warnings": [...]}``: a group row is
    what ``aggregate`` gives for that label's runs on that side; every score carries ``label``,
    ``side``, ``world_source``, ``kind``, ``task_domains`` and ``model``.
    """
    if baseline not in BASELINES:
        raise SpecError("unknown baseline", key="--baseline", expected=" | ".join(BASELINES), found=baseline)
    choices = [parse_policy(p) for p in policies]
    _distinct([_label(c, _model_given(c, overrides)) for c in choices])  # before any run, where it can tell
    worlds = expand_worlds(worlds)
    directory = Path(trace_dir) if trace_dir is not None else None
    # a policy that already works synchronously (llm with protocol=sync) has one run for both sides
    same = [c.name != SEQUENTIAL and _resolved(worlds[0], *_side(c, "sync", baseline, overrides))
            == _resolved(worlds[0], *_side(c, "async", baseline, overrides)) for c in choices]
    plan: list[tuple[int, str, RunKey]] = []  # (choice index, side, run)
    paths: dict[RunKey, Path | None] = {}
    for world in worlds:
        for index, choice in enumerate(choices):
            for seed in seeds:
                for side in SIDES:
                    name, extra = _side(choice, "async" if same[index] else side, baseline, overrides)
                    key = (world, name, extra, seed)
                    if key not in paths:
                        own = name if name != choice.name else _label(choice, _model_given(choice, overrides))
                        paths[key] = _trace_path(directory, world, own, side, seed)
                    plan.append((index, side, key))
    scored = on_threads(lambda item: _score_run(*item), list(paths.items()), threads)
    runs = dict(zip(paths, scored))
    models = {index: runs[key]["model"] for index, side, key in plan if side == "async"}
    labels = [_label(choice, models[index]) for index, choice in enumerate(choices)]
    _distinct(labels)
    scores = [{**runs[key], "label": labels[index], "side": side} for index, side, key in plan]
    rows = []
    for index, choice in enumerate(choices):
        row: dict[str, Any] = {"label": labels[index], "policy": choice.name,
                               "sync_policy": _side(choice, "sync", baseline, overrides)[0]}
        for side in SIDES:
            members = [s for s in scores if s["label"] == labels[index] and s["side"] == side]
            row[side] = aggregate(members, by=None)[0]
        rows.append(row)
    sides = {"sync": BASELINES[baseline], "async": "each policy as given, at the worlds' own latencies"}
    twice = [f"{labels[index]}: its sync and async sides are the same runs (it already works synchronously, e.g. "
             f"protocol=sync): the drop is 0 by construction" for index in range(len(choices)) if same[index]]
    return {"baseline": baseline, "sides": sides, "rows": rows, "scores": scores, "warnings": twice + pace_warnings(rows)}


def pace_warnings(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """One sentence per row whose async runs' mean latency/think ratio is below 1."""
    out = []
    for row in rows:
        ratio = row["async"]["latency_think_ratio"]["mean"]
        if ratio is not None and ratio < 1:
            out.append(f"{row['label']}: median tool latency / median think time is {ratio:.3f} (below 1) in the "
                       f"async runs: results are back before the agent's next decision, so the delays cannot "
                       f"matter and the sync-to-async drop measures nothing (see docs/llm.md)")
    return out
