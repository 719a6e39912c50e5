"""The report in a real headless Chromium (Debian's ``chromium``): it loads without errors or
requests, shows every call as a labelled bar, zooms, and tells a call's life on hover.

Skipped, saying so, where Chromium is not installed (``.ci/run`` installs it when it can).
"""

from __future__ import annotations

import pytest

from simtool.report import write_report
from simtool.scoring import history_of
from tests.report.browser import Browser, find_chromium
from tests.report.support import HOSTILE_TASK, cut_trace, default_trace, hostile_trace, outage_trace, race_trace

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is missing: apt-get install chromium (Debian) to run the browser tests")

LABELLED_BARS = """Array.from(document.querySelectorAll('g.call')).map(g => {
  const bar = g.querySelector('rect.bar').getBoundingClientRect(), label = g.querySelector('text.label');
  return [g.closest('section.run').dataset.run, g.dataset.call, label.textContent, bar.width > 0 && bar.height > 0,
          label.getBBox().width > 0];
})"""


@pytest.fixture(scope="module")
def browser():
    with Browser(CHROMIUM) as b:
        yield b


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    traces = [race_trace(folder), default_trace(folder), outage_trace(folder), cut_trace(folder), hostile_trace(folder)]
    return {
        "all": (write_report(traces, folder / "all.html"), traces),
        "race": (write_report([traces[0]], folder / "race.html"), traces[:1]),
    }


def _centre(browser, selector: str) -> tuple[float, float]:
    box = browser.evaluate(f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
                           " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
    return box[0], box[1]


def _mouse(browser, kind: str, x: float, y: float, **extra) -> None:
    browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)


def test_the_page_loads_without_errors_or_requests_and_shows_every_call(browser, pages, tmp_path):
    page, traces = pages["all"]
    browser.open(page)
    assert browser.errors() == []
    assert browser.requests() == [page.resolve().as_uri()]
    assert browser.evaluate("document.documentElement.dataset.ready") == "yes"  # the script ran to its end
    shown = browser.evaluate(LABELLED_BARS)
    expected = [[str(i), c.call_id, f"{c.call_id} {c.tool}", True, True]
                for i, trace in enumerate(traces) for c in history_of(trace).calls.values()]
    assert shown == expected
    assert browser.evaluate("document.title").startswith("simtool report")  # the hostile names ran nothing
    assert browser.evaluate("document.querySelectorAll('img').length") == 0
    assert HOSTILE_TASK in browser.evaluate("Array.from(document.querySelectorAll('.lane-name > title')).map(t => t.textContent)")
    shot = browser.screenshot(tmp_path / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_zoom_buttons_narrow_and_restore_the_time_window(browser, pages):
    page, _ = pages["race"]
    browser.open(page)
    whole = browser.evaluate("document.getElementById('run0-window').textContent")
    x_before = browser.evaluate("+document.querySelector('g.call[data-call=\"c3\"] rect').getAttribute('x')")
    browser.evaluate("document.querySelector('button[data-zoom=in]').click()")
    zoomed = browser.evaluate("document.getElementById('run0-window').textContent")
    low, high = (float(v) for v in zoomed.replace(" ms", "").split("–"))
    assert zoomed != whole and 0 < high - low < 0.51 * float(whole.replace(" ms", "").split("–")[1])
    assert browser.evaluate("+document.querySelector('g.call[data-call=\"c3\"] rect').getAttribute('x')") != x_before
    browser.evaluate("document.querySelector('button[data-zoom=reset]').click()")
    assert browser.evaluate("document.getElementById('run0-window').textContent") == whole
    assert browser.errors() == []


def test_dragging_across_the_timeline_zooms_into_that_window(browser, pages):
    page, _ = pages["race"]
    browser.open(page)
    left, top, width = browser.evaluate("(() => { const r = document.querySelector('svg.timeline').getBoundingClientRect();"
                                        " return [r.left, r.top, r.width]; })()")
    plot_left = left + width * 170 / 1190  # the lane names take the first 170 of 1190 units
    y = top + 60
    _mouse(browser, "mousePressed", plot_left + 100, y, button="left", clickCount=1)
    _mouse(browser, "mouseMoved", plot_left + 250, y, button="left")
    _mouse(browser, "mouseReleased", plot_left + 300, y, button="left", clickCount=1)
    low, high = (float(v) for v in browser.evaluate("document.getElementById('run0-window').textContent").replace(" ms", "").split("–"))
    span = float(browser.evaluate("document.querySelector('svg.timeline').dataset.span"))
    plot = width * 1000 / 1190
    assert low == pytest.approx(100 / plot * span, rel=0.05) and high == pytest.approx(300 / plot * span, rel=0.05)
    assert browser.errors() == []


def test_hovering_a_call_tells_its_life(browser, pages):
    page, traces = pages["race"]
    browser.open(page)
    assert browser.evaluate("document.getElementById('tooltip').hidden") is True
    x, y = _centre(browser, 'g.call[data-call="c3"] rect.bar')
    _mouse(browser, "mouseMoved", x, y)
    text = browser.evaluate("document.getElementById('tooltip').textContent")
    assert browser.evaluate("document.getElementById('tooltip').hidden") is False
    c3 = history_of(traces[0]).calls["c3"]  # the overtaking call: it executed first in its task
    assert "c3 close_ticket" in text and "task printer" in text and f"executed{c3.execute['t']} ms (#1 in its task)" in text
    assert "out_of_order_execution" in text
    _mouse(browser, "mouseMoved", 5, 5)
    assert browser.evaluate("document.getElementById('tooltip').hidden") is True


def test_hovering_a_violation_lights_up_the_calls_it_names(browser, pages):
    page, _ = pages["race"]
    browser.open(page)
    lit = "Array.from(document.querySelectorAll('g.call.highlight')).map(g => g.dataset.call).sort()"
    x, y = _centre(browser, "ol.violations li")
    _mouse(browser, "mouseMoved", x, y)
    assert browser.evaluate(lit) == ["c2"]  # the first violation: c2 issued before c0, which it depends on, was delivered
    assert browser.evaluate("document.getElementById('run0-v0').classList.contains('highlight')") is True
    x, y = _centre(browser, "ol.violations > li:nth-child(3) > span.inv")
    _mouse(browser, "mouseMoved", x, y)
    assert browser.evaluate(lit) == ["c0", "c2"]  # the third: c2 then executed before c0
    assert browser.evaluate("document.getElementById('run0-v0').classList.contains('highlight')") is False


def test_linked_zoom_shows_the_same_window_in_every_run(browser, pages):
    page, _ = pages["all"]
    browser.open(page)
    windows = "Array.from(document.querySelectorAll('.toolbar .window')).map(w => w.textContent)"
    before = browser.evaluate(windows)
    browser.evaluate("document.querySelector('#run1 button[data-zoom=in]').click()")
    after = browser.evaluate(windows)
    assert after[1] != before[1] and after[0] == before[0]  # unlinked: one timeline moves
    browser.evaluate("(() => { const box = document.querySelector('#run0 input.link-zoom'); box.click(); })()")
    assert browser.evaluate("Array.from(document.querySelectorAll('input.link-zoom')).every(b => b.checked)") is True
    browser.evaluate("document.querySelector('#run0 button[data-zoom=in]').click()")
    linked = browser.evaluate(windows)
    assert linked[1] == linked[0] != before[0]  # the default world's run is longer: the same window exactly
    assert linked[2] != before[2]  # a shorter run: the window, kept inside the run
    assert browser.errors() == []
