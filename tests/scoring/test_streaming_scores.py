"""Scores computed in one streaming pass equal the scores of the plain in-memory scorer.

``score_trace(path)`` reads a file line by line into a slim history; ``score_trace(Trace)``
indexes a trace held in memory. Both must give exactly the records of the scorer as it was
before (``tests/scoring/oracle``) on the project's reference traces: every world and example,
every scripted policy, tie-shuffle, every enforcement mode and suite instances at two
profiles (every thirteenth case: a stride that no grid of the cases divides), whole and cut mid-run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simtool.scoring import History, register_invariant, score_trace, trace_from_lines, unregister_invariant
from simtool.scoring.history import SCORED_KEYS, history_of
from simtool.scoring.score import scored_history
from simtool.trace import INCOMPLETE_SUFFIX, TraceError, TraceWriter, read_trace, stream_trace
from tests.conftest import bfcl_path
from tests.reference.cases import cases, trace_bytes
from tests.scoring.oracle.score import score_trace as oracle_score

_BFCL = bfcl_path()
SPREAD = [case for i, case in enumerate(cases(with_suite=_BFCL is not None)) if i % 13 == 0]


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "run.jsonl"
    path.write_bytes(data)
    return path


def _cut(path: Path) -> Path:
    """The first two thirds of the trace's lines, as a run killed mid-way leaves them."""
    lines = path.read_bytes().splitlines(keepends=True)
    partial = path.with_name(path.name + INCOMPLETE_SUFFIX)
    partial.write_bytes(b"".join(lines[: max(2, 2 * len(lines) // 3)]))
    path.unlink()
    return partial


@pytest.mark.parametrize("case", SPREAD, ids=lambda c: c.key)
def test_streamed_scores_equal_the_in_memory_scorers_on_reference_traces(case, tmp_path):
    data = trace_bytes(case, _BFCL)
    path = _write(tmp_path, data)
    expected = oracle_score(str(path))
    assert score_trace(path) == expected
    assert score_trace(trace_from_lines(data.decode("utf-8").splitlines(), str(path))) == expected
    partial = _cut(path)
    assert score_trace(partial) == oracle_score(str(partial))


def test_the_spread_covers_worlds_policies_faults_and_suite_instances():
    keys = [case.key for case in SPREAD]
    assert len(SPREAD) >= 50
    assert len({case.policy for case in SPREAD}) >= 6
    assert len({case.world for case in SPREAD if case.world}) >= 8
    assert any("enforcement=" in k for k in keys) and any("shuffle=True" in k for k in keys)
    if _BFCL is not None:
        assert {case.profile for case in SPREAD if case.suite_index is not None} == {"saas", "ci-queue"}


def _reference_file(tmp_path: Path, key: str = "docs/examples/race.yaml|eager|0|shuffle=False") -> Path:
    case = next(c for c in cases(with_suite=False) if c.key == key)
    return _write(tmp_path, trace_bytes(case, None))


def test_a_file_is_scored_from_a_slim_history_of_only_what_scores_read(tmp_path):
    h = scored_history(_reference_file(tmp_path))
    assert h.slim and h.events == ()
    calls = list(h.calls.values())
    assert calls and all(set(c.issue) <= set(SCORED_KEYS["issue"]) for c in calls)
    assert all(set(c.deliver) <= set(SCORED_KEYS["deliver"]) for c in calls if c.deliver is not None)
    assert all(set(d) <= {*SCORED_KEYS["decide"], "actions"} for d in h.decisions)
    assert all(set(a) <= {"op", "task", "uses"} for d in h.decisions for a in d.get("actions") or [])
    assert h.activity is not None


def test_a_users_own_scored_check_is_given_the_whole_events(tmp_path):
    path = _reference_file(tmp_path)
    seen: list[History] = []

    def results_delivered(h: History) -> list:
        seen.append(h)
        return [e for e in h.events if e["kind"] == "deliver" and "result" in e]

    register_invariant("results_delivered", results_delivered)
    try:
        score = score_trace(path)
    finally:
        unregister_invariant("results_delivered")
    assert not seen[0].slim
    assert score["violations"]["results_delivered"] == sum(1 for e in seen[0].events if e["kind"] == "deliver") > 0
    assert scored_history(path).slim  # and once it is gone, files are streamed again


def test_a_trace_whose_header_lists_no_tasks_is_scored_from_its_whole_events(tmp_path):
    source = _reference_file(tmp_path, "tests/scoring/worlds/three-desks.yaml|interleave|0|shuffle=False")
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    header = records[0]
    header["config"]["world"]["tasks"] = []  # a hand-made trace: the tasks are known from the events only
    writer = TraceWriter(tmp_path / "bare.jsonl")
    for record in records[:-1]:
        writer.write(record)
    writer.finish()
    h = scored_history(tmp_path / "bare.jsonl")
    assert not h.slim
    assert score_trace(tmp_path / "bare.jsonl") == oracle_score(str(tmp_path / "bare.jsonl"))


def test_a_history_in_memory_is_scored_as_it_is(tmp_path):
    path = _reference_file(tmp_path)
    h = history_of(path)
    assert scored_history(h) is h
    assert score_trace(h) == score_trace(path) == oracle_score(str(path))


def test_scoring_a_file_holds_less_than_three_times_its_size(tmp_path):
    """Peak memory of the Python objects made while scoring a 4,000-line trace (the previous
    scorer held about eleven times the file: every event parsed and kept)."""
    import tracemalloc

    from simtool.run import run

    tasks = [{"id": f"t{k}", "services": ["TicketAPI"],
              "initial_config": {"TicketAPI": {"current_user": "bench", "ticket_counter": 1, "ticket_queue": []}},
              "turns": [{"request": "file tickets", "gold": [f"create_ticket(title='ticket {i}')" for i in range(50)]}]}
             for k in range(20)]
    world = {"name": "long", "tasks": tasks, "max_decisions": 10**4,
             "latency": {"default": {"request": {"dist": "lognormal", "median": 80, "sigma": 0.6}, "response": 80}}}
    path = tmp_path / "long.jsonl"
    run({"world": world, "policy": {"name": "interleave", "think": 5}}, 0, path, keep_lines=False)
    assert sum(1 for _ in path.open("rb")) > 4000
    score_trace(path)  # imports and caches outside the measurement
    tracemalloc.start()
    try:
        score = score_trace(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert score["calls"] == 1000 and score["complete"]
    assert peak < 3 * path.stat().st_size, f"peak {peak} bytes for a {path.stat().st_size}-byte trace"
    assert score == oracle_score(str(path))  # a long run: think spans long passed are let go on the way


def test_a_stream_hands_out_the_events_then_knows_the_footer(tmp_path):
    path = _reference_file(tmp_path)
    stream = stream_trace(path)
    assert stream.header["kind"] == "header" and stream.footer is None
    events = list(stream)
    whole = read_trace(path)
    assert events == list(whole.events) and stream.complete and stream.footer == whole.footer


def test_a_file_changed_after_it_was_written_is_refused_when_the_stream_ends(tmp_path):
    path = _reference_file(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace('"t":', '"t": ', 1)  # same event, other bytes: the digest no longer matches
    path.write_text("".join(lines), encoding="utf-8")
    stream = stream_trace(path)
    with pytest.raises(TraceError, match="footer digest does not match"):
        for _ in stream:
            pass
    with pytest.raises(TraceError, match="footer digest does not match"):
        score_trace(path)


def test_a_file_that_is_no_trace_is_refused_when_the_stream_opens(tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text('{"kind":"note","t":0}\n', encoding="utf-8")
    with pytest.raises(TraceError, match=r"notes\.jsonl:1: a trace starts with a header line"):
        stream_trace(path)
