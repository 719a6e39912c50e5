"""A file never chooses the network or a secret: worlds, sweep specs and trace headers that try
to send a key somewhere are refused before any request, against a real local server that
records every request it gets. The command line can still turn the network on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from simtool.trace import read_trace
from tests.hardening.recorder import Recorder, recording
from tests.hardening.support import RACE, files_under, forge, simtool

VAR = "HARDEN_TEST_SECRET"
SECRET = "sk-harden-5e1f-DO-NOT-SEND"


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(VAR, SECRET)
    with recording() as recorder:
        yield recorder


def world_with(folder: Path, policy: dict, name: str = "world.yaml") -> Path:
    data = yaml.safe_load(RACE.read_text(encoding="utf-8"))
    data["policy"] = policy
    path = folder / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    (folder / "c.jsonl").write_text("", encoding="utf-8")
    return path


def spec_with(folder: Path, text: str) -> Path:
    (folder / "race.yaml").write_text(RACE.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "c.jsonl").write_text("", encoding="utf-8")
    path = folder / "spec.yaml"
    path.write_text("name: s\nworlds: [race.yaml]\nseeds: 1\n" + text, encoding="utf-8")
    return path


def live(url: str, **more: object) -> dict:
    return {"name": "llm", "llm_mode": "live", "base_url": url, "api_key_env": VAR, "max_attempts": 1, **more}


def refused(done, server: Recorder, *words: str) -> None:
    assert done.code == 2, done.text
    assert "Traceback" not in done.text and SECRET not in done.text
    assert server.requests == []
    for word in words:
        assert word in done.err, done.err


def test_a_world_file_cannot_turn_on_live_mode(server, tmp_path):
    world = world_with(tmp_path, live(server.url))
    refused(simtool("run", str(world)), server, "world.yaml", "policy.llm_mode", "--set policy.llm_mode=live")


def test_a_world_file_cannot_turn_on_record_mode(server, tmp_path):
    world = world_with(tmp_path, live(server.url, llm_mode="record", cassette="c.jsonl"))
    refused(simtool("run", str(world), "--trace", str(tmp_path / "t.jsonl")), server, "llm_mode", "--set")
    assert not (tmp_path / "t.jsonl").exists()


def test_a_world_file_choosing_the_llm_policy_cannot_rely_on_its_live_default(server, tmp_path):
    world = world_with(tmp_path, {"name": "llm", "base_url": server.url, "api_key_env": VAR})
    refused(simtool("run", str(world)), server, "makes network requests", "--set policy.llm_mode=live")


def test_live_mode_from_the_command_line_does_not_take_the_endpoint_from_the_file(server, tmp_path):
    world = world_with(tmp_path, {"name": "llm", "llm_mode": "replay", "cassette": "c.jsonl", "base_url": server.url,
                                  "api_key_env": VAR})
    refused(simtool("run", str(world), "--set", "policy.llm_mode=live"), server, "policy.base_url", "--set policy.base_url=")


def test_choosing_the_llm_policy_on_the_command_line_does_not_take_the_key_variable_from_the_file(server, tmp_path):
    world = world_with(tmp_path, {"name": "llm", "api_key_env": VAR})
    refused(simtool("run", str(world), "--policy", "llm", "--set", f"policy.base_url={server.url}"), server,
            "policy.api_key_env")


@pytest.mark.parametrize("command", [["hunt", "--seeds", "0:2", "--workers", "1"], ["compare", "--seeds", "1", "--policy", "llm"]])
def test_hunt_and_compare_refuse_a_world_that_goes_online(server, tmp_path, command):
    world = world_with(tmp_path, live(server.url))
    done = simtool(command[0], str(world), *command[1:])
    refused(done, server, "policy.llm_mode")


@pytest.mark.parametrize("text", [
    "policies: [{name: llm, llm_mode: live, base_url: URL, api_key_env: VAR}]\n",
    "policies: [llm]\nset: {policy.llm_mode: live, policy.base_url: URL, policy.api_key_env: VAR}\n",
    "policies: [{name: llm, cassette: c.jsonl, base_url: URL, api_key_env: VAR}]\ngrid: {policy.llm_mode: [replay, live]}\n",
    "policies: [{name: llm, base_url: URL, api_key_env: VAR}]\n",
], ids=["policy-options", "fixed-set", "swept-mode", "default-mode"])
def test_a_sweep_spec_cannot_go_online_and_leaves_no_folder(server, tmp_path, text):
    spec = spec_with(tmp_path, text.replace("URL", server.url).replace("VAR", VAR))
    done = simtool("sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "1")
    refused(done, server, "spec.yaml", "--set policy.")
    assert not (tmp_path / "out").exists()


def test_a_sweep_spec_cannot_choose_the_endpoint_when_the_command_line_goes_live(server, tmp_path):
    spec = spec_with(tmp_path, f"policies: [{{name: llm, base_url: '{server.url}', api_key_env: {VAR}}}]\n")
    done = simtool("sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "1", "--set", "policy.llm_mode=live")
    refused(done, server, "policy.base_url")


def forged_trace(folder: Path, policy: dict) -> Path:
    """A real trace whose header's policy is replaced (digest and config hash recomputed: a forgery)."""
    world = folder / "race.yaml"
    world.write_text(RACE.read_text(encoding="utf-8"), encoding="utf-8")
    good = folder / "good.jsonl"
    assert simtool("run", str(world), "--policy", "eager", "--trace", str(good)).code == 0
    lines = good.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    header["config"]["policy"] = policy
    path = folder / "forged.jsonl"
    path.write_text(forge([json.dumps(header)] + lines[1:]), encoding="utf-8")
    assert read_trace(path).complete  # the digest cannot tell a forgery
    return path


