"""The keys a call's arguments are matched by (issue 17, the hunt part): each must be equal exactly
when the plain comparison it replaces says so, and the checks built on them must give the plain
scorer's answers (``tests/scoring/oracle``), on arguments where ``==`` and ``repr`` disagree."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from simtool.scoring.history import history_of, trace_from_lines
from simtool.scoring.violations import _frozen, _keys, dependency_violation, gold_steps
from simtool.trace import canonical
from tests.scoring.oracle import history as oracle_history
from tests.scoring.oracle import violations as oracle

# values JSON holds that ``==`` and ``repr`` tell apart differently: 1 == 1.0 == true, 0.0 == -0.0
TRICKY = [1, 1.0, True, 0, 0.0, -0.0, False, None, "1", [1], [1.0], [True], {"y": 1}, {"y": 1.0}]
ARGS = st.dictionaries(st.sampled_from(["x", "y"]), st.sampled_from(TRICKY), max_size=2)


@settings(max_examples=300, deadline=None)
@given(ARGS, ARGS)
def test_argument_keys_are_equal_exactly_when_the_arguments_are_and_when_their_sorted_reprs_are(a, b):
    (match_a, delivery_a), (match_b, delivery_b) = _keys(a), _keys(b)
    assert (match_a == match_b) == (_frozen(a) == _frozen(b))
    assert (delivery_a == delivery_b) == (repr(sorted(a.items())) == repr(sorted(b.items())))


def _trace(gold: list[list[dict[str, Any]]], calls: list[dict[str, Any]]) -> list[str]:
    """A one-task trace: a sub-task start per epoch of ``gold``, then the calls, each delivered at once, late or never."""
    header = {"kind": "header", "seed": 0, "config": {"world": {"tasks": [{"id": "t1", "turns": [{"request": "r"}]}]}}}
    events: list[dict[str, Any]] = []
    for epoch, steps in enumerate(gold):
        events.append({"kind": "subtask_start", "task": "t1", "turn": 0, "epoch": epoch, "gold": steps})
    late = []
    for i, call in enumerate(calls):
        issue = {"kind": "issue", "call_id": f"c{i}", "task": "t1", "turn": 0, "epoch": call["epoch"],
                 "tool": call["tool"], "args": call["args"]}
        deliver = {"kind": "deliver", "call_id": f"c{i}", "task": "t1"}
        events.append(issue)
        if call["deliver"] == "soon":
            events.append(deliver)
        elif call["deliver"] == "late":
            late.append(deliver)
    events += late
    return [canonical(header)] + [canonical({**e, "seq": seq, "t": seq}) for seq, e in enumerate(events)]


STEP = st.fixed_dictionaries({"tool": st.sampled_from(["a", "b"]), "args": ARGS})
GOLD = st.lists(st.lists(STEP, min_size=1, max_size=3), min_size=1, max_size=2).map(
    lambda epochs: [[{**s, "after": list(range(j))} for j, s in enumerate(steps)] for steps in epochs])
# values equal by ``==`` whose reprs differ: a call may name a gold step's argument by any of them
TWINS = [[1, 1.0, True], [0, 0.0, -0.0, False], [[1], [1.0], [True]], [{"y": 1}, {"y": 1.0}]]


def _twin(value: Any, pick: int) -> Any:
    group = next((g for g in TWINS if any(value == v and repr(value) == repr(v) for v in g)), [value])
    return group[pick % len(group)]


@st.composite
def _calls(draw: Any, gold: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Calls that mostly perform gold steps, in any order, each argument as given or by a twin."""
    calls = []
    for _ in range(draw(st.integers(0, 5))):
        epoch = draw(st.integers(0, len(gold) - 1))
        if draw(st.booleans()):
            step = draw(st.sampled_from(gold[epoch]))
            tool, args = step["tool"], {k: _twin(v, draw(st.integers(0, 3))) for k, v in step["args"].items()}
        else:
            tool, args = draw(st.sampled_from(["a", "b"])), draw(ARGS)
        calls.append({"tool": tool, "args": args, "epoch": epoch, "deliver": draw(st.sampled_from(["soon", "late", "never"]))})
    return calls


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_gold_steps_and_dependency_violations_on_tricky_arguments_are_the_plain_scorers(data):
    gold = data.draw(GOLD)
    lines = _trace(gold, data.draw(_calls(gold)))
    h = history_of(trace_from_lines(lines))
    plain = oracle_history.history_of(oracle_history.trace_from_lines(lines))
    assert gold_steps(h) == oracle.gold_steps(plain)
    found = [(o.seq, o.why, o.call_ids) for o in dependency_violation(h)]
    assert found == [(o.seq, o.why, o.call_ids) for o in oracle.dependency_violation(plain)]


def _violations(gold: list[list[dict[str, Any]]], calls: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    lines = _trace(gold, calls)
    h = history_of(trace_from_lines(lines))
    plain = oracle_history.history_of(oracle_history.trace_from_lines(lines))
    return [o.why for o in dependency_violation(h)], [o.why for o in oracle.dependency_violation(plain)]


def test_a_step_delivered_with_the_gold_steps_float_argument_is_delivered():
    gold = [[{"tool": "a", "args": {"x": 1.5, "y": [1]}, "after": []}, {"tool": "b", "args": {"x": 1}, "after": [0]}]]
    calls = [{"tool": "a", "args": {"x": 1.5, "y": [1]}, "epoch": 0, "deliver": "soon"},
             {"tool": "b", "args": {"x": 1}, "epoch": 0, "deliver": "soon"}]
    assert _violations(gold, calls) == ([], [])


def test_a_step_performed_with_an_equal_argument_of_another_type_is_not_delivered_as_that_step():
    gold = [[{"tool": "a", "args": {"x": 1}, "after": []}, {"tool": "b", "args": {"x": 1}, "after": [0]}]]
    calls = [{"tool": "a", "args": {"x": 1.0}, "epoch": 0, "deliver": "soon"},  # performs step 0 (1.0 == 1)
             {"tool": "b", "args": {"x": 1}, "epoch": 0, "deliver": "soon"}]
    ours, plain = _violations(gold, calls)
    assert ours == plain == ["c1 (b, step 1) issued before step 0 (a) was delivered"]
