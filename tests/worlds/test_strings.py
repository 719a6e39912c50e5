"""StringTools behaviour: case modes, regex errors, splitting, padding, counting, slugs, truncation."""

from __future__ import annotations

import pytest

from worlds.strings.service import StringTools

TOOLS = StringTools()


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        ("hello wORLD", "upper", "HELLO WORLD"),
        ("they're well-known", "title", "They're Well-known"),
        ("hello world", "capitalize", "Hello world"),
        ("parseHTTPResponse2Fast", "snake", "parse_http_response2_fast"),
        ("Order ID number", "camel", "orderIdNumber"),
        ("order-id number", "pascal", "OrderIdNumber"),
        ("maxRetryCount", "constant", "MAX_RETRY_COUNT"),
        ("Crème brûlée", "kebab", "crème-brûlée"),
        ("don't stop", "snake", "dont_stop"),
    ],
)
def test_change_case(text, mode, expected):
    assert TOOLS.change_case(text, mode) == {"result": expected}


def test_unknown_case_mode_is_refused():
    assert TOOLS.change_case("x", "sarcastic")["error"].startswith("Unknown case mode 'sarcastic'")


def test_replace_text_is_literal_and_counts():
    assert TOOLS.replace_text("a.b.c", ".", r"\1") == {"result": r"a\1b\1c", "replacements": 2}
    assert TOOLS.replace_text("Aa aa", "aa", "x", ignore_case=True, count=1) == {"result": "x aa", "replacements": 1}
    assert "error" in TOOLS.replace_text("x", "", "y")
    assert "error" in TOOLS.replace_text("x", "x", "y", count=0)


def test_regex_errors_are_results_not_exceptions():
    assert TOOLS.regex_find("x", "(")["error"].startswith("Invalid regular expression '('")
    assert TOOLS.regex_replace("a", "a", r"\2")["error"].startswith("Invalid replacement")
    assert TOOLS.invoke("regex_find", {"text": "x", "pattern": "["}).error


def test_regex_find_reports_positions_and_groups():
    out = TOOLS.regex_find("a1 b22", r"([a-z])(\d+)?")
    assert out["count"] == 2
    assert out["matches"][1] == {"match": "b22", "start": 3, "end": 6, "groups": ["b", "22"]}
    assert TOOLS.regex_find("A\nb", "^b", multiline=True)["count"] == 1


def test_split_and_join():
    assert TOOLS.split_text("  a  b ") == {"parts": ["a", "b"], "count": 2}
    assert TOOLS.split_text("a,b,c", ",", max_splits=1)["parts"] == ["a", "b,c"]
    assert "error" in TOOLS.split_text("a", "")
    assert TOOLS.join_text(["a", "b"], "-") == {"result": "a-b"}


def test_pad_and_trim():
    assert TOOLS.pad_text("ab", 6, "*", "center") == {"result": "**ab**"}
    assert TOOLS.pad_text("long", 2) == {"result": "long"}
    assert TOOLS.pad_text("a", 3, "--")["error"] == "fill must be exactly one character."
    assert TOOLS.trim_text("xxaxx", "x", "left") == {"result": "axx"}


def test_count_substring_modes():
    assert TOOLS.count_substring("aaaa", "aa") == {"count": 2}
    assert TOOLS.count_substring("aaaa", "aa", overlapping=True) == {"count": 3}
    assert TOOLS.count_substring("Aa", "a", ignore_case=True) == {"count": 2}


def test_slugify():
    assert TOOLS.slugify("  Ünïcode & Friends!! ") == {"slug": "unicode-friends"}
    assert TOOLS.slugify("a b c d", max_length=4) == {"slug": "a-b"}
    assert "error" in TOOLS.slugify("x", separator="+")


def test_word_statistics():
    out = TOOLS.word_count("")
    assert out == {"words": 0, "unique_words": 0, "characters": 0, "characters_no_spaces": 0, "lines": 0, "sentences": 0}
    assert TOOLS.word_frequencies("b a b a c", top=2)["frequencies"] == [{"word": "a", "count": 2}, {"word": "b", "count": 2}]


def test_truncate():
    assert TOOLS.truncate_text("short", 10) == {"result": "short", "truncated": False}
    assert TOOLS.truncate_text("abcdefghij", 6) == {"result": "abc...", "truncated": True}
    assert TOOLS.truncate_text("one two three", 10, whole_words=True)["result"] == "one two..."
    assert TOOLS.truncate_text("one two three", 9, whole_words=True)["result"] == "one..."
    assert "error" in TOOLS.truncate_text("abc", 2)


def test_palindromes():
    assert TOOLS.is_palindrome("No 'x' in Nixon")["is_palindrome"] is True
    assert TOOLS.is_palindrome("ab a", ignore_non_alphanumeric=False)["is_palindrome"] is False


def test_string_tools_have_no_state():
    assert TOOLS.state() == {}


def test_a_catastrophic_pattern_cannot_hang_the_regex_tools():
    # (a+)+$ on a's then a b backtracks 2**n times in Python's re: here it runs in linear time
    text = "a" * 5000 + "b"
    assert TOOLS.regex_find(text, "(a+)+$") == {"count": 0, "matches": []}
    assert TOOLS.regex_replace(text, "(a|aa)*c", "x") == {"result": text, "replacements": 0}


def test_regex_classes_keep_pythons_unicode_meaning():
    out = TOOLS.regex_find("café über_1 ٣", r"\w+")
    assert [m["match"] for m in out["matches"]] == ["café", "über_1", "٣"]
    assert TOOLS.regex_find("x٣y", r"\d")["matches"][0]["match"] == "٣"
    assert TOOLS.regex_find("a b", r"[^\s]+")["count"] == 2


def test_backreferences_and_oversized_inputs_are_refused_as_results():
    from worlds.strings.safe_regex import MAX_PATTERN, MAX_TEXT

    assert "backreferences" in TOOLS.regex_find("aa", r"(a)\1")["error"]
    assert "too long" in TOOLS.regex_find("x" * (MAX_TEXT + 1), "x")["error"]
    assert "too long" in TOOLS.regex_find("x", "x" * (MAX_PATTERN + 1))["error"]
