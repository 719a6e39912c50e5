"""The results store: append-only rows keyed by cell, torn tails ignored and cut, one writer at a time."""

from __future__ import annotations

import pytest

from simtool.sweeps import ResultStore, StoreError, load_rows


def _row(key: str, **extra):
    return {"cell": key, "status": "ok", **extra}


def test_rows_are_appended_one_line_each_and_read_back_by_key(tmp_path):
    with ResultStore(tmp_path) as store:
        store.append(_row("b", x=2))
        store.append(_row("a", x=1))
    text = (tmp_path / "results.jsonl").read_text(encoding="utf-8")
    assert text == '{"cell":"b","status":"ok","x":2}\n{"cell":"a","status":"ok","x":1}\n'
    assert [r["cell"] for r in load_rows(tmp_path)] == ["a", "b"]  # sorted by cell key


def test_a_torn_last_line_is_ignored_on_read_and_cut_before_the_next_append(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_bytes(b'{"cell":"a","status":"ok"}\n{"cell":"b","sta')
    assert set(ResultStore(tmp_path).rows()) == {"a"}
    with ResultStore(tmp_path) as store:
        store.append(_row("b"))
    assert path.read_text(encoding="utf-8") == '{"cell":"a","status":"ok"}\n{"cell":"b","status":"ok"}\n'


def test_a_store_that_is_all_torn_tail_starts_empty(tmp_path):
    (tmp_path / "results.jsonl").write_bytes(b'{"cell":"a"')
    with ResultStore(tmp_path) as store:
        assert store.rows() == {}
        store.append(_row("a"))
    assert ResultStore(tmp_path).keys() == {"a"}


def test_a_cell_written_twice_counts_once_first_row_wins(tmp_path):
    with ResultStore(tmp_path) as store:
        store.append(_row("a", x=1))
        store.append(_row("a", x=2))
    assert load_rows(tmp_path) == [_row("a", x=1)]


def test_failed_rows_are_kept_but_plots_read_only_ok_rows_by_default(tmp_path):
    with ResultStore(tmp_path) as store:
        store.append(_row("a"))
        store.append({"cell": "b", "status": "failed", "error": "ValueError: no"})
    assert [r["cell"] for r in load_rows(tmp_path)] == ["a"]
    assert [r["cell"] for r in load_rows(tmp_path, status=None)] == ["a", "b"]


def test_a_broken_line_inside_the_store_is_an_error_naming_file_and_line(tmp_path):
    (tmp_path / "results.jsonl").write_text('{"cell":"a"}\nnot json\n{"cell":"b"}\n', encoding="utf-8")
    with pytest.raises(StoreError, match=r"results.jsonl:2"):
        ResultStore(tmp_path).rows()


def test_two_sweeps_cannot_write_one_folder_at_once(tmp_path):
    with ResultStore(tmp_path):
        with pytest.raises(StoreError, match="another sweep"):
            ResultStore(tmp_path).open()
    with ResultStore(tmp_path) as again:  # released on close
        again.append(_row("a"))


def test_reading_a_folder_without_results_says_how_to_make_them(tmp_path):
    with pytest.raises(StoreError, match="simtool sweep"):
        load_rows(tmp_path)
