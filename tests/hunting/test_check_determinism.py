"""`simtool run --check-determinism`: two separate processes, traces compared, first divergence printed."""

from __future__ import annotations

from simtool.determinism import check_determinism

from .support import plugin_env, simtool

NONDETERMINISTIC = {"simtool.policies": {"urandom-think": "tests.hunting.plugins:UrandomThink"}}


def test_check_determinism_passes_on_the_default_world():
    done = simtool("run", "--check-determinism", "--seed", "3")
    assert done.returncode == 0, done.stderr
    assert "deterministic: two processes wrote identical traces" in done.stdout


def test_check_determinism_reports_the_first_divergence_of_a_nondeterministic_policy(tmp_path, monkeypatch):
    env = plugin_env(tmp_path, NONDETERMINISTIC)
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])  # the two child runs must find the test policy
    report = check_determinism(None, "urandom-think", 0)
    assert not report.identical
    assert report.line and report.line > 1  # the header (seed, config) agrees; an event does not
    assert '"kind":"decide"' in (report.a or "") and report.a != report.b
    done = simtool("run", "--policy", "urandom-think", "--check-determinism", env=env)
    assert done.returncode == 1, done.stderr
    assert "NOT deterministic" in done.stdout and "first divergence at line" in done.stdout
    assert "process A:" in done.stdout and "process B:" in done.stdout


def test_check_determinism_names_a_child_run_that_failed():
    done = simtool("run", "--policy", "no-such-policy", "--check-determinism")
    assert done.returncode == 2
    message = " ".join(done.stderr.split())  # the error console wraps long lines
    assert "run in a separate process failed" in message and "unknown policy 'no-such-policy'" in message