@pytest.mark.parametrize("mode", ["live", "record"])
def test_replay_of_a_trace_whose_header_goes_online_makes_no_request(server, tmp_path, mode):
    trace = forged_trace(tmp_path, live(server.url, llm_mode=mode, cassette="c.jsonl" if mode == "record" else ""))
    before = files_under(tmp_path)
    refused(simtool("replay", str(trace)), server, "trace header", "llm_mode")
    assert files_under(tmp_path) == before


def test_shrink_of_a_trace_whose_header_goes_online_makes_no_request(server, tmp_path):
    trace = forged_trace(tmp_path, live(server.url))
    refused(simtool("shrink", str(trace), "--invariant", "stale_result_used"), server, "llm_mode")


def test_score_reads_such_a_trace_without_any_request(server, tmp_path):
    trace = forged_trace(tmp_path, live(server.url))
    done = simtool("score", str(trace), "--json")
    assert done.code == 0, done.text
    assert server.requests == []


def test_credentials_in_a_base_url_are_refused_and_never_shown(server, tmp_path):
    url = server.url.replace("http://", "http://alice:hunter2@")
    done = simtool("run", str(RACE), "--policy", "llm", "--set", "policy.llm_mode=live", "--set", f"policy.base_url={url}",
                   "--set", f"policy.api_key_env={VAR}", "--trace", str(tmp_path / "t.jsonl"))
    refused(done, server, "credentials", "***@127.0.0.1")
    assert "hunter2" not in done.text and "alice" not in done.text
    assert list(tmp_path.iterdir()) == []


def test_a_key_with_stray_whitespace_is_refused_before_any_request(server, monkeypatch, tmp_path):
    monkeypatch.setenv(VAR, SECRET + "\n")
    done = simtool("run", str(RACE), "--policy", "llm", "--set", "policy.llm_mode=live", "--set", f"policy.base_url={server.url}",
                   "--set", f"policy.api_key_env={VAR}", "--set", "policy.max_attempts=1")
    refused(done, server, "whitespace", VAR)


def test_the_command_line_can_still_go_online_and_the_key_reaches_only_that_server(server, tmp_path):
    done = simtool("run", str(RACE), "--policy", "llm", "--set", "policy.llm_mode=live", "--set", f"policy.base_url={server.url}",
                   "--set", f"policy.api_key_env={VAR}", "--set", "policy.max_attempts=1", "--trace", str(tmp_path / "t.jsonl"))
    assert server.requests, done.text  # the recorder works: a request the user asked for arrives
    headers = {k.lower(): v for k, v in server.requests[0].headers.items()}
    assert headers["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in done.text
    partial = tmp_path / "t.jsonl.incomplete"
    assert SECRET not in partial.read_text(encoding="utf-8")


def test_a_traceback_never_shows_local_variables(monkeypatch):
    import simtool.cli as cli

    def broken(kind: str) -> list[str]:
        secret_local = SECRET  # noqa: F841
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli.registry, "names", broken)
    done = simtool("worlds")
    assert done.code == 1 and "RuntimeError: a bug" in done.err and "internal error" in done.err
    assert SECRET not in done.text
