"""Cells on threads of one process: the rows of any other executor, the caller's context in every
thread, and per-process caches that many threads read at once."""

from __future__ import annotations

import threading

import typer
from typer.testing import CliRunner

from simtool.errors import SimtoolError
from simtool.filecache import FileCache
from simtool.limits import current_limits, limits_in_force
from simtool.sweeps import load_rows, load_spec, run_sweep
from simtool.sweeps.cli import register
from simtool.sweeps.executors import ThreadPool, on_threads
from tests.sweeps.helpers import LATENCY_SPEC, write_spec

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_sweep_with_threads_stores_the_rows_a_plain_run_gives(tmp_path):
    spec_path = write_spec(tmp_path, LATENCY_SPEC.format(seeds=2))
    result = runner.invoke(_app(), ["sweep", str(spec_path), "--out", str(tmp_path / "threads"), "--threads", "3", "--keep-traces"])
    assert result.exit_code == 0, result.output
    assert "24 cells: 0 were stored, 24 run now" in result.output
    run_sweep(load_spec(spec_path), tmp_path / "plain", keep_traces=True)
    assert load_rows(tmp_path / "threads") == load_rows(tmp_path / "plain")
    for row in load_rows(tmp_path / "threads"):
        assert (tmp_path / "threads" / row["trace"]).read_bytes() == (tmp_path / "plain" / row["trace"]).read_bytes()


def test_threads_are_one_executor_among_the_others(tmp_path):
    spec_path = write_spec(tmp_path, LATENCY_SPEC.format(seeds=1))
    result = runner.invoke(_app(), ["sweep", str(spec_path), "--out", str(tmp_path / "o"), "--threads", "2", "--workers", "2"])
    assert isinstance(result.exception, SimtoolError) and "choose one executor" in str(result.exception)


def test_units_on_threads_see_the_callers_context():
    pool = ThreadPool(3)
    try:
        with limits_in_force(["horizon_ms=123456"]):
            seen = list(pool.imap(lambda _: current_limits().horizon_ms, range(6)))
    finally:
        pool.close()
    assert seen == [123456] * 6


def test_on_threads_keeps_the_order_of_its_items():
    assert on_threads(lambda n: n * n, list(range(20)), 4) == [n * n for n in range(20)]


def test_a_file_cache_missed_by_many_threads_at_once_gives_them_all_one_value():
    cache = FileCache()
    threads = 8
    everyone_made = threading.Barrier(threads)  # every thread is inside make() before any stores

    def make() -> object:
        everyone_made.wait()
        return object()

    got: list[object] = []
    workers = [threading.Thread(target=lambda: got.append(cache.get("key", make))) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(got) == threads and all(g is got[0] for g in got)


def test_a_small_file_cache_read_by_many_threads_gives_each_key_its_own_value():
    cache = FileCache(limit=3)
    start = threading.Barrier(6)
    wrong: list[tuple[int, object]] = []

    def read(offset: int) -> None:
        start.wait()
        for i in range(2000):
            key = (i * 7 + offset) % 10
            value = cache.get(key, lambda key=key: ("value", key))
            if value != ("value", key):
                wrong.append((key, value))

    workers = [threading.Thread(target=read, args=(k,)) for k in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert wrong == [] and len(cache) <= 3
