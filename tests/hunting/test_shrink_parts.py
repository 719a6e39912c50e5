"""Shrinking in parts: a table of passes, engine errors counted apart, dump_world, results never lost at the write."""

from __future__ import annotations

import importlib

import pytest
import yaml
from typer.testing import CliRunner

from simtool.cli import app
from simtool.config import run_config
from simtool.errors import SimtoolError, SpecError
from simtool.faults import PROCESS_KEYS
from simtool.hunting import defines_shrink_pass, shrink, shrink_passes, simplify_fault
from simtool.hunting.cli import register
from simtool.hunting.passes import shorten_gold
from simtool.run import run, run_source
from simtool.world import TASK_KEYS, WORLD_KEYS, dump_world, parse_world

from .support import RACES, simtool_here

SHRINK = importlib.import_module("simtool.hunting.shrink")  # the module (the package exports a function of that name)


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    if "shrink" not in {c.name for c in app.registered_commands}:
        register(app)
    return CliRunner()


def test_the_passes_run_in_registration_order_and_a_duplicate_name_is_refused():
    assert [name for name, _ in shrink_passes()] == ["drop_tasks", "drop_faults", "shorten_gold", "latencies",
                                                     "think_time", "ties"]
    with pytest.raises(SpecError, match="already registered"):
        defines_shrink_pass("ties")(lambda config, seed, h: iter(()))
    assert [name for name, _ in shrink_passes()][-1] == "ties"


def test_a_fault_is_simplified_by_its_kind():
    amend = {"at_ms": 5, "kind": "amend", "task": "t", "request": "r", "gold": ["a()", "b()"]}
    assert list(simplify_fault(amend)) == [("drop the last gold call", {**amend, "gold": ["a()"]})]
    assert list(simplify_fault({"at_ms": 5, "kind": "revoke", "scope": "s"})) == []
    assert amend["gold"] == ["a()", "b()"], "the fault given is left as it was"


def config_of(policy: str) -> dict:
    return run_config(RACES, policy)[0]


def test_only_a_simtool_error_means_the_race_is_gone_other_exceptions_are_counted(monkeypatch):
    config = config_of("unbound")
    tasks = len(config["world"]["tasks"])

    def broken(cfg, seed, *args, **kwargs):
        if len(cfg["world"]["tasks"]) < tasks - 1:
            raise ZeroDivisionError("the engine broke")
        if len(cfg["world"]["tasks"]) == tasks - 1:
            raise SpecError("this reduction made the world invalid")
        return run(cfg, seed, *args, **kwargs)

    monkeypatch.setattr(SHRINK, "run", broken)
    result = shrink(config, 1, "wrong_binding", max_runs=40)
    assert len(result.config["world"]["tasks"]) == tasks, "no task could be dropped"
    assert result.engine_errors == 0, "a SimtoolError is a vanished race, not an engine error"
    monkeypatch.setattr(SHRINK, "run", lambda cfg, seed, *a, **k: (_ for _ in ()).throw(ZeroDivisionError("x"))
                        if len(cfg["world"]["tasks"]) < tasks else run(cfg, seed, *a, **k))
    result = shrink(config, 1, "wrong_binding", max_runs=40)
    assert result.engine_errors >= tasks and result.engine_error_messages[0] == "ZeroDivisionError: x"


def test_an_engine_error_on_the_run_to_shrink_is_reported_as_such(monkeypatch):
    def broken(cfg, seed, *args, **kwargs):
        raise KeyError("inside the engine")

    monkeypatch.setattr(SHRINK, "run", broken)
    with pytest.raises(SimtoolError, match="engine error: KeyError"):
        shrink(config_of("unbound"), 1, "wrong_binding")


def test_the_shrink_command_prints_engine_errors(cli, tmp_path, monkeypatch):
    trace = tmp_path / "run.jsonl"
    run_source(RACES, "eager", 1, trace_path=trace)
    tasks = len(config_of("eager")["world"]["tasks"])
    real = run

    def broken(cfg, seed, *args, **kwargs):
        if len(cfg["world"]["tasks"]) == tasks - 1 and cfg["world"]["tasks"][0]["id"] == "vpn":
            raise RuntimeError("engine bug")
        return real(cfg, seed, *args, **kwargs)

    monkeypatch.setattr(SHRINK, "run", broken)
    done = cli.invoke(app, ["shrink", str(trace), "--invariant", "out_of_order_wrong_state", "--out", str(tmp_path / "m.yaml"),
                            "--max-runs", "30"])
    assert done.exit_code == 0, done.output
    assert "engine errors: 1 candidate run(s) raised" in done.output and "RuntimeError: engine bug" in done.output


