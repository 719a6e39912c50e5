"""Cassettes under concurrency: many threads (and processes) recording into one file never tear or
interleave a line, the file's bytes do not depend on who recorded first, and threads replaying
share one reading of the file."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from policies.llm.cassette import Cassette, Recording, request_key

BIG = 200_000  # characters per response: far more than any write buffer


def _recording(name: str, size: int = BIG) -> Recording:
    request = {"model": "m", "messages": [{"role": "user", "content": name}]}
    return Recording(request_key("openai", request), request, {"text": name * (size // max(1, len(name)))})


def _record_on_threads(path: Path, names_per_thread: list[list[str]]) -> None:
    """Each thread opens its own handle on ``path`` and adds its recordings, all starting together."""
    start = threading.Barrier(len(names_per_thread))
    errors: list[BaseException] = []

    def work(names: list[str]) -> None:
        try:
            cassette = Cassette(path, must_exist=False)
            start.wait()
            for name in names:
                cassette.add(_recording(name))
            cassette.close()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(names,)) for names in names_per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def _lines(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    return [json.loads(line) for line in raw.splitlines()]


def test_many_threads_recording_at_once_leave_whole_lines_one_per_request_in_key_order(tmp_path):
    path = tmp_path / "c.jsonl"
    work = [[f"t{t}-r{r}" for r in range(4)] + ["shared"] for t in range(12)]
    _record_on_threads(path, work)
    lines = _lines(path)
    keys = [line["key"] for line in lines]
    assert len(lines) == 12 * 4 + 1 and keys == sorted(set(keys))
    assert all(Recording(d["key"], d["request"], d["response"]).line() == json.dumps(d, sort_keys=True, separators=(",", ":"))
               for d in lines)


def test_the_bytes_of_a_recording_do_not_depend_on_which_thread_recorded_first(tmp_path):
    names = [f"r{i}" for i in range(24)]
    _record_on_threads(tmp_path / "a.jsonl", [names[i::6] for i in range(6)])
    _record_on_threads(tmp_path / "b.jsonl", [list(reversed(names[i::4])) for i in range(4)])
    one = Cassette(tmp_path / "c.jsonl", must_exist=False)
    for name in names:
        one.add(_recording(name))
    one.close()
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes() == (tmp_path / "c.jsonl").read_bytes()


def test_the_first_recording_of_a_request_stays_whoever_adds_it_again(tmp_path):
    path = tmp_path / "c.jsonl"
    first, second = _recording("x", 10), Recording(_recording("x", 10).key, {"other": 1}, {"text": "later"})
    a, b = Cassette(path, must_exist=False), Cassette(path, must_exist=False)
    assert a.add(first) == first
    assert b.add(second) == first and b.get(first.key) == first
    a.close()
    b.close()
    assert len(_lines(path)) == 1


def test_threads_replaying_one_cassette_share_one_reading_of_it(tmp_path):
    path = tmp_path / "c.jsonl"
    _record_on_threads(path, [[f"r{i}" for i in range(8)]])
    handles = [Cassette(path, must_exist=True) for _ in range(8)]
    found: list[bool] = []
    start = threading.Barrier(len(handles))

    def replay(cassette: Cassette) -> None:
        start.wait()
        found.append(all(cassette.get(_recording(f"r{i}").key) == _recording(f"r{i}") for i in range(8)))

    threads = [threading.Thread(target=replay, args=(h,)) for h in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == [True] * 8
    assert len({id(h._tape) for h in handles}) == 1
    before = path.read_bytes()
    for h in handles:
        h.close()
    assert path.read_bytes() == before  # replaying writes nothing


def test_a_cassette_changed_by_another_process_is_read_again(tmp_path):
    path = tmp_path / "c.jsonl"
    held = Cassette(path, must_exist=False)
    held.add(_recording("mine", 10))
    with path.open("a", encoding="utf-8") as handle:
        handle.write(_recording("theirs", 10).line() + "\n")
    again = Cassette(path, must_exist=True)
    assert again.get(_recording("theirs", 10).key) is not None and again.get(_recording("mine", 10).key) is not None
    again.close()
    held.close()


def test_processes_recording_into_one_cassette_at_once_leave_whole_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    script = (
        "import sys\n"
        "from tests.llm.test_cassette_concurrency import _recording\n"
        "from policies.llm.cassette import Cassette\n"
        "c = Cassette(sys.argv[1], must_exist=False)\n"
        "for i in range(20):\n"
        "    c.add(_recording(sys.argv[2] + str(i)))\n"
        "c.close()\n"
    )
    root = Path(__file__).resolve().parents[2]
    children = [subprocess.Popen([sys.executable, "-c", script, str(path), tag], cwd=root) for tag in ("a", "b", "c")]
    assert [child.wait() for child in children] == [0, 0, 0]
    lines = _lines(path)
    assert len(lines) == 60 and len({line["key"] for line in lines}) == 60
    assert [line["key"] for line in lines] == sorted(line["key"] for line in lines)
