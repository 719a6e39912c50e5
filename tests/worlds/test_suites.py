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
from worlds.profiles import latency_for, load_profile
from worlds.suites import DEFAULT_N, KINDS, build_suite, instance_world, kind_counts, read_suite, task_pool, write_suite


@pytest.fixture(scope="module")
def pool(bfcl_dir):
    return task_pool(bfcl_dir)


@pytest.fixture(scope="module")
def full(pool):
    return build_suite(pool, DEFAULT_N, seed=0)


def test_the_pool_holds_usable_bfcl_tasks_and_every_authored_domain(pool):
    domains = Counter(t["domain"] for t in pool)
    assert set(domains) == {"filesystem", "vehicle", "trading", "travel", "records", "datagen", "strings", "formats"}
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
        assert len(set(instance["source_tasks"])) == instance["size"]
    assert len({tuple(sorted(i["source_tasks"])) for i in full}) == 712  # no repeated composition


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
    with pytest.raises(SpecError, match="no domain has 2 tasks for a dual-similar instance"):
        build_suite(tiny, 4, seed=0)
    with pytest.raises(SpecError, match="a tri-cross instance needs 3 domains"):
        build_suite(tiny, 4, seed=0, mix={"dual-similar": 0, "dual-cross": 0, "tri-similar": 0, "tri-cross": 1})
