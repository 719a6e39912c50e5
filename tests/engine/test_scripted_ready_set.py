"""The scripted policies' ordered set of candidate tasks finds exactly the tasks a check of
every task finds, at every decision (worlds with faults, amendments, revocations and retries)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.scripted import GoldFollower, Sequential
from simtool.config import run_config
from simtool.run import run

ROOT = Path(__file__).resolve().parents[2]
WORLDS = ("default", str(ROOT / "docs/examples/race.yaml"), str(ROOT / "tests/hunting/worlds/races.yaml"),
          str(ROOT / "tests/scoring/worlds/revoked-read.yaml"))
POLICIES = ("sequential", "interleave", "critical-path", "eager", "unbound", "oblivious")


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("world", WORLDS, ids=lambda w: Path(w).stem)
def test_ready_set_equals_checking_every_task(world: str, policy: str, monkeypatch) -> None:
    checked: list[int] = []

    def comparing(original):  # noqa: ANN001, ANN202
        def compared(self, obs):  # noqa: ANN001, ANN202
            found = original(self, obs)
            every = [t for t in obs.tasks if self.ready(obs, t)]
            assert [t.task_id for t in found] == [t.task_id for t in every]
            checked.append(len(every))
            return found
        return compared

    for cls in (GoldFollower, Sequential):
        monkeypatch.setattr(cls, "ready_tasks", comparing(cls.__dict__["ready_tasks"]))
    for seed in (0, 1, 2):
        config, where = run_config(world, policy, ("world.tie_shuffle=true",) if seed == 2 else ())
        run(config, seed, where=where)
    assert checked and any(checked)
