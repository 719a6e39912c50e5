"""Every bad input is a clear error: exit code 2, one paragraph naming what is wrong, never a
traceback, and no file left behind. One case per mistake, over every command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from simtool.run import run_source
from tests.hardening.support import copy_race, files_under, forge, simtool

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
SPEC = "name: s\nworlds: [race.yaml]\npolicies: [interleave]\nseeds: 1\n"


@pytest.fixture(scope="session")
def good_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    path = folder / "good.jsonl"
    run_source(str(copy_race(folder)), "eager", 0, trace_path=path)
    return path


def _world(extra: str = "", policy: str = "") -> str:
    text = Path(__file__).resolve().parents[2].joinpath("docs", "examples", "race.yaml").read_text(encoding="utf-8")
    return text + extra + (f"policy: {policy}\n" if policy else "")


def _suite_line(**change: object) -> str:
    task = {"id": "t1", "services": ["TicketAPI"], "turns": [{"request": "Open a ticket.", "gold": []}],
            "initial_config": {"TicketAPI": {"current_user": "ivo", "ticket_counter": 1, "ticket_queue": []}}}
    record = {"id": "x1", "kind": "single", "profile": "instant", "tasks": [task], **change}
    return json.dumps(record) + "\n"


def make_inputs(d: Path, good: Path) -> None:
    """The files the cases read, all under ``d``."""
    copy_race(d)
    shutil.copy(good, d / "good.jsonl")
    lines = good.read_text(encoding="utf-8").splitlines()
    (d / "dir").mkdir()
    (d / "bin.dat").write_bytes(b"\x7fELF\x00\x01\xff\xfe" * 8)
    (d / "latin1.yaml").write_bytes("name: caf\xe9\ntasks: []\n".encode("latin-1"))
    (d / "laughs.yaml").write_text(LAUGHS)
    (d / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    (d / "tag.yaml").write_text("name: !!python/object/apply:os.system ['true']\n")
    (d / "list.yaml").write_text("- a\n- b\n")
    (d / "nan.yaml").write_text(_world("horizon_ms: .nan\n"))
    (d / "huge_horizon.yaml").write_text(_world("horizon_ms: 1000000000000\n"))
    (d / "many_decisions.yaml").write_text(_world("max_decisions: 100000000000\n"))
    (d / "many_faults.yaml").write_text(_world(
        "fault_processes:\n  - {kind: cancel_task, mean_interval_ms: 1, max_count: 1000000000, choices: [{task: outage}]}\n"))
    (d / "bad_scope.yaml").write_text(_world("faults:\n  - {at_ms: 10, kind: revoke, scope: trading.write, task: outage}\n"))
    (d / "bad_service.yaml").write_text(_world("faults:\n  - {at_ms: 10, kind: outage, service: TradingBot, duration_ms: 5}\n"))
    (d / "unknown_policy.yaml").write_text(_world(policy="nosuch"))
    (d / "suite.jsonl").write_text(_suite_line())
    (d / "bad_suite.jsonl").write_text(_suite_line() + "{not json\n")
    (d / "nan_suite.jsonl").write_text(_suite_line().replace('"ticket_counter": 1', '"ticket_counter": NaN'))
    (d / "tasks_suite.jsonl").write_text(_suite_line(tasks=5))
    (d / "bin.jsonl").write_bytes(b"\xff\xfe\x00garbage\n")
    (d / "x.txt").write_text("hello\n")
    (d / "truncated.jsonl").write_text("\n".join(lines[: len(lines) // 2]) + "\n" + lines[len(lines) // 2][:17])
    (d / "nofooter.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    (d / "wrongdigest.jsonl").write_text("\n".join(lines[:-1] + [lines[-1].replace('"digest":"', '"digest":"0')]) + "\n")
    header = json.loads(lines[0])
    (d / "format9.jsonl").write_text(forge([json.dumps({**header, "format": 9})] + lines[1:]))
    (d / "seed.jsonl").write_text(forge([json.dumps({**header, "seed": "x"})] + lines[1:]))
    (d / "notobject.jsonl").write_text(forge(lines[:2] + ["[1, 2]"] + lines[2:]))
    (d / "nokind.jsonl").write_text(forge(lines[:2] + ['{"t": 1}'] + lines[2:]))
    (d / "nan.jsonl").write_text(forge(lines[:2] + ['{"kind": "note", "x": NaN}'] + lines[2:]))
    (d / "huge.jsonl").write_text(forge(lines[:2] + ['{"kind": "note", "x": 1e999}'] + lines[2:]))
    issue = next(i for i, line in enumerate(lines) if '"kind":"issue"' in line)
    (d / "stripped.jsonl").write_text(forge(lines[:issue] + ['{"kind": "issue", "t": 0, "seq": 1}'] + lines[issue + 1:]))
    (d / "after.jsonl").write_text("\n".join(lines) + "\n" + lines[1] + "\n")
    (d / "empty.jsonl").write_text("")
    edited = dict(header, config={**header["config"], "world": {**header["config"]["world"], "horizon_ms": 99}})
    text = forge([json.dumps(edited)] + lines[1:]).splitlines()
    text[0] = text[0].replace(json.loads(text[0])["config_hash"], header["config_hash"])
    (d / "hash.jsonl").write_text(forge_keep_hash(text))
    (d / "noworlds.yaml").write_text("name: s\npolicies: [interleave]\n")
    (d / "spec.yaml").write_text(SPEC)
    (d / "spec_badpolicy.yaml").write_text(SPEC.replace("[interleave]", "[interleave, nosuch]"))
    (d / "spec_badgrid.yaml").write_text(SPEC + "grid: {world.enforcement: [issue, sometimes]}\n")
    (d / "spec_laughs.yaml").write_text(LAUGHS.replace("a: &a", "worlds: [race.yaml]\nx: &a"))


def forge_keep_hash(lines: list[str]) -> str:
    """Recompute the footer only: the header's config hash stays as it was (it no longer fits)."""
    import hashlib

    body = "".join(line + "\n" for line in lines[:-1])
    footer = {"digest": hashlib.sha256(body.encode()).hexdigest(), "kind": "footer", "lines": len(lines) - 1}
    return body + json.dumps(footer, sort_keys=True, separators=(",", ":")) + "\n"


