"""The worked examples of docs/writing-a-policy.md and docs/writing-a-service.md, run as written:
the blocks that name a file are written to disk, the entry points of their ``pyproject.toml``
are installed (as a dist-info folder on the path), and the page's commands are run, one after
the other in one child process (each through ``simtool.cli.main``, as the ``simtool`` script
runs it; the checks start their own child processes as always)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.checks.support import ROOT, plugin_env

DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.S | re.M)
GROUP = re.compile(r'^\[project\.entry-points\."([^"]+)"\]$')
ENTRY = re.compile(r'^(\S+)\s*=\s*"([^"]+)"$')


def blocks(page: str) -> list[tuple[str, str | None, str]]:
    """(language, file it names or None, text) of every fenced block of a docs page."""
    out = []
    for lang, info, text in FENCE.findall((DOCS / page).read_text(encoding="utf-8")):
        named = re.search(r"file=(\S+)", info)
        out.append((lang, named.group(1) if named else None, text))
    return out


def entry_points(pyproject: str) -> dict[str, dict[str, str]]:
    """The ``[project.entry-points."group"]`` tables of a pyproject text."""
    out: dict[str, dict[str, str]] = {}
    group = None
    for line in pyproject.splitlines():
        line = line.strip()
        if line.startswith("["):
            found = GROUP.match(line)
            group = found.group(1) if found else None
            if group:
                out[group] = {}
        elif group and ENTRY.match(line):
            name, target = ENTRY.match(line).groups()
            out[group][name] = target
    return out


def materialise(page: str, tmp: Path) -> tuple[Path, dict[str, str], list[list[str]]]:
    """Write the page's files under ``tmp/project``; return it, the child environment, the commands."""
    project = tmp / "project"
    eps: dict[str, dict[str, str]] = {}
    commands: list[list[str]] = []
    for lang, name, text in blocks(page):
        if name:
            path = project / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if name == "pyproject.toml":
                eps = entry_points(text)
        elif lang == "bash":
            commands += [shlex.split(line) for line in text.splitlines() if line.strip() and not line.startswith("#")]
    env = plugin_env(tmp / "site", eps)
    env["PYTHONPATH"] = os.pathsep.join([str(project), env["PYTHONPATH"]])
    return project, env, commands


def simtool(argv: list[str], project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    assert argv[0] == "simtool", argv
    return subprocess.run([sys.executable, "-m", "simtool", *argv[1:]], cwd=project, env=env, capture_output=True,
                          text=True, timeout=300)


# Runs each command of argv[1] (a JSON list of argument lists) through simtool's entry point and
# prints, per command, its exit code and what it wrote to stdout and stderr, as one JSON list.
COMMANDS = """
import contextlib, io, json, sys
from simtool.cli import main
done = []
for argv in json.loads(sys.argv[1]):
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    done.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
print(json.dumps(done))
"""


def simtool_commands(commands: list[list[str]], project: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """The page's ``simtool`` commands run in order in one child process: each one's code, stdout, stderr."""
    assert all(argv[0] == "simtool" for argv in commands), commands
    done = subprocess.run([sys.executable, "-c", COMMANDS, json.dumps([argv[1:] for argv in commands])], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize(("page", "group", "name"), [
    ("writing-a-policy.md", "simtool.policies", "patient"),
    ("writing-a-service.md", "simtool.services", "Pantry"),
])
def test_the_worked_example_runs_as_written(page, group, name, tmp_path):
    project, env, commands = materialise(page, tmp_path)
    assert name in entry_points((project / "pyproject.toml").read_text())[group]
    assert [c[:2] for c in commands[:1]] == [["simtool", "check"]]  # the page checks its plug-in first
    for argv, done in zip(commands, simtool_commands(commands, project, env), strict=True):
        assert done["code"] == 0, f"{shlex.join(argv)}\n{done['stdout']}\n{done['stderr']}"
        if argv[1] == "check":
            assert done["stdout"].startswith(f"ok: {argv[2]} {name} passes"), done["stdout"]
        if argv[1] == "replay":
            assert "replays byte for byte" in done["stdout"]


def test_the_checker_names_a_renamed_parameter_in_the_service_example(tmp_path):
    project, env, _ = materialise("writing-a-service.md", tmp_path)
    service = project / "pantry" / "service.py"
    service.write_text(service.read_text().replace("def take(self, item: str, amount: int = 1)", "def take(self, item: str, count: int = 1)")
                       .replace("amount < 1 or amount > have", "count < 1 or count > have"), encoding="utf-8")
    done = simtool(["simtool", "check", "service", "Pantry", "--no-processes"], project, env)
    assert done.returncode == 1
    assert "pantry/tools.yaml: tool 'take': parameter 'amount' is called 'count' in Pantry.take: use one name in both" in done.stdout


def test_the_checker_names_a_float_think_time_in_the_policy_example(tmp_path):
    project, env, _ = materialise("writing-a-policy.md", tmp_path)
    policy = project / "mypolicies" / "patient.py"
    policy.write_text(policy.read_text().replace("self.options.think_ms, None", "self.options.think_ms / 2, None"), encoding="utf-8")
    done = simtool(["simtool", "check", "policy", "patient", "--no-processes"], project, env)
    assert done.returncode == 1
    assert "FAIL Patient.decide, decision 0 (t=0 ms): think_ms is 25.0: it must be a whole number of ms >= 0" in done.stdout
