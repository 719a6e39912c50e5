"""The gold path of every entry 0-99 replays through simtool's services exactly as the reference."""

from __future__ import annotations

import json

import pytest

from worlds.bfcl.compare import differences
from worlds.bfcl.corpus import read_answers, read_entries, read_jsonl
from worlds.bfcl.gold import replay_entry


@pytest.fixture(scope="module")
def corpus(bfcl_dir):
    entries = {e["id"]: e for e in read_entries(bfcl_dir)}
    answers = read_answers(bfcl_dir)
    reference = list(read_jsonl(bfcl_dir / "reference_0_99.jsonl"))
    return entries, answers, reference


def test_reference_file_covers_entries_0_to_99(corpus):
    _, _, reference = corpus
    assert [r["id"] for r in reference] == [f"multi_turn_base_{i}" for i in range(100)]


@pytest.mark.parametrize("index", range(100))
def test_gold_replay_matches_reference(corpus, index):
    entries, answers, reference = corpus
    ref = reference[index]
    ours = replay_entry(entries[ref["id"]], answers[ref["id"]])
    assert json.loads(json.dumps(ours))["id"] == ref["id"]
    assert differences(ours, ref) == []
