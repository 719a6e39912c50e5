"""The parts of the trust rules: URL redaction, files named by files, caps, a recorded LLM run
travelling with its cassette to another folder, and the YAML alias budget."""

from __future__ import annotations

import shutil

import pytest

from simtool.errors import SpecError
from simtool.limits import Limits, current_limits, limits_in_force, parse_limits
from simtool.run import replay, run
from simtool.trust import check_url, files_beside, locate_named_file, redact_url
from simtool.yamlspec import MAX_YAML_VALUES, load_yaml_text
from tests.llm.conftest import KEY_ENV, SECRET, WORLD, llm_config
from tests.llm.fake_model import Brain, ModelServer, plans_of


def test_redact_url_hides_the_user_and_password_only():
    assert redact_url("https://bob:pw@host:8/v1?x=1") == "https://***@host:8/v1?x=1"
    assert redact_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"


def test_check_url_refuses_credentials_without_quoting_them():
    with pytest.raises(SpecError) as info:
        check_url("http://bob:s3cret@h/v1", "policy.base_url")
    assert "s3cret" not in str(info.value) and "***@h" in str(info.value)
    check_url("http://h/v1", "policy.base_url")


def test_a_named_file_resolves_beside_the_file_naming_it(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "c.jsonl").write_text("")
    with files_beside(tmp_path):
        assert locate_named_file("runs/elsewhere/c.jsonl") == tmp_path / "c.jsonl"  # by its bare name
        assert locate_named_file("/etc/passwd") == tmp_path / "passwd"  # never the absolute path
    assert str(locate_named_file("c.jsonl")) == "c.jsonl"  # outside: as given (the command line's)


def test_caps_come_from_the_command_line_over_the_environment(monkeypatch):
    monkeypatch.setenv("SIMTOOL_LIMITS", "horizon_ms=5,trace_lines=7")
    assert current_limits() == Limits(horizon_ms=5, trace_lines=7)
    with limits_in_force(["trace_lines=9"]) as caps:
        assert caps == current_limits() == Limits(horizon_ms=5, trace_lines=9)
    assert parse_limits(["fault_events=1_000"]).fault_events == 1000
    with pytest.raises(SpecError, match="--limit"):
        parse_limits(["horizon_ms=0"])


def test_a_world_above_a_cap_runs_once_the_cap_is_raised(tmp_path):
    from simtool.run import run_source

    world = tmp_path / "w.yaml"
    world.write_text(WORLD.read_text(encoding="utf-8") + "horizon_ms: 700000000\n", encoding="utf-8")
    with pytest.raises(SpecError, match="horizon_ms"):
        run_source(str(world), "eager", 0)
    with limits_in_force(["horizon_ms=700000000"]):
        assert run_source(str(world), "eager", 0).end_reason == "all_done"


def test_aliases_within_the_budget_load_and_beyond_it_are_refused():
    data, _ = load_yaml_text("a: &a {x: 1}\nb: [*a, *a]\n")
    assert data == {"a": {"x": 1}, "b": [{"x": 1}, {"x": 1}]}
    wide = "a: &a [" + ", ".join(["1"] * 1000) + "]\nb: [" + ", ".join(["*a"] * (MAX_YAML_VALUES // 1000 + 1)) + "]\n"
    with pytest.raises(SpecError, match="^w.yaml:2: the YAML expands to too many values"):  # b's line: where it explodes
        load_yaml_text(wide, "w.yaml")


def test_a_recorded_run_replays_from_another_folder_with_its_cassette_beside_it(tmp_path, monkeypatch):
    from simtool.world import parse_world
    from simtool.yamlspec import load_yaml

    data, where = load_yaml(WORLD)
    server = ModelServer(Brain(plans_of(parse_world(data, where))))
    monkeypatch.setenv(KEY_ENV, SECRET)
    try:
        recorded = tmp_path / "rec"
        config = llm_config(server.openai_url, cassette=str(recorded / "run.cassette.jsonl"), llm_mode="record")
        run(config, 2, recorded / "run.jsonl")
    finally:
        server.stop()
    monkeypatch.delenv(KEY_ENV)
    moved = tmp_path / "shared-with-a-colleague"
    shutil.copytree(recorded, moved)
    shutil.rmtree(recorded)
    assert replay(moved / "run.jsonl").identical


def test_a_cassette_that_is_a_fifo_is_an_error_not_a_hang(tmp_path):
    import os

    from policies.llm.cassette import Cassette, CassetteError

    fifo = tmp_path / "c.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(CassetteError, match="regular file"):
        Cassette(fifo, must_exist=True)


def test_a_cassette_line_that_is_not_utf8_names_the_line(tmp_path):
    from policies.llm.cassette import Cassette, CassetteError

    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"key": "k", "request": {}, "response": {}}\n\xff\xfe\n')
    with pytest.raises(CassetteError, match="c.jsonl:2: not UTF-8"):
        Cassette(path, must_exist=True)


def test_a_base_url_with_credentials_given_in_python_is_used_but_never_recorded(tmp_path):
    from policies.llm import LLMPolicy

    policy = LLMPolicy({"base_url": "http://bob:s3cret@127.0.0.1:9/v1", "llm_mode": "replay",
                        "cassette": str(tmp_path / "c.jsonl")})
    assert policy.settings.base_url == "http://bob:s3cret@127.0.0.1:9/v1"  # what the client connects with
    assert policy.header_options()["base_url"] == "http://***@127.0.0.1:9/v1"  # what the trace header records
