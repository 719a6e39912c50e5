"""The report page as markup: self-contained, every call a labelled bar, text escaped, the same bytes
for the same traces, the comparison of several runs, and the command's errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from simtool.report import config_differences, report_html, write_report
from simtool.scoring import history_of
from tests.hardening.support import simtool
from tests.report.support import (
    HOSTILE_TASK,
    HOSTILE_WORLD,
    MATHTEXT_TASK,
    cut_trace,
    default_trace,
    hostile_trace,
    outage_trace,
    race_seed,
    race_trace,
)


class Page(HTMLParser):
    """Elements, the text of each call's label, and every URL-bearing attribute of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.calls: dict[str, str] = {}  # call id -> its label's text
        self._call: str | None = None
        self._in_label = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "g" and "call" in (attributes.get("class") or "").split():
            self._call = attributes["data-call"]
            self.calls[self._call] = ""
        if tag == "text" and self._call is not None and "label" in (attributes.get("class") or "").split():
            self._in_label = True

    def handle_endtag(self, tag):
        if tag == "text":
            self._in_label = False
        if tag == "g":
            self._call = None

    def handle_data(self, data):
        if self._in_label and self._call is not None:
            self.calls[self._call] += data


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    return {
        "race": race_trace(folder), "clean": race_trace(folder, "interleave"), "default": default_trace(folder),
        "hostile": hostile_trace(folder), "outage": outage_trace(folder), "cut": cut_trace(folder),
        "race-next-seed": race_trace(folder, seed=race_seed() + 1),
    }


def test_every_call_of_the_trace_is_a_bar_labelled_with_its_id_and_tool(traces):
    for name in ("race", "default", "outage"):
        h = history_of(traces[name])
        page = Page(report_html([traces[name]]))
        assert page.calls == {c.call_id: f"{c.call_id} {c.tool}" for c in h.calls.values()}, name


def test_the_page_requests_nothing_and_forbids_requests(traces):
    html = report_html([traces["race"], traces["default"]])
    page = Page(html)
    assert not [t for t, a in page.tags if t in ("link", "img", "iframe", "object", "embed")]
    assert not [(t, a) for t, a in page.tags if "src" in a or ("href" in a and not str(a["href"]).startswith("#"))]
    assert "default-src 'none'" in next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv"))
    assert set(re.findall(r"https?://[^\s\"'<]+", html)) == {"http://www.w3.org/2000/svg"}  # a namespace, not a request


def test_the_same_traces_give_the_same_bytes(traces, tmp_path):
    a = write_report([traces["race"], traces["clean"]], tmp_path / "a.html").read_bytes()
    b = write_report([traces["race"], traces["clean"]], tmp_path / "b.html").read_bytes()
    assert a == b


