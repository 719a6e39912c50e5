"""The dependency rule on BFCL entries 0-99: filesystem tasks are chains where ``cd`` matters,
read-only lookups are independent, and every gold path replays to the reference states in
any order its partial order allows (several linearisations per turn)."""

from __future__ import annotations

import random

import pytest

from simtool.dependencies import dependencies, linearisations
from simtool.service import normalize
from worlds.bfcl.compare import differences
from worlds.bfcl.corpus import read_answers, read_entries, read_jsonl
from worlds.bfcl.gold import instantiate, replay_entry, tool_owner
from worlds.bfcl.importer import check_task, import_entry

ORDERS = 6  # linearisations per turn, the gold order first


@pytest.fixture(scope="module")
def corpus(bfcl_dir):
    entries = {e["id"]: e for e in read_entries(bfcl_dir)}
    answers = read_answers(bfcl_dir)
    reference = {r["id"]: r for r in read_jsonl(bfcl_dir / "reference_0_99.jsonl")}
    return entries, answers, reference


def _edges(entry, gold):
    """Each turn's dependency relation, its data flow read from the gold-order replay."""
    spec = check_task(import_entry(entry, gold))
    services = instantiate(entry["involved_classes"], entry.get("initial_config") or {})
    out = []
    for turn in spec.turns:
        results = []
        for g in turn.gold:
            owner = tool_owner(services, g.tool)
            results.append(normalize(services[owner].invoke(g.tool, dict(g.args)).value))
        out.append(dependencies(turn.gold, spec.tools, results, spec.strict))
    return out


def _replay_in_order(entry, gold, orders):
    """``replay_entry`` with each turn's calls issued in ``orders[t]``, its calls put back in gold order."""
    permuted = [[calls[i] for i in order] for calls, order in zip(gold, orders)]
    line = replay_entry(entry, permuted)
    for turn, order in zip(line["turns"], orders):
        back = [None] * len(order)
        for pos, i in enumerate(order):
            back[i] = turn["calls"][pos]
        turn["calls"] = back
    return line


@pytest.mark.parametrize("index", range(100))
def test_every_linearisation_replays_to_the_reference(corpus, index):
    entries, answers, reference = corpus
    entry_id = f"multi_turn_base_{index}"
    entry, gold = entries[entry_id], answers[entry_id]
    edges = _edges(entry, gold)
    rng = random.Random(index)
    per_turn = [linearisations(e, ORDERS, rng.choice) for e in edges]
    for k in range(ORDERS):
        orders = [turn_orders[k] for turn_orders in per_turn]
        assert differences(_replay_in_order(entry, gold, orders), reference[entry_id]) == [], orders


def test_filesystem_turns_with_cd_are_chains_where_cd_matters(corpus):
    entries, answers, _ = corpus
    seen = 0
    for index in range(50):
        entry_id = f"multi_turn_base_{index}"
        spec = check_task(import_entry(entries[entry_id], answers[entry_id]))
        for turn, edges in zip(spec.turns, _edges(entries[entry_id], answers[entry_id])):
            for j, g in enumerate(turn.gold):
                if g.service != "GorillaFileSystem":
                    continue
                for i in range(j):
                    if turn.gold[i].tool == "cd" and turn.gold[i].service == g.service:
                        assert i in edges[j], (entry_id, turn.gold[i].text, g.text)
                        seen += 1
    assert seen > 50


def test_read_only_lookups_are_independent(corpus):
    entries, answers, _ = corpus
    pairs = 0
    for index in range(100):
        entry_id = f"multi_turn_base_{index}"
        spec = check_task(import_entry(entries[entry_id], answers[entry_id]))
        for turn, edges in zip(spec.turns, _edges(entries[entry_id], answers[entry_id])):
            reads = [j for j, g in enumerate(turn.gold) if not spec.tools[g.tool].writes]
            for a in reads:
                for b in reads:
                    if a < b and turn.gold[a].service == turn.gold[b].service and a not in edges[b]:
                        pairs += 1
    assert pairs > 10  # e.g. several stock quotes of one turn


def test_some_turns_are_neither_chains_nor_all_independent(corpus):
    entries, answers, _ = corpus
    shapes = set()
    for index in range(100):
        entry_id = f"multi_turn_base_{index}"
        for edges in _edges(entries[entry_id], answers[entry_id]):
            if len(edges) >= 2:
                chain = all(set(range(j)) <= set(deps) | {i for d in deps for i in range(d)} for j, deps in enumerate(edges))
                shapes.add("chain" if chain else "partial")
    assert shapes == {"chain", "partial"}
