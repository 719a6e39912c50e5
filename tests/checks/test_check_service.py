"""``simtool check service``: each broken service plug-in is reported with a line naming what to fix."""

from __future__ import annotations

import pytest

from simtool import registry
from simtool.checks import check_service, check_service_class
from tests.checks.plugins import services as plugins
from tests.checks.support import simtool_here_with


def test_a_well_formed_service_passes_every_check():
    report = check_service_class(plugins.Doors, "Doors", [{}, {"open": ["front"]}])
    assert report.ok, report.lines()
    assert report.lines()[-1].startswith("ok: service Doors passes 6 checks")


@pytest.mark.parametrize(("cls", "registered_as", "message"), [
    (plugins.MissingMethod, "MissingMethod", "tool 'close_door': has no method MissingMethod.close_door: add the method or remove the tool"),
    (plugins.ExtraParameter, "ExtraParameter", "tool 'open_door': declares parameter 'color', which ExtraParameter.open_door does not take"),
    (plugins.UndeclaredParameter, "UndeclaredParameter", "UndeclaredParameter.open_door: takes parameter 'slowly', which tools.yaml does not declare"),
    (plugins.RenamedParameter, "RenamedParameter", "parameter 'door' is called 'door_name' in RenamedParameter.open_door: use one name in both"),
    (plugins.RequiredWithDefault, "RequiredWithDefault", "parameter 'door' is required, but RequiredWithDefault.open_door gives it a default ('front')"),
    (plugins.OptionalWithoutDefault, "OptionalWithoutDefault", "parameter 'wide' is optional, but OptionalWithoutDefault.open_door has no default"),
    (plugins.OtherDefault, "OtherDefault", "parameter 'wide' has default False, but OtherDefault.open_door uses True: make them the same"),
    (plugins.PublicHelper, "PublicHelper", "PublicHelper.count_open: is a public method but not a tool in doors.yaml"),
    (plugins.NoDomain, "NoDomain", "NoDomain.domain: is empty, so its tools have no scope"),
    (plugins.NoAccess, "NoAccess", "tool 'list_doors': declares no access"),
    (plugins.OtherServiceName, "OtherServiceName", "says service: Windows but OtherServiceName.name is 'OtherServiceName'"),
    (plugins.NoSchema, "NoSchema", "NoSchema.schema_path: is not set"),
    (plugins.NotAService, "NotAService", "loads NotAService, which is not a subclass of simtool.service.Service"),
    (plugins.NoContext, "NoContext", "NoContext.__init__: cannot be called with a ServiceContext"),
    (plugins.ScenarioFails, "ScenarioFails", "ScenarioFails.load_scenario: scenario {}: raised KeyError"),
    (plugins.OpaqueState, "OpaqueState", "since holds a datetime.datetime, which state() can only record as text"),
    (plugins.RandomState, "RandomState", "two instances with the same seed and scenario differ"),
    (plugins.Doors, "Door", "entry point 'Door': differs from Doors.name 'Doors'"),
    (plugins.OtherType, "OtherType", "parameter 'door' is string in tools.yaml, but OtherType.open_door says integer (int): make them agree"),
    (plugins.PositionalOnly, "PositionalOnly", "parameter 'door' is positional-only, but the runtime passes arguments by name"),
    (plugins.NanState, "NanState", "draught holds the float nan (JSON has no such number)"),
    (plugins.StateNotADict, "StateNotADict", "StateNotADict.state: returns a list: return a dict of plain JSON data"),
])
def test_each_broken_service_is_reported_naming_what_to_fix(cls, registered_as, message):
    report = check_service_class(cls, registered_as, [{}, {"open": ["front"]}])
    assert not report.ok
    assert len(report.findings) == 1, report.lines()  # each fixture breaks one thing
    assert message in report.findings[0].line()
    assert report.lines()[0].startswith("FAIL ")


def test_state_that_depends_on_the_hash_seed_is_reported_from_two_processes(tmp_path, monkeypatch):
    done = simtool_here_with(tmp_path, {"simtool.services": {"SetOrderState": "tests.checks.plugins.services:SetOrderState"}},
                             monkeypatch, "check", "service", "SetOrderState")
    assert done.code == 1, done.text
    text = " ".join(done.out.split())  # the console wraps long lines
    assert "SetOrderState.state: scenario {}: differs between two processes with different PYTHONHASHSEED" in text
    assert "sort sets" in text


def test_an_unknown_service_is_bad_usage(tmp_path, monkeypatch):
    done = simtool_here_with(tmp_path, {}, monkeypatch, "check", "service", "NoSuchService")
    assert done.code == 2
    assert "unknown service 'NoSuchService'" in done.err and "Traceback" not in done.text


@pytest.mark.parametrize("name", registry.names("service"))
def test_every_shipped_service_passes_the_checker(name):
    report = check_service(name, processes=False)
    assert report.ok, "\n".join(report.lines())


def test_a_shipped_service_passes_across_processes_at_the_command_line(tmp_path, monkeypatch):
    # the command in this process, its check in a child process (tests/checks/test_docs.py runs
    # `simtool check service` itself as a child process)
    done = simtool_here_with(tmp_path, {}, monkeypatch, "check", "service", "TicketAPI")
    assert done.code == 0, done.text
    assert done.out.startswith("ok: service TicketAPI passes 6 checks")


def test_a_world_naming_a_service_registered_under_another_key_is_a_clear_error(monkeypatch):
    from simtool.errors import SpecError
    from simtool.world import parse_world

    monkeypatch.setitem(registry._cache, ("service", "Door"), plugins.Doors)
    spec = {"name": "doors", "tasks": [{"id": "a", "services": ["Door"], "turns": [{"request": "open", "gold": ["list_doors()"]}]}]}
    with pytest.raises(SpecError) as caught:
        parse_world(spec)
    assert caught.value.key == "tasks.0.services.0"
    assert "registered under a key that differs from its class's name" in str(caught.value)
    assert "simtool check service Door" in str(caught.value)
    assert (caught.value.expected, caught.value.found) == ("Doors", "Door")


def test_a_report_prints_one_line_per_problem_then_a_summary():
    ok = check_service_class(plugins.Doors, "Doors")
    assert ok.lines() == ["ok: service Doors passes 6 checks (class, name, schema, methods, state, determinism)"]
    bad = check_service_class(plugins.MissingMethod, "Missing")
    assert [line.split(":")[0] for line in bad.lines()[:-1]] == ["FAIL entry point 'Missing'", f"FAIL {plugins.HERE / 'missing_method.yaml'}"]
    assert bad.lines()[-1] == "service Missing: 2 problems found by 6 checks"


def test_a_broken_world_for_scenarios_is_bad_usage(tmp_path, monkeypatch):
    done = simtool_here_with(tmp_path, {}, monkeypatch, "check", "service", "TicketAPI", "--world", str(tmp_path / "missing.yaml"))
    assert done.code == 2, done.text
    assert "missing.yaml" in done.err and "Traceback" not in done.text