CASES = [
    # (id, argv with {d} for the inputs folder, what the message must name)
    ("run-unknown-flag", "run --bogus", "--bogus"),
    ("run-seed-not-a-number", "run --seed abc", "--seed"),
    ("run-negative-seed", "run --seed -1", "--seed"),
    ("run-empty-policy", "run --policy=", "--policy"),
    ("run-unknown-policy", "run --policy nosuch", "nosuch"),
    ("run-missing-world", "run {d}/missing.yaml", "missing.yaml"),
    ("run-world-is-a-directory", "run {d}/dir", "directory"),
    ("run-binary-world", "run {d}/bin.dat", "bin.dat"),
    ("run-latin1-world", "run {d}/latin1.yaml", "UTF-8"),
    ("run-billion-laughs", "run {d}/laughs.yaml", "too many values"),
    ("run-deep-yaml", "run {d}/deep.yaml", "deep.yaml"),
    ("run-python-tag", "run {d}/tag.yaml", "tag.yaml"),
    ("run-world-not-a-mapping", "run {d}/list.yaml", "mapping"),
    ("run-nan-horizon", "run {d}/nan.yaml", "horizon_ms"),
    ("run-horizon-over-cap", "run {d}/huge_horizon.yaml", "--limit horizon_ms"),
    ("run-decisions-over-cap", "run {d}/many_decisions.yaml", "--limit max_decisions"),
    ("run-fault-events-over-cap", "run {d}/many_faults.yaml", "--limit fault_events"),
    ("run-fault-scope-of-no-service", "run {d}/bad_scope.yaml", "trading.write"),
    ("run-fault-service-of-no-task", "run {d}/bad_service.yaml", "TradingBot"),
    ("run-unknown-policy-in-world", "run {d}/unknown_policy.yaml", "unknown_policy.yaml:"),
    ("run-set-unknown-world-key", "run {d}/race.yaml --set world.bogus=1", "--set world.bogus=1"),
    ("run-set-makes-unknown-world-key", "run {d}/race.yaml --set world.bogus.key=1", "--set world.bogus.key=1"),
    ("run-set-unknown-policy-key", "run {d}/race.yaml --set policy.bogus=1", "--set policy.bogus=1"),
    ("run-set-without-equals", "run {d}/race.yaml --set nokey", "nokey"),
    ("run-set-bad-prefix", "run {d}/race.yaml --set latency.scale=2", "latency.scale"),
    ("run-set-no-such-list-item", "run {d}/race.yaml --set world.tasks.9.id=x", "world.tasks.9.id"),
    ("run-set-unparsable-value", "run {d}/race.yaml --set world.horizon_ms=[", "world.horizon_ms"),
    ("run-set-wrong-type", "run {d}/race.yaml --set world.horizon_ms=soon", "horizon_ms"),
    ("run-trace-under-a-file", "run {d}/race.yaml --trace {d}/race.yaml/t.jsonl", "race.yaml"),
    ("run-trace-is-a-directory", "run {d}/race.yaml --trace {d}/dir", "directory"),
    ("run-limit-not-a-number", "run {d}/race.yaml --limit horizon_ms=abc", "horizon_ms"),
    ("run-limit-unknown", "run {d}/race.yaml --limit bogus=1", "bogus"),
    ("run-trace-lines-over-cap", "run {d}/race.yaml --limit trace_lines=5", "trace_lines"),
    ("run-no-such-instance", "run {d}/suite.jsonl#nope", "nope"),
    ("run-suite-line-not-json", "run {d}/bad_suite.jsonl#zz", "bad_suite.jsonl:2"),
    ("run-suite-nan", "run {d}/nan_suite.jsonl#x1", "NaN"),
    ("run-suite-binary", "run {d}/bin.jsonl#x1", "UTF-8"),
    ("run-suite-tasks-not-a-list", "run {d}/tasks_suite.jsonl#x1", "tasks_suite.jsonl"),
    ("run-no-reader-for-suffix", "run {d}/x.txt#a", ".txt"),
    ("run-unknown-world-name", "run nosuchworld", "nosuchworld"),
    ("replay-missing-argument", "replay", "trace"),
    ("replay-missing-file", "replay {d}/missing.jsonl", "missing.jsonl"),
    ("replay-directory", "replay {d}/dir", "directory"),
    ("replay-binary", "replay {d}/bin.dat", "UTF-8"),
    ("replay-truncated", "replay {d}/truncated.jsonl", "no footer"),
    ("replay-no-footer", "replay {d}/nofooter.jsonl", "no footer"),
    ("replay-wrong-digest", "replay {d}/wrongdigest.jsonl", "digest"),
    ("replay-unknown-format", "replay {d}/format9.jsonl", "format 9"),
    ("replay-bad-seed", "replay {d}/seed.jsonl", "seed"),
    ("replay-record-not-an-object", "replay {d}/notobject.jsonl", "notobject.jsonl:3"),
    ("replay-record-without-kind", "replay {d}/nokind.jsonl", "kind"),
    ("replay-nan", "replay {d}/nan.jsonl", "NaN"),
    ("replay-huge-number", "replay {d}/huge.jsonl", "too large"),
    ("replay-text-after-footer", "replay {d}/after.jsonl", "after the footer"),
    ("replay-config-hash", "replay {d}/hash.jsonl", "config_hash"),
    ("replay-empty", "replay {d}/empty.jsonl", "header"),
    ("diff-missing-argument", "diff {d}/good.jsonl", "Missing argument"),
    ("diff-binary", "diff {d}/good.jsonl {d}/bin.dat", "bin.dat"),
    ("score-missing-file", "score {d}/missing.jsonl", "missing.jsonl"),
    ("score-record-not-an-object", "score {d}/notobject.jsonl", "JSON object"),
    ("score-event-without-its-fields", "score {d}/stripped.jsonl", "stripped.jsonl: cannot be scored"),
    ("score-unknown-group", "score {d}/good.jsonl --by nothing", "--by"),
    ("score-no-arguments", "score", "traces"),
    ("score-directory", "score {d}/dir", "directory"),
    ("compare-missing-world", "compare {d}/missing.yaml", "missing.yaml"),
    ("compare-no-seeds", "compare {d}/race.yaml --seeds 0", "--seeds"),
    ("compare-unknown-policy", "compare {d}/race.yaml --policy nosuch", "nosuch"),
    ("compare-trace-dir-is-a-file", "compare {d}/race.yaml --trace-dir {d}/race.yaml", "race.yaml"),
    ("sweep-spec-without-worlds", "sweep {d}/noworlds.yaml --out {d}/out", "worlds"),
    ("sweep-missing-spec", "sweep {d}/missing.yaml --out {d}/out", "missing.yaml"),
    ("sweep-binary-spec", "sweep {d}/bin.dat --out {d}/out", "bin.dat"),
    ("sweep-unknown-policy", "sweep {d}/spec_badpolicy.yaml --out {d}/out", "spec_badpolicy.yaml:3"),
    ("sweep-out-is-a-file", "sweep {d}/spec.yaml --out {d}/race.yaml", "race.yaml"),
    ("sweep-no-out", "sweep {d}/spec.yaml", "--out"),
    ("sweep-zero-workers", "sweep {d}/spec.yaml --out {d}/out --workers 0", "--workers"),
    ("sweep-bad-grid-value", "sweep {d}/spec_badgrid.yaml --out {d}/out --workers 1", "sometimes"),
    ("sweep-billion-laughs", "sweep {d}/spec_laughs.yaml --out {d}/out", "too many values"),
    ("sweep-set-not-a-config-path", "sweep {d}/spec.yaml --out {d}/out --set bogus=1", "bogus"),
    ("plot-no-results", "plot efficiency {d}/dir --out {d}/e.png", "results"),
    ("plot-binary-trace", "plot timeline {d}/bin.dat --out {d}/t.png", "bin.dat"),
    ("plot-no-out", "plot timeline {d}/good.jsonl", "--out"),
    ("hunt-seeds-not-a-range", "hunt {d}/race.yaml --seeds abc", "--seeds"),
    ("hunt-empty-seed-range", "hunt {d}/race.yaml --seeds 5:2", "--seeds"),
    ("hunt-missing-world", "hunt {d}/missing.yaml --seeds 0:1", "missing.yaml"),
    ("hunt-unknown-invariant", "hunt {d}/race.yaml --seeds 0:1 --invariant nosuch", "nosuch"),
    ("hunt-empty-policy", "hunt {d}/race.yaml --seeds 0:1 --policy=", "--policy"),
    ("shrink-no-invariant", "shrink {d}/good.jsonl", "--invariant"),
    ("shrink-binary-trace", "shrink {d}/bin.dat --invariant dependency_violation", "bin.dat"),
    ("shrink-unknown-invariant", "shrink {d}/good.jsonl --invariant nosuch", "nosuch"),
    ("suite-list-missing", "suite list {d}/missing.jsonl", "missing.jsonl"),
    ("suite-list-binary", "suite list {d}/bin.dat", "UTF-8"),
    ("bfcl-gold-not-a-corpus", "bfcl gold {d}/dir --out {d}/g.jsonl", "dir"),
    ("bfcl-gold-out-under-a-file", "bfcl gold {d}/dir --out {d}/x.txt/g.jsonl", "x.txt"),
    ("suite-build-out-is-a-directory", "suite build --out {d}/dir --bfcl {d}/dir", "directory"),
    ("unknown-command", "nosuch", "nosuch"),
    ("policies-unknown-flag", "policies --bogus", "--bogus"),
]


