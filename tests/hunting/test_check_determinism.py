"""`simtool run --check-determinism`: two separate processes, traces compared, first divergence printed.

The command runs in this process (``simtool.cli.main``); the two runs it compares are its own
child processes, as always.
"""

from __future__ import annotations

import re

from tests.hardening.support import simtool

from .support import plugin_env

NONDETERMINISTIC = {"simtool.policies": {"urandom-think": "tests.hunting.plugins:UrandomThink"}}


def test_check_determinism_passes_on_the_default_world():
    done = simtool("run", "--check-determinism", "--seed", "3")
    assert done.code == 0, done.err
    assert "deterministic: two processes wrote identical traces" in done.out


def test_check_determinism_reports_the_first_divergence_of_a_nondeterministic_policy(tmp_path, monkeypatch):
    env = plugin_env(tmp_path, NONDETERMINISTIC)
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])  # the two child runs must find the test policy
    done = simtool("run", "--policy", "urandom-think", "--check-determinism")
    assert done.code == 1, done.err
    assert "NOT deterministic" in done.out
    line = int(re.search(r"first divergence at line (\d+)", done.out).group(1))
    assert line > 1  # the header (seed, config) agrees; an event does not
    a, b = re.search(r"process A: (.*)process B: (.*)", "".join(done.out.split("\n")), re.S).groups()  # lines wrap
    assert '"kind":"decide"' in a and a != b


def test_check_determinism_names_a_child_run_that_failed():
    done = simtool("run", "--policy", "no-such-policy", "--check-determinism")
    assert done.code == 2
    message = " ".join(done.err.split())  # the error console wraps long lines
    assert "run in a separate process failed" in message and "unknown policy 'no-such-policy'" in message