def test_dump_world_reads_back_equal_with_keys_in_the_specs_order():
    world = run(config_of("oblivious"), 0).config["world"]
    text = dump_world(world)
    back = yaml.safe_load(text)
    assert back == world and parse_world(back).resolved == world
    assert list(back) == [k for k in WORLD_KEYS if k in world]
    assert all(list(t) == [k for k in TASK_KEYS if k in t] for t in back["tasks"])
    assert all(list(f)[:2] == ["at_ms", "kind"] for f in back.get("faults") or [])
    assert all(list(p) == [k for k in PROCESS_KEYS if k in p] for p in back.get("fault_processes") or [])
    stripped = yaml.safe_load(dump_world(world, strip_defaults=True, comment="first\nsecond"))
    assert "horizon_ms" not in stripped and parse_world(stripped).resolved == world
    assert dump_world(world, comment="first\nsecond").startswith("# first\n# second\n")


def test_shrink_refuses_an_output_it_cannot_write_before_searching(tmp_path):
    trace = tmp_path / "run.jsonl"
    run_source(RACES, "eager", 1, trace_path=trace)
    (tmp_path / "file").write_text("x")
    for option in ("--out", "--trace"):
        done = simtool_here("shrink", str(trace), "--invariant", "out_of_order_wrong_state", option, str(tmp_path / "file" / "x"))
        assert done.returncode == 2 and option in done.stderr and "Traceback" not in done.stderr
        assert "shrunk:" not in done.stdout


def test_a_shrunk_world_that_cannot_be_written_is_printed_not_lost(cli, tmp_path, monkeypatch):
    trace = tmp_path / "run.jsonl"
    run_source(RACES, "eager", 1, trace_path=trace)

    def refuse(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SHRINK, "write_text", refuse)
    done = cli.invoke(app, ["shrink", str(trace), "--invariant", "out_of_order_wrong_state", "--out", str(tmp_path / "m.yaml"),
                            "--max-runs", "30"])
    assert done.exit_code == 2 and "No space left on device" in done.output
    body = done.output[done.output.index("# Shrunk by simtool shrink"):]
    assert yaml.safe_load(body)["policy"]["name"] == "eager"
    assert not (tmp_path / "m.yaml").exists()


def test_a_dropped_gold_call_renumbers_the_stated_after_and_the_dependency_still_fails():
    # list_users waits for get_ticket only because the world says so (different services, no data
    # flow); the padding read before them must go, which shifts get_ticket from step 1 to step 0
    task = {"id": "t", "services": ["TicketAPI", "MessageAPI"],
            "initial_config": {"TicketAPI": {"current_user": "ana", "ticket_counter": 3,
                                             "ticket_queue": [{"id": 1, "title": "a", "status": "Open", "created_by": "ana"}]}},
            "turns": [{"request": "look", "gold": ["get_user_tickets()", "get_ticket(ticket_id=1)",
                                                   {"call": "list_users()", "after": [1]}]}]}
    world = {"name": "stated", "tasks": [task], "latency": {"default": {"request": 50, "service": 10, "response": 50}}}
    result = shrink({"world": world, "policy": {"name": "eager", "think": 0}}, 0, "dependency_violation")
    assert result.config["world"]["tasks"][0]["turns"][0]["gold"] == ["get_ticket(ticket_id=1)", {"call": "list_users()", "after": [0]}]
    assert "drop gold call 0 of t turn 0" in result.steps
    assert "    - get_ticket(ticket_id=1)\n    - call: list_users()\n      after: [0]\n" in result.text  # the world as written


def test_dropping_a_gold_call_moves_the_turns_expect_error_positions_with_it():
    turn = {"request": "r", "gold": ["get_ticket(ticket_id=9)", "get_user_tickets()", "close_ticket(ticket_id=9)"],
            "expect_error": [0, 2]}
    config = {"world": {"name": "w", "tasks": [{"id": "t", "services": ["TicketAPI"], "turns": [turn]}]},
              "policy": {"name": "eager"}}
    turns = {what: c["world"]["tasks"][0]["turns"][0] for what, c, _ in shorten_gold(config, 0, None)}
    assert turns["drop the last gold call of t turn 0"]["expect_error"] == [0]
    assert turns["drop gold call 1 of t turn 0"]["expect_error"] == [0, 1]
    assert turns["drop gold call 0 of t turn 0"]["expect_error"] == [1]
    assert config["world"]["tasks"][0]["turns"][0]["expect_error"] == [0, 2], "the config given is left as it was"
    for candidate in turns.values():
        parse_world({"name": "w", "tasks": [{"id": "t", "services": ["TicketAPI"], "turns": [candidate],
                                            "initial_config": {"TicketAPI": {"current_user": "ana"}}}]})
