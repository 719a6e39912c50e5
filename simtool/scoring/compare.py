"""AsyncTool's sync-versus-async table: the same instances at the ``instant`` profile and delayed.

For every world source, policy and seed, one run with the world's latencies scaled to zero
(``world.latency.scale=0``: the agent never waits, the synchronous setting) and one with its
own latencies (delayed). Each run's trace is scored; rows pool a policy's runs per profile.

A delayed row whose mean ``latency_think_ratio`` (median tool latency / median think time) is
below 1 gets a warning: its results are back before the agent's next decision, so the delays
cannot matter and the sync-versus-async drop measures nothing (docs/llm.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simtool.run import run_source
from simtool.scoring.aggregate import aggregate
from simtool.scoring.history import trace_from_lines
from simtool.scoring.score import score_trace

__all__ = ["compare", "pace_warnings", "PROFILES", "INSTANT", "DEFAULT_POLICIES"]

INSTANT = ("world.latency.scale=0",)
PROFILES: dict[str, tuple[str, ...]] = {"instant": INSTANT, "delayed": ()}
DEFAULT_POLICIES = ("sequential", "interleave", "critical-path", "eager", "unbound", "oblivious")


def _trace_path(trace_dir: Path | None, world: str, policy: str, profile: str, seed: int) -> Path | None:
    if trace_dir is None:
        return None
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in Path(world.split("#")[0]).stem + "-" + world.split("#")[-1])
    return trace_dir / f"{stem}.{policy}.{profile}.seed{seed}.jsonl"


def compare(worlds: Sequence[str], policies: Sequence[str] = DEFAULT_POLICIES, seeds: Sequence[int] = (0, 1, 2),
            overrides: Sequence[str] = (), trace_dir: str | Path | None = None) -> dict[str, Any]:
    """Run and score every (world, policy, seed) at both profiles.

    Returns ``{"rows": [{"policy", "instant": group row, "delayed": group row}], "scores": [...],
    "warnings": [...]}`` where a group row is what ``aggregate`` gives for that policy's runs at
    that profile, and ``warnings`` are :func:`pace_warnings` of the rows.
    """
    directory = Path(trace_dir) if trace_dir is not None else None
    scores: list[dict[str, Any]] = []
    for world in worlds:
        for policy in policies:
            for seed in seeds:
                for profile, extra in PROFILES.items():
                    path = _trace_path(directory, world, policy, profile, seed)
                    result = run_source(world, policy, seed, tuple(overrides) + extra, path)
                    score = score_trace(trace_from_lines(result.lines, str(path) if path else f"<{world} {policy} {profile} seed {seed}>"))
                    score["profile"] = profile
                    score["world_source"] = world
                    scores.append(score)
    rows = []
    for policy in policies:
        row: dict[str, Any] = {"policy": policy}
        for profile in PROFILES:
            members = [s for s in scores if s["policy"] == policy and s["profile"] == profile]
            row[profile] = aggregate(members, by=None)[0]
        rows.append(row)
    return {"rows": rows, "scores": scores, "warnings": pace_warnings(rows)}


def pace_warnings(rows: Sequence[dict[str, Any]]) -> list[str]:
    """One sentence per policy whose delayed runs' mean latency/think ratio is below 1."""
    out = []
    for row in rows:
        ratio = row["delayed"]["latency_think_ratio"]["mean"]
        if ratio is not None and ratio < 1:
            out.append(f"{row['policy']}: median tool latency / median think time is {ratio:.3f} (below 1) in the "
                       f"delayed runs: results are back before the agent's next decision, so the delays cannot "
                       f"matter and the drop from instant measures nothing (see docs/llm.md)")
    return out
