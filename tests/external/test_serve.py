"""``simtool serve`` driven by the official MCP SDK's real client, over stdio and streamable HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

mcp = pytest.importorskip("mcp", reason="the MCP SDK is not installed: pip install 'simtool[mcp]'")
from mcp import Client, StdioServerParameters  # noqa: E402

from simtool.config import run_config  # noqa: E402
from simtool.external.session import AgentSession  # noqa: E402
from simtool.run import replay, run  # noqa: E402
from simtool.scoring.score import score_trace  # noqa: E402
from simtool.serve.run import ServedRun  # noqa: E402
from simtool.trace import read_trace  # noqa: E402
from tests.external.agents import run_policy_through_mcp  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCORES = ("task_success_rate", "subtask_success_rate", "makespan_ms", "coordination_efficiency", "step_f1_args", "idle_ready_ms")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def stdio(trace: Path, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "simtool", "serve", "--trace", str(trace), *extra],
                                 env=_env(), cwd=str(ROOT))


def text(result) -> str:
    return result.content[0].text


def test_status_after_the_horizon_names_the_calls_left_in_flight():
    import asyncio

    session = AgentSession(None, 0, overrides=["world.horizon_ms=300"], think=10)
    served = ServedRun(session)

    async def main():
        await served.request("book_flight", {"task_id": "conference-trip", "access_token": "x", "card_id": "y",
                                             "travel_date": "2024-11-14", "travel_from": "SFO", "travel_to": "ORD",
                                             "travel_class": "economy"})
        while not session.over:
            await served.request("wait", {})
        return await served.request("status", {})

    status = asyncio.run(main())
    end = json.loads(session.lines()[-2])
    assert end["kind"] == "end" and end["reason"] == "horizon" and end["in_flight"] == ["c0"]
    assert status.text.startswith(f"The run is over (horizon) at {end['t']} ms")
    assert "still in flight at the end: c0." in status.text and "[active]" in status.text
    assert status.data["in_flight"] == ["c0"] and status.data["now"] == end["t"]


async def scripted_session(client) -> list[str]:
    """List the tools, call, wait, cancel, respond: the answers, in order."""
    seen = []
    tools = {t.name for t in (await client.list_tools()).tools}
    assert {"wait", "cancel", "respond", "status", "get_stock_info", "book_flight", "cd"} <= tools
    status = await client.call_tool("status", {})
    assert "Task rebalance [active]" in text(status) and status.structured_content["now"] == 0
    for name, args in (("get_stock_info", {"task_id": "rebalance", "symbol": "NVDA"}),
                       ("get_flight_cost", {"task_id": "conference-trip", "travel_from": "SFO", "travel_to": "ORD",
                                            "travel_date": "2024-11-14", "travel_class": "economy"}),
                       ("wait", {}), ("cancel", {"call_id": "c1"}), ("book_flight", {"task_id": "rebalance"}),
                       ("cd", {"folder": "x"}), ("teleport", {"task_id": "rebalance"}),
                       ("respond", {"task_id": "rebalance", "text": "NVDA quoted"}), ("status", {})):
        seen.append(text(await client.call_tool(name, args)))
    return seen


@pytest.fixture(scope="module")
def stdio_session(tmp_path_factory):
    """One scripted session over stdio, then the built-in interleave to the end, then ``status``
    and ``wait`` once the run is over: the answers, the final status, the trace."""
    trace = tmp_path_factory.mktemp("stdio") / "s.jsonl"
    answers, final, after = anyio.run(full_session, trace)
    return answers, final, after, trace


async def full_session(trace):
    """The scripted requests, then the built-in interleave to the end, then ``status`` and ``wait``."""
    async with Client(stdio(trace, "--seed", "0")) as client:
        answers = await scripted_session(client)
        await run_policy_through_mcp(client, "interleave", {"think": 0}, None, 0)
        final = await client.call_tool("status", {})
        after = await client.call_tool("wait", {})
    return answers, final, after


def test_a_session_over_stdio_issues_waits_cancels_responds_and_replays(stdio_session):
    answers, final, _, trace = stdio_session
    assert answers[0].startswith("pending, call_id c0") and answers[1].startswith("pending, call_id c1")
    assert "c0 (task rebalance, get_stock_info) -> ok" in answers[2]
    assert answers[3] in ("cancelled c1", "c1 had already ended (ok): nothing to cancel")
    assert answers[4].startswith("refused: wrong_task_tool")
    assert answers[5].startswith("refused: task_id must name the task")
    assert answers[6].startswith("refused: unknown_tool") and "teleport" in answers[6]
    assert answers[7].startswith("answered task rebalance; its next request (2/2)")
    assert "The run is over (all_done)" in text(final)
    assert trace.exists() and replay(trace).identical
    kinds = [e["kind"] for e in read_trace(trace).events]
    assert kinds.count("agent_error") == 3 and kinds[-1] == "end"


def test_status_after_the_run_is_over_reports_how_it_ended_not_the_last_live_state(stdio_session):
    _, final, after, trace = stdio_session
    end = read_trace(trace).events[-1]
    score = score_trace(trace)
    assert text(final).startswith(f"The run is over (all_done) at {end['t']} ms")
    assert "Time:" not in text(final) and "in flight" not in text(final).replace("in flight at the end: none", "")
    for task_id, info in end["tasks"].items():
        assert f"Task {task_id} [{info['status']}]" in text(final)
    data = final.structured_content
    assert data["over"] is True and data["end_reason"] == "all_done" and data["now"] == end["t"]
    assert data["in_flight"] == [] and data["decisions"] == end["decisions"]
    assert {t: v["status"] for t, v in data["tasks"].items()} == {t: v["status"] for t, v in end["tasks"].items()}
    assert (data["task_success"], data["subtask_success"], data["makespan_ms"]) == (
        score["task_success_rate"], score["subtask_success_rate"], score["makespan_ms"])
    assert f"{score['task_success_rate']:.3f}" in text(final)
    assert after.is_error and "`status` gives its final figures" in text(after)


def test_two_identical_client_sessions_give_identical_traces(stdio_session, tmp_path):
    again = tmp_path / "again.jsonl"
    anyio.run(full_session, again)  # the same requests as the module's session, in another server process
    assert again.read_bytes() == stdio_session[3].read_bytes()


def test_an_agent_over_mcp_scores_as_the_built_in_policy(tmp_path):
    trace = tmp_path / "mcp.jsonl"

    async def main():
        async with Client(stdio(trace, "--seed", "2", "--think-ms", "0")) as client:
            await run_policy_through_mcp(client, "interleave", {"think": 0}, None, 2)

    anyio.run(main)
    config, where = run_config(None, "interleave", ["policy.think=0"])
    run(config, 2, tmp_path / "builtin.jsonl", where)
    ours, theirs = score_trace(trace), score_trace(tmp_path / "builtin.jsonl")
    assert {k: ours[k] for k in SCORES} == {k: theirs[k] for k in SCORES}
    # every call, delivery and fault at the same instant; an MCP tool call cannot say which results it
    # relies on (``uses``), and there are more decisions (one per request), so seq numbers differ
    a = [{k: v for k, v in e.items() if k not in ("seq", "uses")} for e in read_trace(trace).events if e["kind"] not in ("decide", "end")]
    b = [{k: v for k, v in e.items() if k not in ("seq", "uses")} for e in read_trace(tmp_path / "builtin.jsonl").events
         if e["kind"] not in ("decide", "end")]
    assert a == b


@pytest.fixture(scope="module")
def blocking_session(tmp_path_factory):
    """A blocking-mode session: one call, then two sent together; the client then disconnects mid-run."""
    trace = tmp_path_factory.mktemp("blocking") / "b.jsonl"

    async def main():
        async with Client(stdio(trace, "--mode", "blocking", "--think-ms", "10")) as client:
            one = await client.call_tool("get_stock_info", {"task_id": "rebalance", "symbol": "NVDA"})
            results = {}

            async def call(name, args):
                results[name] = await client.call_tool(name, args)

            async with anyio.create_task_group() as group:
                group.start_soon(call, "get_current_time", {"task_id": "rebalance"})
                group.start_soon(call, "pwd", {"task_id": "trip-paperwork"})
            return one, results

    one, results = anyio.run(main)
    return one, results, trace


def test_blocking_mode_answers_with_the_result_and_runs_calls_sent_together_concurrently(blocking_session):
    one, results, trace = blocking_session
    assert text(one).startswith("c0 ok: ") and '"price":220.34' in text(one)
    assert all(not r.is_error for r in results.values())
    events = read_trace(trace.with_name(trace.name + ".incomplete")).events
    decides = [e for e in events if e["kind"] == "decide" and any(a["op"] == "call" for a in e["actions"])]
    assert [len(d["actions"]) for d in decides] == [1, 2]  # the two calls sent together: one decision


def test_a_client_that_disconnects_mid_run_leaves_an_incomplete_trace(blocking_session):
    *_, trace = blocking_session  # the client left before the run was over
    assert not trace.exists()
    partial = trace.with_name(trace.name + ".incomplete")
    assert partial.exists() and '"kind":"footer"' not in partial.read_text()
    assert '"kind":"end"' not in partial.read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_session_over_streamable_http_completes_and_replays(tmp_path):
    trace, port = tmp_path / "h.jsonl", _free_port()
    server = subprocess.Popen([sys.executable, "-m", "simtool", "serve", "--transport", "http", "--port", str(port),
                               "--trace", str(trace), "--seed", "0"], env=_env(), cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)

        async def main():
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                answers = await scripted_session(client)
                await run_policy_through_mcp(client, "interleave", {"think": 0}, None, 0)
                return answers

        answers = anyio.run(main)
        assert re.match(r"pending, call_id c0", answers[0])
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert trace.exists() and replay(trace).identical
