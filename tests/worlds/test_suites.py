"""Multi-task suites: deterministic by seed, the documented mix, self-contained instances that run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from simtool.config import load_world_source
from simtool.errors import SpecError
from simtool.run import run, run_source
from simtool.scoring import score_trace, trace_from_lines
from simtool.world import parse_world
from worlds.bfcl.categories import CATEGORIES
from worlds.profiles import latency_for, load_profile
from worlds.suites import (
    DEFAULT_N,
    KINDS,
    build_suite,
    instance_world,
    kind_counts,
    kinds_for,
    parse_mix,
    parse_sizes,
    read_suite,
    suite_stats,
    task_pool,
    write_suite,
)

CORRECT_POLICIES = ("sequential", "interleave", "critical-path")


@pytest.fixture(scope="module")
def pool(bfcl_dir):
    return task_pool(bfcl_dir)


@pytest.fixture(scope="module")
def full(pool):
    return build_suite(pool, DEFAULT_N, seed=0)


def test_the_pool_holds_usable_bfcl_tasks_in_all_twelve_categories(pool):
    domains = Counter(t["domain"] for t in pool)
    assert set(domains) == set(CATEGORIES)
    assert sum(1 for t in pool if t["source"]["corpus"] == "bfcl") == 199  # bfcl-173 is filtered out
    assert all(domains[d] >= 40 for d in ("records", "datagen", "strings", "formats"))


def test_kind_counts_split_n_in_equal_shares_largest_remainder_first():
    assert kind_counts(712) == dict.fromkeys(KINDS, 178)
    assert kind_counts(40) == dict.fromkeys(KINDS, 10)
    assert kind_counts(7) == {"dual-similar": 2, "dual-cross": 2, "tri-similar": 2, "tri-cross": 1}
    assert kind_counts(0) == dict.fromkeys(KINDS, 0)


def test_the_default_suite_has_asynctools_size_and_the_documented_mix(full):
    assert len(full) == 712
    assert Counter(i["kind"] for i in full) == dict.fromkeys(KINDS, 178)
    for instance in full:
        size, composition = instance["kind"].split("-")
        assert instance["size"] == len(instance["tasks"]) == {"dual": 2, "tri": 3}[size]
        distinct = len(set(instance["domains"]))
        assert distinct == (1 if composition == "similar" else instance["size"])
        assert all(d in CATEGORIES for d in instance["domains"])
        assert len(set(instance["source_tasks"])) == instance["size"]
    assert len({tuple(sorted(i["source_tasks"])) for i in full}) == 712  # no repeated composition


def test_the_default_suite_anchors_each_of_the_twelve_categories_in_at_least_5_percent(full):
    anchored = Counter(c for instance in full for c in set(instance["domains"]))
    assert set(anchored) == set(CATEGORIES)
    assert {c: n for c, n in anchored.items() if n < 0.05 * len(full)} == {}


def test_task_ids_are_prefixed_and_unique_within_an_instance(full):
    for instance in full:
        ids = [t["id"] for t in instance["tasks"]]
        assert ids == instance["task_ids"] == [f"t{k}-{s}" for k, s in enumerate(instance["source_tasks"], 1)]


def test_same_seed_same_bytes_and_another_seed_another_suite(pool, full, tmp_path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    write_suite(full, a)
    write_suite(build_suite(pool, DEFAULT_N, seed=0), b)
    write_suite(build_suite(pool, DEFAULT_N, seed=1), c)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_another_process_builds_the_same_bytes(bfcl_dir, full, tmp_path):
    ours, theirs = tmp_path / "ours.jsonl", tmp_path / "theirs.jsonl"
    write_suite(full, ours)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-m", "simtool", "suite", "build", "--bfcl", str(bfcl_dir), "--n", "712", "--seed", "0", "--out", str(theirs)],
        check=True, env=env, capture_output=True,
    )
    assert ours.read_bytes() == theirs.read_bytes()


def test_every_instance_of_a_small_suite_passes_under_interleave_at_instant(pool):
    suite = build_suite(pool, 40, seed=5, profile="instant")
    assert Counter(i["kind"] for i in suite) == dict.fromkeys(KINDS, 10)
    for instance in suite:
        events = run({"world": instance_world(instance), "policy": {"name": "interleave"}}, 0).events()
        responds = [e for e in events if e["kind"] == "respond"]
        assert events[-2]["kind"] == "end" and events[-2]["reason"] == "all_done", instance["id"]
        assert len(responds) == sum(len(t["turns"]) for t in instance["tasks"]), instance["id"]
        failed = [(e["task"], e["turn"], e["state_diff"]) for e in responds if not (e["state_ok"] and e["results_ok"])]
        assert failed == [], instance["id"]


def _passes(instance, policy):
    events = run({"world": instance_world(instance, "instant"), "policy": {"name": policy}}, 0).events()
    responds = [e for e in events if e["kind"] == "respond"]
    failed = [(e["task"], e["turn"], e["state_diff"]) for e in responds if not (e["state_ok"] and e["results_ok"])]
    done = events[-2]["kind"] == "end" and events[-2]["reason"] == "all_done"
    return done and len(responds) == sum(len(t["turns"]) for t in instance["tasks"]) and not failed


@pytest.mark.parametrize("size", [2, 3, 4, 5])
def test_a_sample_of_every_size_passes_under_the_correct_policies_at_instant(pool, size):
    suite = build_suite(pool, 6, seed=11, sizes=[size])
    assert {i["size"] for i in suite} == {size}
    assert Counter(i["composition"] for i in suite) == {"similar": 3, "cross": 3}
    for instance in suite:
        for policy in CORRECT_POLICIES:
            assert _passes(instance, policy), (instance["id"], policy)


def test_sizes_give_every_kind_of_those_sizes_in_equal_shares(pool):
    suite = build_suite(pool, 80, seed=3, sizes=parse_sizes("2,3,4,5"))
    kinds = kinds_for([2, 3, 4, 5])
    assert kinds == ("dual-similar", "dual-cross", "tri-similar", "tri-cross", "quad-similar", "quad-cross",
                     "penta-similar", "penta-cross")
    assert Counter(i["kind"] for i in suite) == dict.fromkeys(kinds, 10)
    for instance in suite:
        assert len(instance["tasks"]) == instance["size"] == {"dual": 2, "tri": 3, "quad": 4, "penta": 5}[instance["kind"].split("-")[0]]
        assert len(set(instance["domains"])) == (1 if instance["composition"] == "similar" else instance["size"])
        assert len(set(instance["source_tasks"])) == instance["size"]


def test_mix_gives_the_weighted_counts_of_the_kinds_it_names_only(pool):
    mix = parse_mix("dual-similar=1,quad-cross=3")
    assert mix == {"dual-similar": 1.0, "quad-cross": 3.0}
    suite = build_suite(pool, 40, seed=4, mix=mix)
    assert Counter(i["kind"] for i in suite) == {"dual-similar": 10, "quad-cross": 30}


def test_a_composition_in_the_mix_weighs_it_at_every_size():
    assert parse_mix("similar=1,cross=3") == {"dual-similar": 1.0, "dual-cross": 3.0, "tri-similar": 1.0, "tri-cross": 3.0}
    assert parse_mix("cross=1", sizes=(4, 5)) == {"quad-cross": 1.0, "penta-cross": 1.0}
    assert kind_counts(8, parse_mix("similar=1,cross=3")) == {"dual-similar": 1, "dual-cross": 3, "tri-similar": 1, "tri-cross": 3}


def test_sizes_and_mix_are_deterministic_by_seed(pool):
    shape = {"sizes": [2, 4], "mix": {"dual-cross": 1, "quad-similar": 2, "quad-cross": 1}}
    a = build_suite(pool, 30, seed=9, **shape)
    assert a == build_suite(pool, 30, seed=9, **shape)
    assert [i["source_tasks"] for i in a] != [i["source_tasks"] for i in build_suite(pool, 30, seed=10, **shape)]


def test_categories_restrict_the_pool(pool):
    suite = build_suite(pool, 30, seed=2, categories=["math", "messaging", "social", "records"])
    assert {d for i in suite for d in i["domains"]} == {"math", "messaging", "social", "records"}
    with pytest.raises(SpecError, match="a tri-cross instance needs 3 categories"):
        build_suite(pool, 8, seed=0, categories=["math", "records"])


def test_bad_shapes_are_clear_errors(pool):
    with pytest.raises(SpecError, match="instance sizes are task counts from 2 to 8"):
        parse_sizes("2,9")
    with pytest.raises(SpecError, match="an instance size is given twice"):
        parse_sizes("3,3")
    with pytest.raises(SpecError, match="unknown instance kind 'duo-cross'"):
        parse_mix("duo-cross=1")
    with pytest.raises(SpecError, match="a mix entry is KIND=WEIGHT"):
        parse_mix("dual-cross")
    with pytest.raises(SpecError, match="a size not among the sizes asked for"):
        build_suite(pool, 4, sizes=[2], mix={"tri-cross": 1})
    with pytest.raises(SpecError, match="must give some kind a positive weight"):
        parse_mix("dual-cross=0")
    with pytest.raises(SpecError, match="unknown category 'cooking'"):
        build_suite(pool, 4, categories=["cooking"])


def test_stats_count_categories_kinds_sizes_and_reuse(pool):
    suite = build_suite(pool, 60, seed=1, sizes=[2, 3, 4])
    stats = suite_stats(suite)
    assert stats["instances"] == 60
    assert stats["kinds"] == Counter(i["kind"] for i in suite)
    assert stats["sizes"] == {"2": 20, "3": 20, "4": 20}
    uses = Counter(t for i in suite for t in i["source_tasks"])
    assert stats["reuse"]["tasks"] == len(uses) and stats["reuse"]["task_slots"] == sum(uses.values()) == 180
    assert stats["reuse"]["max"] == max(uses.values())
    assert sum(stats["reuse"]["histogram"].values()) == len(uses)
    for category, row in stats["categories"].items():
        assert row["instances"] == sum(1 for i in suite if category in i["domains"])
        assert row["task_slots"] == sum(i["domains"].count(category) for i in suite)
        assert row["title"] == CATEGORIES[category]


def test_an_instance_runs_from_the_suite_file_alone(pool, tmp_path, monkeypatch):
    path = tmp_path / "suite.jsonl"
    write_suite(build_suite(pool, 8, seed=2), path)
    monkeypatch.delenv("SIMTOOL_BFCL_DATA", raising=False)
    first = next(read_suite(path))
    result = run_source(f"{path}#{first['id']}", "interleave", 0)
    header = result.events()[0]["config"]["world"]
    assert header["name"] == first["id"] and header["profile"] == "saas"
    assert header["instance"]["source_tasks"] == first["source_tasks"] and header["instance"]["suite"] == "suite.jsonl"
    assert [t["id"] for t in header["tasks"]] == first["task_ids"]


def test_the_profile_latency_is_inlined_for_the_instance_services_only(pool, tmp_path):
    path = tmp_path / "suite.jsonl"
    write_suite(build_suite(pool, 8, seed=2, profile="lan"), path)
    first = next(read_suite(path))
    services = sorted({s for t in first["tasks"] for s in t["services"]})
    world, _ = load_world_source(f"{path}#{first['id']}")
    assert world["latency"] == latency_for(load_profile("lan"), services)
    assert set(world["latency"].get("services", {})) <= set(services)
    other, _ = load_world_source(f"{path}#{first['id']}@ci-queue")
    assert other["profile"] == "ci-queue" and other["horizon_ms"] == load_profile("ci-queue")["horizon_ms"]


def test_unknown_instances_and_profiles_are_clear_errors(pool, tmp_path):
    path = tmp_path / "suite.jsonl"
    write_suite(build_suite(pool, 3, seed=0), path)
    with pytest.raises(SpecError, match=r"suite.jsonl: no instance 'nope' in the suite \(expected 0000-"):
        load_world_source(f"{path}#nope")
    with pytest.raises(SpecError, match="unknown latency profile 'slow'"):
        load_world_source(f"{path}#{next(read_suite(path))['id']}@slow")
    with pytest.raises(SpecError, match="unknown latency profile"):
        build_suite(pool, 3, profile="slow")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "kind": "dual-cross", "tasks": []}) + "\n{not json\n")
    with pytest.raises(SpecError, match=r"bad.jsonl:2: not a JSON line"):
        load_world_source(f"{bad}#y")


def test_a_pool_too_small_for_a_kind_says_so():
    tiny = [{"id": "a", "domain": "records"}, {"id": "b", "domain": "strings"}]
    with pytest.raises(SpecError, match="no category has [23] tasks for a (dual|tri)-similar instance"):
        build_suite(tiny, 4, seed=0)  # whichever similar kind the seed's order draws first
    with pytest.raises(SpecError, match="no category has 2 tasks for a dual-similar instance"):
        build_suite(tiny, 4, seed=0, mix={"dual-similar": 1, "dual-cross": 0, "tri-similar": 0, "tri-cross": 0})
    with pytest.raises(SpecError, match="a tri-cross instance needs 3 categories"):
        build_suite(tiny, 4, seed=0, mix={"dual-similar": 0, "dual-cross": 0, "tri-similar": 0, "tri-cross": 1})


def test_every_instance_of_the_default_suite_loads_from_its_file(full, tmp_path):
    # A suite file holds canonical JSON (sorted keys): no scenario may depend on key order.
    path = tmp_path / "suite.jsonl"
    write_suite(full, path)
    refused = []
    for instance in read_suite(path):
        try:
            parse_world(*load_world_source(f"{path}#{instance['id']}"))
        except SpecError as exc:
            refused.append((instance["id"], str(exc)[:120]))
    assert refused == []


def test_a_filesystem_task_with_two_top_level_folders_keeps_its_root_through_a_suite_file(full, tmp_path):
    # bfcl-33's root is `project`, listed before `backup_scripts`; sorted keys put it second.
    instance = next(i for i in full if i["id"] == "0552-dual-cross")
    assert "bfcl-33" in instance["source_tasks"]
    path = tmp_path / "suite.jsonl"
    write_suite([instance], path)
    world, where = load_world_source(f"{path}#0552-dual-cross")
    parse_world(world, where)  # its gold path runs: the gold check accepts the world
    task = next(t for t in instance["tasks"] if t["id"].endswith("bfcl-33"))
    assert list(task["initial_config"]["GorillaFileSystem"]["root"]) == ["project"]
    lines = run({"world": world, "policy": {"name": "sequential"}}, 0).lines
    assert score_trace(trace_from_lines(lines))["instance_success"] is True
