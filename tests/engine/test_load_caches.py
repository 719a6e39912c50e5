"""Per-process caches of parsed YAML, latency profiles and entry points: same rows as uncached
loads, and a changed file is read again."""

from __future__ import annotations

import os
from pathlib import Path

from simtool import registry
from simtool.config import run_config
from simtool.run import run
from simtool.yamlspec import PARSED, load_yaml
from worlds.profiles import LOADED, load_profile
from worlds.suites import instance_world

WORLD = """\
name: tiny
tasks:
  - id: a
    services: [Ticketing]
"""


def _trace(world: str | None, policy: str, seed: int) -> list[str]:
    config, where = run_config(world, policy)
    return list(run(config, seed, where=where).lines)


def test_cached_world_loads_give_the_same_trace_as_uncached_ones() -> None:
    PARSED.clear()
    LOADED.clear()
    uncached = _trace(None, "interleave", 3)
    cached = _trace(None, "interleave", 3)
    assert len(PARSED) >= 1
    assert cached == uncached


def test_cached_profile_gives_the_same_suite_world_as_uncached() -> None:
    instance = {"id": "x", "kind": "2x", "tasks": [{"id": "t", "services": ["TicketAPI"], "turns": []}]}
    LOADED.clear()
    PARSED.clear()
    first = instance_world(instance, "saas")
    assert len(LOADED) == 1
    again = instance_world(instance, "saas")
    assert again == first
    LOADED.clear()
    PARSED.clear()
    assert instance_world(instance, "saas") == first


def test_a_cached_value_is_not_changed_by_its_users() -> None:
    profile = load_profile("saas")
    profile["latency"]["scale"] = 999
    profile["latency"].clear()
    assert load_profile("saas") != profile
    assert load_profile("saas")["latency"]


def test_a_changed_yaml_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(WORLD)
    first, _ = load_yaml(path)
    first["name"] = "changed by a user"
    assert load_yaml(path)[0]["name"] == "tiny"
    path.write_text(WORLD.replace("tiny", "renamed"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a new version even within one clock tick
    data, where = load_yaml(path)
    assert data["name"] == "renamed"
    assert where.line(("name",)) == 1


def test_a_yaml_error_is_not_cached(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: [1,\n")
    for _ in range(2):
        try:
            load_yaml(path)
        except Exception as exc:  # noqa: BLE001 - the same SpecError each time
            assert "not valid YAML" in str(exc)
        else:
            raise AssertionError("a broken file must fail each time it is loaded")


def test_entry_points_are_scanned_again_when_sys_path_changes(tmp_path: Path, monkeypatch) -> None:
    before = registry.names("policy")
    info = tmp_path / "extra_policy-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-policy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[simtool.policies]\nextra-test-policy = policies.scripted:Sequential\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    after = registry.names("policy")
    assert "extra-test-policy" in after and "extra-test-policy" not in before
    assert set(before) < set(after)
