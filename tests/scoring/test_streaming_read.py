"""Traces read at orjson's speed with the standard library's values, and scores from a streamed
read equal to scores from the whole trace read with the standard library."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from simtool.jsonl import loads
from simtool.scoring.score import score_trace
from simtool.trace import FORMAT, Trace, TraceError, read_trace
from tests.conftest import bfcl_path
from tests.reference.cases import cases, trace_bytes

_BFCL = bfcl_path()
# every 12th reference case (the suite ones when the corpus is there): every world and policy kind
_CASES = [c for i, c in enumerate(cases(with_suite=_BFCL is not None)) if i % 12 == 0]


def _standard_trace(path: Path) -> Trace:
    """The trace as read before streaming: the whole text, every line by ``json.loads``."""
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    records = [json.loads(line) for line in lines]
    footer = records[-1] if records[-1].get("kind") == "footer" else None
    return Trace(str(path), records[0], tuple(records[1:-1] if footer else records[1:]), footer, tuple(lines))


@pytest.mark.parametrize("case", _CASES, ids=lambda c: c.key)
def test_streamed_scores_equal_scores_of_the_standard_read(case, tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_bytes(trace_bytes(case, _BFCL))
    assert score_trace(path) == score_trace(_standard_trace(path))


def test_an_integer_beyond_64_bits_reads_exactly() -> None:
    big = 2**70
    assert loads(f'{{"n":{big},"m":-{big}}}') == {"n": big, "m": -big}
    assert loads(b'{"n":%d}' % big) == {"n": big}
    assert type(loads(b'{"n":%d}' % big)["n"]) is int


def test_what_orjson_refuses_reads_as_the_standard_library_reads_it() -> None:
    assert loads('{"a":NaN}')["a"] != loads('{"a":NaN}')["a"]  # NaN, as json.loads gives it
    assert loads('"\\ud800"') == json.loads('"\\ud800"')
    with pytest.raises(json.JSONDecodeError):
        loads("{not json")


def _write_trace(path: Path, events: list[dict]) -> None:
    lines = [json.dumps({"kind": "header", "format": FORMAT, "seed": 1, "config": {"world": {}, "policy": {}}}, sort_keys=True, separators=(",", ":"))]
    lines += [json.dumps(e, sort_keys=True, separators=(",", ":")) for e in events]
    body = "".join(line + "\n" for line in lines)
    footer = json.dumps({"kind": "footer", "lines": len(lines), "digest": hashlib.sha256(body.encode()).hexdigest()}, sort_keys=True, separators=(",", ":"))
    path.write_text(body + footer + "\n")


def test_a_trace_line_with_a_huge_integer_reads_exactly_and_verifies(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    _write_trace(path, [{"kind": "note", "seq": 1, "t": 0, "value": 2**70}])
    for keep in (True, False):
        trace = read_trace(path, keep_lines=keep)
        assert trace.events[0]["value"] == 2**70
        assert trace.complete


def test_a_changed_line_fails_the_streamed_digest(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _write_trace(path, [{"kind": "note", "seq": 1, "t": 0, "value": 5}])
    path.write_text(path.read_text().replace('"value":5', '"value":6'))
    with pytest.raises(TraceError, match="digest"):
        read_trace(path, keep_lines=False)


def test_a_torn_last_line_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _write_trace(path, [{"kind": "note", "seq": 1, "t": 0}])
    text = path.read_text()
    path.write_text(text[: text.rindex("{") + 5])  # the footer cut mid-write
    trace = read_trace(path)
    assert not trace.complete and len(trace.lines) == 2 and len(trace.events) == 1


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"kind":"header","seed":0,"config":{}}\n{oops\n')
    with pytest.raises(TraceError, match=r"t\.jsonl:2: not a JSON line"):
        read_trace(path, keep_lines=False)


@pytest.mark.parametrize("value", [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**18, 2**70])
def test_integers_at_the_64_bit_edges_read_exactly(value: int) -> None:
    assert loads(f'[{value}]') == [value] and type(loads(f'[{value}]')[0]) is int
