"""How a local pool starts its workers: forked from this process when nothing but the main thread
runs (Linux), else from a forkserver; the same results either way."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from simtool.sweeps import executors

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is chosen on Linux only")


def test_a_process_with_another_thread_starts_its_workers_from_a_forkserver():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        assert executors._pool_context().get_start_method() == "forkserver"
    finally:
        stop.set()
        thread.join()


def test_a_single_threaded_process_forks_its_workers_and_they_hunt_as_one_process_does():
    script = textwrap.dedent("""
        import json, threading
        from simtool.hunting.hunt import hunt
        from simtool.sweeps import executors

        assert threading.active_count() == 1
        pool = executors.shared_pool(2)
        method = pool._pool._mp_context.get_start_method()
        alone = hunt(None, "eager", range(0, 12), workers=1)
        pooled = hunt(None, "eager", range(0, 12), workers=2)
        print(json.dumps({"method": method, "same": alone.outcomes == pooled.outcomes, "seeds": len(pooled.outcomes)}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    found = out.stdout.strip().splitlines()[-1]
    assert found == '{"method": "fork", "same": true, "seeds": 12}'
