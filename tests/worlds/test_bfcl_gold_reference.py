"""``simtool bfcl gold`` equals the reference backend on all 200 entries.

Entries 0-99 are also checked against the shipped ``reference_0_99.jsonl``
(``test_bfcl_gold_replay.py``); here the reference line of every entry is computed by
``bfcl-eval``'s own classes (``bfcl_reference.reference_line``), so entries 100-199, which no
file pins, are checked too.
"""

from __future__ import annotations

import json

import pytest

from tests.worlds.bfcl_reference import reference_line, require_reference
from worlds.bfcl.compare import differences
from worlds.bfcl.corpus import read_answers, read_entries, read_jsonl
from worlds.bfcl.gold import write_gold


@pytest.fixture(scope="module")
def corpus(bfcl_dir):
    require_reference()
    return {e["id"]: e for e in read_entries(bfcl_dir)}, read_answers(bfcl_dir)


@pytest.fixture(scope="module")
def gold_lines(bfcl_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("gold") / "gold.jsonl"
    assert write_gold(bfcl_dir, out) == 200
    return {line["id"]: line for line in read_jsonl(out)}


def test_the_reference_replay_reproduces_the_shipped_reference_lines(corpus, bfcl_dir):
    entries, answers = corpus
    for ref in read_jsonl(bfcl_dir / "reference_0_99.jsonl"):
        assert differences(reference_line(entries[ref["id"]], answers[ref["id"]]), ref) == [], ref["id"]


@pytest.mark.parametrize("index", range(200))
def test_bfcl_gold_equals_the_reference_backend(corpus, gold_lines, index):
    entries, answers = corpus
    entry_id = f"multi_turn_base_{index}"
    ours = json.loads(json.dumps(gold_lines[entry_id]))
    assert differences(ours, reference_line(entries[entry_id], answers[entry_id])) == []
