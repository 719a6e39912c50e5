"""Twelve categories, each task in exactly one: the rule for BFCL entries, its table of ties, authored tasks."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from worlds.authored import DOMAINS, load_authored_tasks
from worlds.bfcl import categories
from worlds.bfcl.categories import CATEGORIES, DECIDED, category_of, tied, turn_goals
from worlds.bfcl.corpus import read_answers, read_entries
from worlds.bfcl.importer import import_corpus

DOCS = Path(__file__).resolve().parents[2] / "docs" / "bfcl-categories.md"
BFCL_CATEGORIES = ("filesystem", "math", "messaging", "social", "ticketing", "trading", "travel", "vehicle")


@pytest.fixture(scope="module")
def corpus(bfcl_dir):
    return read_entries(bfcl_dir), read_answers(bfcl_dir)


def test_there_are_twelve_categories_the_eight_bfcl_domains_and_the_four_authored():
    assert len(CATEGORIES) == 12
    assert tuple(CATEGORIES) == BFCL_CATEGORIES + tuple(DOMAINS)


def test_every_bfcl_entry_gets_exactly_one_bfcl_category_and_every_one_is_used(corpus):
    entries, answers = corpus
    found = Counter(category_of(e, answers[e["id"]]) for e in entries)
    assert sum(found.values()) == 200
    assert set(found) == set(BFCL_CATEGORIES)
    # the four helper categories can fill a three-task instance of their own
    assert min(found[c] for c in ("math", "messaging", "social", "ticketing")) >= 3


def test_every_imported_task_carries_its_category_as_its_domain(bfcl_dir, corpus):
    entries, answers = corpus
    tasks = import_corpus(bfcl_dir)
    assert [t["domain"] for t in tasks] == [category_of(e, answers[e["id"]]) for e in entries]


def test_every_authored_task_is_in_the_category_of_its_folder():
    tasks = load_authored_tasks()
    assert tasks
    assert {t["domain"] for t in tasks} == set(DOMAINS)
    assert all(t["domain"] in CATEGORIES for t in tasks)


def test_a_turn_serves_the_class_of_its_last_call(corpus):
    entries, answers = corpus
    entry = entries[47]  # find a file, average its scores, then their standard deviation
    assert turn_goals(entry, answers[entry["id"]]) == ["GorillaFileSystem", "MathAPI", "MathAPI"]
    assert category_of(entry, answers[entry["id"]]) == "math"
    assert category_of(entries[0], answers[entries[0]["id"]]) == "filesystem"


def test_the_table_of_ties_holds_every_tie_of_the_corpus_and_nothing_else(corpus):
    entries, answers = corpus
    ties = [int(e["id"].rsplit("_", 1)[1]) for e in entries if tied(e, answers[e["id"]])]
    assert ties == sorted(DECIDED)
    for number in ties:
        entry = entries[number]
        assert category_of(entry, answers[entry["id"]]) == DECIDED[number]


def test_the_docs_list_the_same_ties_with_the_same_decisions():
    rows = re.findall(r"^\| (\d+) \| [^|]+ \| (\w+) \|", DOCS.read_text(encoding="utf-8"), flags=re.M)
    assert {int(n): c for n, c in rows} == DECIDED


def test_a_tie_outside_the_table_goes_to_the_class_serving_the_latest_tied_turn(monkeypatch):
    entry = {"id": "multi_turn_long_context_1", "involved_classes": ["TwitterAPI", "GorillaFileSystem"], "path": []}
    gold = [["ls()"], ["post_tweet(content='x')"], []]
    assert tied(entry, gold)
    assert category_of(entry, gold) == "social"
    assert category_of(entry, [["post_tweet(content='x')"], ["ls()"]]) == "filesystem"
    monkeypatch.setitem(categories.DECIDED, 1, "math")  # the table holds base-corpus numbers only
    assert category_of(entry, gold) == "social"


def test_an_entry_without_gold_calls_takes_its_anchor_class_category():
    entry = {"id": "x", "involved_classes": ["MessageAPI", "TradingBot"], "path": ["TradingBot.get_current_time"]}
    assert category_of(entry, [[], []]) == "trading"


def test_the_docs_give_the_corpus_counts_per_category(corpus):
    entries, answers = corpus
    stated = re.search(r"The 200 base entries fall into: ([^(]+)\(", " ".join(DOCS.read_text(encoding="utf-8").split()))
    assert stated, "docs/bfcl-categories.md no longer states the counts"
    counts = {name: int(n) for name, n in re.findall(r"(\w+) (\d+)", stated.group(1))}
    assert counts == Counter(category_of(e, answers[e["id"]]) for e in entries)