def test_the_page_is_the_same_bytes_in_any_process(traces, tmp_path):
    pages = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"p{hash_seed}.html"
        done = subprocess.run([sys.executable, "-m", "simtool", "report", str(traces["default"]), str(traces["race"]), "--out", str(out)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert done.returncode == 0, done.stderr
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]


def test_text_from_a_trace_is_escaped_in_markup_and_in_the_script_data(traces):
    html = report_html([traces["hostile"]])
    page = Page(html)
    assert not [t for t, _ in page.tags if t == "img"]
    assert [t for t, _ in page.tags if t == "script"] == ["script", "script"]  # the calls' data and the page's script
    assert HOSTILE_WORLD not in html and "&lt;/script&gt;&lt;script&gt;" in html
    data = re.search(r'<script type="application/json" class="calls" data-run="0">(.*?)</script>', html, re.S).group(1)
    assert "<" not in data and json.loads(data)["c0"]["task"] == HOSTILE_TASK
    assert {c for c in page.calls} == {"c0", "c1", "c2", "c3"}
    assert MATHTEXT_TASK in {a.get("data-task") for t, a in page.tags if t == "g"}


def test_faults_outages_and_violations_are_drawn(traces):
    page = Page(report_html([traces["outage"]]))
    classes = [str(a.get("class") or "") for _, a in page.tags]
    assert any("mark-outage" in c and "window" in c for c in classes)  # the declared outage window
    assert any("mark-revoke" in c for c in classes)
    assert any("state-refused" in c for c in classes)  # the call the outage refused
    marks = [a for t, a in page.tags if "violation-mark" in str(a.get("class") or "")]
    listed = [a for t, a in page.tags if t == "li" and a.get("data-mark", "").startswith("run0-v")]
    assert marks and len(marks) == len(listed)  # a triangle per listed offence


def test_the_violations_come_with_their_causal_chain_and_the_run_in_words(traces):
    html = report_html([traces["race"]])
    assert html.count('<ol class="chain">') == 4  # every violation of the race explained
    assert "out_of_order_execution" in html and "expected 5, found 4" in html
    assert "The run in words" in html


def test_calls_still_in_flight_at_the_end_are_drawn_dotted_and_in_the_legend(traces):
    html = report_html([traces["cut"]])
    page = Page(html)
    assert any("state-in_flight" in str(a.get("class") or "") for t, a in page.tags if t == "g")
    assert "still in flight at the end" in html and "incomplete trace" in html


def test_several_traces_get_a_comparison_and_their_differences(traces):
    html = report_html([traces["race"], traces["race-next-seed"], traces["clean"]])
    assert '<section id="comparison">' in html and html.count('<section class="run"') == 3
    differences = dict(config_differences([history_of(traces["race"]), history_of(traces["race-next-seed"])]))
    assert differences == {"seed": [str(race_seed()), str(race_seed() + 1)]}
    assert "<code>seed</code>" in html and "<code>policy.name</code>" in html


def test_one_trace_has_no_comparison(traces):
    assert '<section id="comparison">' not in report_html([traces["race"]])


def _simtool(*args, cwd):
    """``simtool ARGS`` run from ``cwd``, in this process (the any-process test above runs the command
    as a child process): its exit code, stdout, and stderr with wrapped lines joined."""
    here = os.getcwd()
    os.chdir(cwd)
    try:
        done = simtool(*map(str, args))
    finally:
        os.chdir(here)
    return SimpleNamespace(returncode=done.code, stdout=done.out, stderr=" ".join(done.err.split()))


def test_report_command_writes_the_page(traces, tmp_path):
    done = _simtool("report", traces["race"], traces["clean"], "--out", tmp_path / "sub" / "runs.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and (tmp_path / "sub" / "runs.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("args, says", [
    (["--out", "page.png"], "written as .html"),
    (["--out", "."], "written as .html"),
])
def test_report_command_refuses_a_bad_output(traces, tmp_path, args, says):
    done = _simtool("report", traces["race"], *args, cwd=tmp_path)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


def test_report_command_refuses_an_output_under_a_file_before_any_work(traces, tmp_path):
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    done = _simtool("report", traces["race"], "--out", tmp_path / "plain" / "r.html", cwd=tmp_path)
    assert done.returncode == 2 and "is a file, not a folder" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("content, says", [
    (b"\x7fELF\x02\x01\xd0\xff", "not UTF-8 text"),
    (b'{"kind":"header"}\n{"kind":"issue"}\n', "unknown trace format"),  # refused by the trace reader first
    (b"", "a trace starts with a header line"),
])
def test_report_command_names_a_file_that_is_not_a_trace(tmp_path, content, says):
    (tmp_path / "bad.jsonl").write_bytes(content)
    done = _simtool("report", "bad.jsonl", "--out", "r.html", cwd=tmp_path)
    assert done.returncode == 2 and "bad.jsonl" in done.stderr and says in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "r.html").exists()


def test_report_command_refuses_a_missing_trace(tmp_path):
    done = _simtool("report", tmp_path / "nope.jsonl", "--out", tmp_path / "r.html", cwd=tmp_path)
    assert done.returncode == 2 and "nope.jsonl: no such trace file" in done.stderr and not (tmp_path / "r.html").exists()


def test_dependencies_are_lines_from_the_awaited_result_to_the_waiting_call(traces):
    # race world: each task's second call depends on its first (a create, then an edit or a close of it)
    for name, early in (("race", True), ("clean", False)):
        h = history_of(traces[name])
        page = Page(report_html([traces[name]]))
        lines = [a for t, a in page.tags if t == "line" and "dependency" in str(a.get("class") or "").split()]
        assert len(lines) == 2, name
        for line in lines:
            assert ("early" in line["class"].split()) is early
            waiting = next(c for c in h.calls.values() if c.issue["t"] == int(line["data-b"]) and c.turn == 0
                           and c.tool != "create_ticket")
            awaited = next(c for c in h.calls.values() if c.task == waiting.task and c.tool == "create_ticket")
            assert int(line["data-a"]) == awaited.ended["t"]  # the awaited result came back there
            assert (int(line["data-a"]) > int(line["data-b"])) is early  # issued before it: back in time
        legend = "dependency violated: issued before the result" if early else "dependency: waited for the result"
        assert legend in report_html([traces[name]])
