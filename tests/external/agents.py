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


def local_context(world: str | None, seed: int, overrides: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """A scripted agent's knowledge of the world (its gold oracle, tool schemas), built locally:
    a shadow run with the same seed applies the world's amendments, so the oracle knows their gold."""
    from simtool.config import run_config
    from simtool.run import drive, start_run

    config, where = run_config(world, "interleave", overrides)
    with start_run(config, seed, where=where) as live:
        assert live.policy is not None
        drive(live.runtime, live.policy)
        ctx = live.runtime.policy_context()
        schemas = {t.task_id: dict(t.tools) for t in live.runtime.world.tasks}
    return ctx, schemas


async def run_policy_through_mcp(client: Any, policy_name: str, options: dict[str, Any], world: str | None, seed: int) -> int:
    """Drive an MCP server with a registered policy's decisions, one request per action; the
    number of requests made. The agent reads structured state from ``status`` and ``wait``."""
    import re

    from simtool.external.observation import observation_from_record
    from simtool.policy import CallAction, Cancel, Issued, Respond, Wait

    policy = registry.load("policy", policy_name)(options)
    ctx, schemas = local_context(world, seed)
    policy.reset(ctx)
    requests = 0
    issued: dict[str, Issued] = {}
    reply = await client.call_tool("status", {})
    while reply.structured_content is not None and "The run is over" not in reply.content[0].text:
        obs = observation_from_record(reply.structured_content, schemas, issued)
        issued = {}
        decision = policy.decide(obs)
        for action in decision.actions:
            requests += 1
            if isinstance(action, CallAction):
                answer = await client.call_tool(action.tool, {"task_id": action.task_id, **dict(action.args)})
                found = re.match(r"pending, call_id (c\d+)", answer.content[0].text)
                if action.ref is not None:
                    issued[action.ref] = Issued(action.ref, found.group(1) if found else None,
                                                None if found else "refused", None if found else answer.content[0].text)
            elif isinstance(action, Cancel):
                await client.call_tool("cancel", {"call_id": action.call_id})
            elif isinstance(action, Respond):
                await client.call_tool("respond", {"task_id": action.task_id, "text": action.text})
        requests += 1
        if decision.wait is None and decision.actions:
            reply = await client.call_tool("status", {})
        else:
            wait = decision.wait or Wait()
            args: dict[str, Any] = {"call_ids": list(wait.call_ids)}
            if wait.timeout_ms is not None:
                args["timeout_ms"] = wait.timeout_ms
            reply = await client.call_tool("wait", args)
    return requests