@pytest.mark.parametrize(("argv", "names"), [pytest.param(a, n, id=i) for i, a, n in CASES])
def test_a_bad_input_is_one_clear_error_and_leaves_nothing_behind(tmp_path, good_trace, argv, names):
    make_inputs(tmp_path, good_trace)
    before = files_under(tmp_path)
    done = simtool(*[part.format(d=tmp_path) for part in argv.split()])
    assert done.code == 2, done.text
    assert "Traceback" not in done.text
    assert names in done.err, done.err
    assert done.err.startswith("error: "), done.err
    assert files_under(tmp_path) == before, files_under(tmp_path) ^ before


def test_a_set_that_makes_an_unknown_key_is_blamed_instead_of_the_world_file(tmp_path):
    world = copy_race(tmp_path)
    done = simtool("run", str(world), "--set", "world.bogus.key=1")
    assert done.code == 2 and done.err.startswith("error: --set world.bogus.key=1: unknown key"), done.err
    assert "found 'bogus'" in done.err and "latency | services" in done.err  # the keys valid there
    assert "race.yaml" not in done.err
    inside = simtool("run", str(world), "--set", "world.name.x=1")  # inside a key the file wrote
    assert inside.code == 2 and inside.err.startswith("error: --set world.name.x=1: cannot set inside a str"), inside.err


def test_the_corpus_covers_every_command():
    commands = {argv.split()[0] for _, argv, _ in CASES}
    assert {"run", "replay", "diff", "score", "compare", "sweep", "plot", "hunt", "shrink", "suite", "bfcl"} <= commands
    assert len(CASES) >= 60
