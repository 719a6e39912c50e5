"""Agents written against the outside interfaces, for the tests: a built-in policy's logic
sending its decisions as submissions (what a user porting their agent would write)."""

from __future__ import annotations

from typing import Any

from simtool import registry
from simtool.env import SimtoolEnv
from simtool.external.actions import submission_of


def run_policy_through_env(env: SimtoolEnv, policy_name: str, options: dict[str, Any] | None = None, seed: int | None = None) -> dict[str, Any]:
    """Drive ``env`` with a registered policy's decisions sent as JSON submissions; the final info."""
    policy = registry.load("policy", policy_name)(options or {})
    _, info = env.reset(seed=seed)
    assert env.session is not None
    policy.reset(env.session.runtime.policy_context())
    while True:
        submission = submission_of(policy.decide(info["observation"]))
        _, reward, terminated, truncated, info = env.step(submission)
        if terminated or truncated:
            info["reward"] = reward
            return info
