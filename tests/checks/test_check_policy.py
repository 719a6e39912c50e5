"""``simtool check policy``: each broken policy plug-in is reported with a line naming what to fix."""

from __future__ import annotations

import pytest

from policies.scripted import Interleave
from simtool import registry
from simtool.checks import check_policy, check_policy_class
from tests.checks.plugins import policies as plugins
from tests.checks.support import simtool_here_with


def test_a_well_formed_policy_passes_every_check():
    report = check_policy_class(Interleave, "interleave")
    assert report.ok, report.lines()
    assert report.lines()[-1].startswith("ok: policy interleave passes 5 checks")


@pytest.mark.parametrize(("cls", "registered_as", "message"), [
    (plugins.NotAPolicy, "not-a-policy", "loads NotAPolicy, which is not a subclass of simtool.policy.Policy"),
    (plugins.NoDecide, "no-decide", "NoDecide.decide: is not implemented: define decide(self, obs) returning a Decision"),
    (plugins.OtherName, "another-name", "entry point 'another-name': differs from OtherName.name 'other-name'"),
    (plugins.PlainOptions, "plain-options", "PlainOptions.Options: Options is not an attrs class (declare it with @attrs.frozen)"),
    (plugins.RefusedDefaults, "refused-defaults", "RefusedDefaults.Options: the defaults are refused: key 'policy.depth': out of range"),
    (plugins.ReturnsMapping, "returns-mapping", "decision 0 (t=0 ms): decide() returned dict, not a Decision"),
    (plugins.FloatThink, "float-think", "decision 0 (t=0 ms): think_ms is 2.5: it must be a whole number of ms >= 0"),
    (plugins.UnknownAction, "unknown-action", "action 1: unknown action type tuple: use CallAction, Cancel or Respond"),
    (plugins.UnknownTask, "unknown-task", "action 1: CallAction names task 'no-such-task', which is not a task of this run"),
    (plugins.UnknownCancel, "unknown-cancel", "action 1: Cancel names call 'c999', which this run never issued"),
    (plugins.UsesUnknownCall, "uses-unknown-call", "action 0: uses names call 'c404', which this run never issued"),
    (plugins.ZeroWait, "zero-wait", "wait: timeout_ms is 0: give a whole number of ms > 0, or None for no deadline"),
    (plugins.MappingReads, "mapping-reads", "read self.options.<key> instead of self.options['<key>']"),
    (plugins.BadSummary, "bad-summary", "BadSummary.close: returned ['done']: return a dict"),
    (plugins.GlobalRandom, "global-random", "two runs in this process wrote different traces"),
    (plugins.WaitNumber, "wait-number", "decision 0 (t=0 ms): wait is 100: make it a Wait(call_ids, timeout_ms) or None"),
    (plugins.RespondUnknownTask, "respond-unknown-task", "Respond names task 'no-such-task', which is not a task of this run"),
    (plugins.SharedRef, "shared-ref", "action 1: ref 'mine' is also action 0's: the later outcome replaces the earlier in obs.issued"),
    (plugins.NoteNotMapping, "note-not-mapping", "note is 'thinking hard': make it a mapping with string keys"),
])
def test_each_broken_policy_is_reported_naming_what_to_fix(cls, registered_as, message):
    report = check_policy_class(cls, registered_as)
    assert not report.ok
    assert len(report.findings) == 1, report.lines()  # each fixture breaks one thing
    assert message in report.findings[0].line()


def test_a_crash_names_the_line_in_the_plug_in():
    report = check_policy_class(plugins.MappingReads, "mapping-reads")
    assert "raised TypeError: '" in report.findings[0].message
    assert f"{plugins.__file__}:" in report.findings[0].message


def test_a_policy_that_depends_on_the_hash_seed_is_reported_from_two_processes(tmp_path, monkeypatch):
    done = simtool_here_with(tmp_path, {"simtool.policies": {"set-order": "tests.checks.plugins.policies:SetOrder"}},
                             monkeypatch, "check", "policy", "set-order")
    assert done.code == 1, done.text
    text = " ".join(done.out.split())  # the console wraps long lines
    assert "two processes with different PYTHONHASHSEED wrote different traces, first at line" in text
    assert "do not let set order, hash() or id() decide anything" in text


def test_an_unknown_policy_and_a_bad_option_are_bad_usage(tmp_path, monkeypatch):
    unknown = simtool_here_with(tmp_path, {}, monkeypatch, "check", "policy", "no-such-policy")
    assert unknown.code == 2 and "unknown policy 'no-such-policy'" in unknown.err
    bad = simtool_here_with(tmp_path, {}, monkeypatch, "check", "policy", "interleave", "--no-processes", "--set", "policy.max_retries=x")
    assert bad.code == 2 and "policy.max_retries" in bad.err and "Traceback" not in bad.text


# llm: checked on a recording in tests/llm/test_llm_check.py; external: replays an outside agent's trace, no decisions of its own
@pytest.mark.parametrize("name", [n for n in registry.names("policy") if n not in ("llm", "external")])
def test_every_shipped_scripted_policy_passes_the_checker(name):
    report = check_policy(name, processes=False)
    assert report.ok, "\n".join(report.lines())


def test_a_shipped_policy_passes_across_processes_at_the_command_line(tmp_path, monkeypatch):
    # the command in this process, its two runs in child processes (tests/checks/test_docs.py runs
    # `simtool check policy` itself as a child process)
    done = simtool_here_with(tmp_path, {}, monkeypatch, "check", "policy", "critical-path")
    assert done.code == 0, done.text
    assert done.out.startswith("ok: policy critical-path passes 5 checks")


@pytest.mark.parametrize(("cls", "message"), [
    (plugins.Polls, "Polls: the run ended at the world's max_decisions (200 decisions): a policy that polls wastes decisions"),
    (plugins.SleepsForever, "SleepsForever: the run stalled with tasks still active (conference-trip, rebalance): the policy slept"),
])
def test_a_run_that_hits_a_limit_is_a_warning_not_a_failure(cls, message):
    report = check_policy_class(cls, cls.name, overrides=["world.max_decisions=200"])
    assert report.ok, report.lines()
    assert len(report.warnings) == 1 and report.warnings[0].line().startswith(message)
    assert report.lines()[0].startswith(f"WARN {message}") and report.lines()[-1].startswith(f"ok: policy {cls.name} passes")
