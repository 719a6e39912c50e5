"""A sweep's cells: one deterministic run each, named by a key derived from what it runs.

A cell is (world source, policy choice, seed, grid values, fixed overrides). Its key is a
sha256 over the canonical JSON of exactly that, so the same cell has the same key in any
process and any sweep, and a store can tell which cells it already holds.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import yaml
from attrs import frozen

from simtool.config import apply_overrides, load_world_source, split_policy
from simtool.sweeps.spec import PolicyChoice, SweepSpec, locate
from simtool.trace import canonical
from simtool.trust import check_policy_origin
from simtool.yamlspec import Located

__all__ = ["Cell", "cell_key", "expand", "cell_config", "override_text"]

KEY_LENGTH = 20  # hex digits of sha256: 80 bits, no collision in any sweep a machine can run


@frozen
class Cell:
    key: str
    world: str  # the source as the spec wrote it
    location: str  # where it is loaded from (the spec's folder first); not part of the key
    policy: PolicyChoice
    seed: int
    params: tuple[tuple[str, Any], ...]  # swept path -> value
    fixed: tuple[tuple[str, Any], ...]  # the spec's fixed overrides
    beside: str | None = None  # files the spec's policy options name resolve here (the spec's folder); not part of the key
    trusted: tuple[str, ...] = ()  # the policy options the command line gave (simtool.trust); not part of the key

    def columns(self) -> dict[str, Any]:
        """What a row records of its cell: its key, world source, policy, seed and every override path."""
        return {
            "cell": self.key,
            "source": self.world,
            "label": self.policy.label,
            "policy": self.policy.name,
            "seed": self.seed,
            **dict(self.fixed),
            **dict(self.params),
        }


def cell_key(world: str, policy: PolicyChoice, seed: int, params: Sequence[tuple[str, Any]], fixed: Sequence[tuple[str, Any]]) -> str:
    material = {
        "world": world,
        "policy": {"label": policy.label, "name": policy.name, "options": dict(policy.options)},
        "seed": seed,
        "params": [[k, v] for k, v in params],
        "set": [[k, v] for k, v in fixed],
    }
    return hashlib.sha256(canonical(material).encode("utf-8")).hexdigest()[:KEY_LENGTH]


def expand(spec: SweepSpec) -> Iterator[Cell]:
    """Every cell of the spec, lazily: world, then grid point, then policy, then seed.

    A world's cells are contiguous, so a batch of cells mostly loads one world.
    """
    paths = spec.grid_keys
    beside = None if "policy.cassette" in spec.command_line else spec.base_dir
    trusted = tuple(path.split(".", 1)[1] for path in spec.command_line if path.startswith("policy."))
    for world in spec.worlds:
        location = locate(world, spec.base_dir)
        for point in itertools.product(*(values for _, values in spec.grid)):
            params = tuple(zip(paths, point))
            for policy in spec.policies:
                for seed in spec.seeds:
                    yield Cell(cell_key(world, policy, seed, params, spec.fixed), world, location, policy, seed, params, spec.fixed,
                               beside, trusted)


def override_text(path: str, value: Any) -> str:
    """``path=value`` for ``apply_overrides``: the value as flow YAML, which parses back to itself."""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf, allow_unicode=True).strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return f"{path}={text}"


def _stamp(location: str) -> tuple[int, int] | None:
    """The world file's modification time and size (None for a registered name)."""
    try:
        stat = os.stat(location.partition("#")[0])
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=32)
def _world_source(location: str, stamp: tuple[int, int] | None) -> tuple[Mapping[str, Any], Located]:
    """Loaded once per process and file version: the cells of one world (policies x seeds x grid)
    share it, read-only."""
    return load_world_source(location)


def cell_config(cell: Cell) -> tuple[dict[str, Any], Located]:
    """The run config of a cell: the world's, then the policy's options, the fixed overrides, the grid values."""
    data, where = _world_source(cell.location, _stamp(cell.location))
    world, policy = split_policy(data, cell.policy.name)
    overrides = [override_text(f"policy.{k}", v) for k, v in cell.policy.options.items()]
    overrides += [override_text(k, v) for k, v in cell.fixed + cell.params]
    config = apply_overrides({"world": world, "policy": policy}, overrides)
    check_policy_origin(config["policy"], origin=f"the sweep's world {cell.world} with its spec", where=where,
                        command_line=cell.trusted)
    return config, where
