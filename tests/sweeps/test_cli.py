"""``simtool sweep`` and ``simtool plot`` on the command line."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from simtool.errors import SimtoolError
from simtool.sweeps import load_rows, load_spec, run_sweep
from simtool.sweeps.cli import register
from tests.sweeps.helpers import LATENCY_SPEC, write_spec

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_sweep_on_a_dask_local_cluster_stores_the_rows_a_plain_run_gives(tmp_path):
    spec_path = write_spec(tmp_path, LATENCY_SPEC.format(seeds=2))
    result = runner.invoke(_app(), ["sweep", str(spec_path), "--out", str(tmp_path / "dask"), "--dask-local", "1", "--keep-traces"])
    assert result.exit_code == 0, result.output
    assert "24 cells: 0 were stored, 24 run now" in result.output
    run_sweep(load_spec(spec_path), tmp_path / "plain", keep_traces=True)
    assert load_rows(tmp_path / "dask") == load_rows(tmp_path / "plain")


def test_sweep_takes_one_executor(tmp_path):
    spec_path = write_spec(tmp_path, LATENCY_SPEC.format(seeds=1))
    result = runner.invoke(_app(), ["sweep", str(spec_path), "--out", str(tmp_path / "o"), "--workers", "2", "--dask-local", "1"])
    assert isinstance(result.exception, SimtoolError) and "choose one executor" in str(result.exception)


def test_every_plot_kind_writes_png_and_svg(tmp_path):
    spec_path = write_spec(tmp_path, LATENCY_SPEC.format(seeds=2))
    out = tmp_path / "out"
    run_sweep(load_spec(spec_path), out, keep_traces=True)
    trace = out / load_rows(out)[0]["trace"]
    app = _app()
    for kind, source in (("efficiency", out), ("success", out), ("sync-async", out), ("timeline", trace)):
        png, svg = tmp_path / f"{kind}.png", tmp_path / f"{kind}.svg"
        result = runner.invoke(app, ["plot", kind, str(source), "--out", str(png), "--out", str(svg)])
        assert result.exit_code == 0, result.output
        assert png.stat().st_size > 10_000 and svg.stat().st_size > 10_000


def test_plot_names_a_wrong_output_suffix(tmp_path):
    spec_path = write_spec(tmp_path, LATENCY_SPEC.format(seeds=1))
    run_sweep(load_spec(spec_path), tmp_path / "out")
    result = runner.invoke(_app(), ["plot", "efficiency", str(tmp_path / "out"), "--out", str(tmp_path / "e.pdf")])
    assert isinstance(result.exception, SimtoolError) and ".png or .svg" in str(result.exception)
