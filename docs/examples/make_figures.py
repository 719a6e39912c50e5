"""Regenerate the images of docs/sweeps.md: run the example sweep, plot it.

Usage: python docs/examples/make_figures.py   (about two seconds; writes docs/img/efficiency.png)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from simtool.plots import efficiency_figure, load_sweep, save_figure
from simtool.sweeps import load_spec, run_sweep

HERE = Path(__file__).resolve().parent
IMAGES = HERE.parent / "img"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="simtool-docs-") as tmp:
        report = run_sweep(load_spec(HERE / "latency-scale.yaml"), Path(tmp) / "runs")
        print(report)
        figure = efficiency_figure(load_sweep(Path(tmp) / "runs"))
        print("wrote", save_figure(figure, IMAGES / "efficiency.png"))


if __name__ == "__main__":
    main()
