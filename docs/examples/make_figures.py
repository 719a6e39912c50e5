"""Regenerate the images of the docs: run the example sweep and plot it, draw the race's timeline,
and (where Debian's chromium is installed) photograph the race's HTML report.

Usage: python docs/examples/make_figures.py   (a few seconds; writes docs/img/efficiency.png,
docs/img/timeline.png and docs/img/report.png)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
IMAGES = HERE.parent / "img"
sys.path.insert(0, str(ROOT))  # the browser driver lives with the tests

from simtool.plots import efficiency_figure, load_sweep, save_figure, timeline_figure  # noqa: E402
from simtool.report import write_report  # noqa: E402
from simtool.run import run_source  # noqa: E402
from simtool.sweeps import load_spec, run_sweep  # noqa: E402


def race_trace(folder: Path) -> Path:
    """docs/examples/race.yaml under eager, on the first seed where both tasks race (14; the
    report tests find it the same way: ``tests.report.support.race_seed``)."""
    from tests.report.support import race_seed

    seed = race_seed()
    path = folder / f"race-eager-{seed}.jsonl"
    run_source(str(HERE / "race.yaml"), "eager", seed, (), path)
    return path


def photograph(page: Path, out: Path, height: int = 760) -> Path | None:
    """The top of ``page`` in headless Chromium, or None where chromium is not installed."""
    from PIL import Image

    from tests.report.browser import Browser, find_chromium

    binary = find_chromium()
    if binary is None:
        print("chromium is missing: docs/img/report.png left as it is")
        return None
    with Browser(binary, width=1280, height=height) as browser:
        browser.open(page)
        full = browser.screenshot(out.with_suffix(".full.png"), width=1280)
    with Image.open(full) as image:
        image.crop((0, 0, image.width, min(height, image.height))).save(out, optimize=True)
    full.unlink()
    return out


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="simtool-docs-") as tmp:
        report = run_sweep(load_spec(HERE / "latency-scale.yaml"), Path(tmp) / "runs")
        print(report)
        figure = efficiency_figure(load_sweep(Path(tmp) / "runs"))
        print("wrote", save_figure(figure, IMAGES / "efficiency.png"))
        trace = race_trace(Path(tmp))
        print("wrote", save_figure(timeline_figure(trace), IMAGES / "timeline.png"))
        page = write_report([trace], Path(tmp) / "race.html")
        shot = photograph(page, IMAGES / "report.png")
        if shot is not None:
            print("wrote", shot)


if __name__ == "__main__":
    main()
