"""The runtime's parts on their own: the clock's public steps, the run's streams, views kept in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from simtool.clock import make_clock
from simtool.records import CallRun, TaskRun
from simtool.rng import Streams, stream
from simtool.views import CallViews, TaskViews
from simtool.world import parse_world
from tests.engine.helpers import ticket_task, world

ROOT = Path(__file__).resolve().parents[2]


def test_run_until_returns_right_after_the_step_that_paused_the_clock():
    clock = make_clock()
    ran: list[str] = []
    clock.after(5, lambda _e: (ran.append("pauses"), clock.pause()))
    clock.after(5, lambda _e: ran.append("same ms, later"))
    assert clock.run_until(100) is None and clock.now == 5 and ran == ["pauses"]
    assert clock.run_until(100) == "stalled" and ran == ["pauses", "same ms, later"]


def test_run_until_stops_before_an_event_past_the_horizon():
    clock = make_clock()
    ran: list[int] = []
    clock.after(50, lambda _e: ran.append(50))
    clock.after(150, lambda _e: ran.append(150))
    assert clock.run_until(100) == "horizon" and ran == [50] and clock.now == 50
    assert clock.peek() == 150


def test_a_pause_made_between_steps_returns_at_once_without_a_step():
    clock = make_clock()
    ran: list[int] = []
    clock.after(0, lambda _e: ran.append(0))
    clock.pause()
    assert clock.run_until(100) is None and ran == []
    assert clock.run_until(100) == "stalled" and ran == [0]


def test_the_clock_now_follows_simpys_run_too():
    clock = make_clock()
    seen: list[int] = []
    clock.after(7, lambda _e: seen.append(clock.now))
    clock.run()
    assert seen == [7] and clock.now == 7


def test_the_runs_streams_are_the_named_streams_of_its_seed():
    streams = Streams(11)
    assert streams.seed == 11
    assert streams("latency", "a", "get", "request").integers(1 << 30, size=5).tolist() == \
        stream(11, "latency", "a", "get", "request").integers(1 << 30, size=5).tolist()
    assert streams("x").random() != Streams(12)("x").random()
    with pytest.raises(ValueError, match="non-negative integer"):
        Streams(-1)


def _records() -> tuple[dict[str, TaskRun], dict[str, CallRun]]:
    spec = parse_world(world([ticket_task("a", ["get_user_tickets()"], turns=[["get_user_tickets()"], ["get_user_tickets()"]])])).tasks[0]
    task = TaskRun(spec=spec, services={}, permissions={"ticket.read"}, epochs=[0, 0], current=spec.turns[0])
    call = CallRun(call_id="c0", task_id="a", tool="get_user_tickets", service="TicketAPI", scope="ticket.read", args={},
                   turn=0, epoch=0, issued_at=0, deadline=None, req_ms=1, svc_ms=0, resp_ms=1)
    task.add_call(call)
    return {"a": task}, {"c0": call}


def test_a_cancelled_or_amended_task_drops_the_views_of_its_calls():
    tasks, calls = _records()
    views = CallViews(calls, tasks)
    assert views["c0"].stale is False
    tasks["a"].set_status("cancelled")
    assert views["c0"].stale is True
    tasks, calls = _records()
    views = CallViews(calls, tasks)
    assert views["c0"].stale is False
    tasks["a"].amend(tasks["a"].spec.turns[1])
    assert views["c0"].stale is True and views["c0"].epoch == 0


def test_a_call_view_follows_the_calls_end_and_a_task_view_its_turn():
    tasks, calls = _records()
    call_views, task_views = CallViews(calls, tasks), TaskViews(tasks)
    first = task_views.all()
    assert task_views.all() is first  # nothing changed: the same views
    assert call_views["c0"].status == "in_flight"
    calls["c0"].answer("ok", [1], executed=True)
    calls["c0"].end("ok", 9)
    assert (call_views["c0"].status, call_views["c0"].result, call_views["c0"].ended_at) == ("ok", [1], 9)
    assert tasks["a"].next_turn() is True
    assert task_views.all() is not first and task_views.all()[0].turn == 1
    tasks["a"].set_permissions("ticket.write", True)
    assert task_views.all()[0].permissions == ("ticket.read", "ticket.write")


def test_policies_never_import_the_runtime():
    offenders = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "policies").rglob("*.py")) if "simtool.runtime" in p.read_text()]
    assert offenders == []
