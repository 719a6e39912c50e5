"""Kill-and-resume: a sweep stopped by a real signal, then run again, ends with every cell exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from simtool.sweeps import expand, load_rows, load_spec
from tests.sweeps.helpers import LATENCY_SPEC, write_spec

ROWS_BEFORE_KILL = 3


@pytest.mark.parametrize("sig, workers, code", [(signal.SIGKILL, 2, -signal.SIGKILL), (signal.SIGTERM, 1, 130)],
                         ids=["sigkill-pool", "sigterm-in-process"])
def test_a_killed_sweep_run_again_ends_with_every_cell_exactly_once(tmp_path, sig, workers, code):
    spec_path = write_spec(tmp_path, LATENCY_SPEC.format(seeds=25))
    spec = load_spec(spec_path)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "simtool", "sweep", str(spec_path), "--out", str(out), "--workers", str(workers)]
    with (tmp_path / "stderr.txt").open("w") as stderr:
        sweep = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        seen = 0
        assert sweep.stdout is not None
        for line in sweep.stdout:  # the sweep prints a line per row once it is stored (stdout is not a terminal)
            seen += line.startswith("cell ")
            if seen == ROWS_BEFORE_KILL:
                break
        sweep.send_signal(sig)
        sweep.communicate(timeout=60)
        assert sweep.returncode == code
    stored = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert ROWS_BEFORE_KILL <= len(stored) < spec.size, "the sweep was not stopped mid-way"

    finished = subprocess.run(command + ["--quiet"], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert f"{len(stored)} were stored" in finished.stdout or f"{spec.size} cells" in finished.stdout

    keys = [json.loads(line)["cell"] for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(keys) == len(set(keys)) == spec.size
    assert set(keys) == {cell.key for cell in expand(spec)}
    assert all(row["status"] == "ok" for row in load_rows(out, status=None))
