"""Several traces into one row per group: means with 95% intervals, and pass^k over seeds.

- Which metrics are averaged, and which are rates, comes from ``simtool.scoring.metrics``
  (``aggregation: mean``; ``bounded``).
- A metric's mean comes with a 95% confidence interval from Student's t with n - 1 degrees
  of freedom: ``mean ± t(0.975, n-1) * sd / sqrt(n)`` (sample standard deviation); none for a
  single trace. Rates and booleans (success) are averaged as numbers in [0, 1] and their
  interval is clipped to [0, 1]. A metric that is undefined for a trace (e.g. no sub-task
  left to count) is left out of that metric's n.
- pass^k (tau-bench's): the traces of one cell (same policy config, same world config,
  different seeds) are trials of one instance; with c of its n trials successful,
  pass^k = C(c, k) / C(n, k), the chance that k trials drawn without replacement all pass.
  A group's pass^k is the mean over its cells, for k = 1 .. the fewest trials of any cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from simtool.errors import SpecError
from simtool.scoring.metrics import averaged

__all__ = ["mean_interval", "pass_hat_k", "aggregate", "GROUP_KEYS", "MEAN_KEYS", "t_975"]

GROUP_KEYS = ("policy", "world", "instance")

MEAN_KEYS: tuple[str, ...] = tuple(m.name for m in averaged())  # from the metrics table
_UNIT = frozenset(m.name for m in averaged() if m.bounded)

# two-sided 95% quantiles of Student's t, by degrees of freedom
_T = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
      11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
      21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
      40: 2.021, 60: 2.000, 120: 1.980}


def t_975(df: int) -> float:
    """t(0.975, df); between tabulated values the next smaller df is used (a slightly wider interval)."""
    if df < 1:
        raise ValueError("degrees of freedom must be >= 1")
    if df in _T:
        return _T[df]
    if df > 120:
        return 1.960
    return _T[max(k for k in _T if k <= df)]


def mean_interval(values: Sequence[float], *, unit: bool = False) -> dict[str, Any]:
    """``{mean, ci95: [low, high] or None, n}``; ``unit`` clips the interval to [0, 1]."""
    n = len(values)
    if n == 0:
        return {"mean": None, "ci95": None, "n": 0}
    mean = math.fsum(values) / n
    if n == 1:
        return {"mean": mean, "ci95": None, "n": 1}
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_975(n - 1) * sd / math.sqrt(n)
    low, high = mean - half, mean + half
    if unit:
        low, high = max(0.0, low), min(1.0, high)
    return {"mean": mean, "ci95": [low, high], "n": n}


def pass_hat_k(successes: int, trials: int, k: int) -> float:
    """C(c, k) / C(n, k): all of k trials drawn without replacement succeed."""
    if not 1 <= k <= trials:
        raise ValueError(f"k must be between 1 and the number of trials ({trials}), found {k}")
    return math.comb(successes, k) / math.comb(trials, k)


def _label(score: Mapping[str, Any], by: str | None) -> str:
    return "all" if by is None else str(score.get(by))


def aggregate(scores: Sequence[Mapping[str, Any]], by: str | None = "policy",
              cell: Callable[[Mapping[str, Any]], str] | None = None) -> list[dict[str, Any]]:
    """One row per group (in order of first appearance): counts, means with 95% intervals, pass^k.

    ``cell`` says which traces are trials of the same instance (default: the trace's
    ``config_hash``, i.e. the same resolved world and policy config, any seed).
    """
    if by is not None and by not in GROUP_KEYS:
        raise SpecError("cannot group traces by that", key="--by", expected=" | ".join(GROUP_KEYS), found=by)
    cell_of = cell or (lambda s: str(s.get("config_hash") or s.get("trace")))
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for s in scores:
        groups.setdefault(_label(s, by), []).append(s)
    rows = []
    for label, members in groups.items():
        row: dict[str, Any] = {"group": label, "by": by or "all", "traces": len(members),
                               "incomplete": sum(1 for s in members if not s.get("complete", True))}
        for key in MEAN_KEYS:
            values = [float(s[key]) for s in members if s.get(key) is not None]
            row[key] = mean_interval(values, unit=key in _UNIT)
        names: list[str] = []
        for s in members:
            names.extend(n for n in (s.get("violations") or {}) if n not in names)
        row["violations"] = {n: mean_interval([float((s.get("violations") or {}).get(n, 0)) for s in members]) for n in names}
        cells: dict[str, list[bool]] = {}
        for s in members:
            cells.setdefault(cell_of(s), []).append(bool(s.get("instance_success")))
        fewest = min(len(v) for v in cells.values())
        row["instances"] = len(cells)
        row["seeds_per_instance"] = fewest
        row["pass_hat_k"] = {str(k): math.fsum(pass_hat_k(sum(v), len(v), k) for v in cells.values()) / len(cells)
                             for k in range(1, fewest + 1)}
        rows.append(row)
    return rows
