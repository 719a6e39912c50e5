"""GorillaFileSystem: the tree state, one-level navigation, the reference's messages and sharing, its schema and lines."""

from __future__ import annotations

import pytest
from bfcl_partial import class_differences, reference_cases, schema_differences

from worlds.filesystem.service import GorillaFileSystem

SCENARIO = {
    "root": {
        "alex": {
            "type": "directory",
            "contents": {
                "notes.txt": {"type": "file", "content": "beta line\nalpha line\ngamma"},
                ".hidden": {"type": "file", "content": ""},
                "docs": {
                    "type": "directory",
                    "contents": {
                        "draft_a.md": {"type": "file", "content": "one two three"},
                        "inner": {"type": "directory", "contents": {"deep.txt": {"type": "file", "content": "é"}}},
                    },
                },
                "archive": {"type": "directory", "contents": {}},
            },
        }
    }
}


@pytest.fixture
def fs() -> GorillaFileSystem:
    service = GorillaFileSystem()
    service.load_scenario(SCENARIO)
    return service


def test_state_is_the_scenario_tree(fs):
    assert fs.state() == {"root": SCENARIO["root"]}


def test_without_a_root_the_tree_is_an_empty_slash():
    service = GorillaFileSystem()
    service.load_scenario({})
    assert service.state() == {"root": {"/": {"type": "directory", "contents": {}}}}
    assert service.pwd() == {"current_working_directory": "//"}


def test_current_directory_is_not_state(fs):
    before = fs.state()
    fs.cd("docs")
    assert fs.state() == before


def test_pwd_includes_the_root_name(fs):
    assert fs.pwd() == {"current_working_directory": "/alex"}
    fs.cd("docs")
    fs.cd("inner")
    assert fs.pwd() == {"current_working_directory": "/alex/docs/inner"}


def test_cd_goes_one_level_at_a_time(fs):
    assert fs.cd("docs/") == {"current_working_directory": "docs"}
    assert fs.cd("..") == {}
    assert fs.cd("docs/inner") == {"error": "cd: docs/inner: Unsupported path. Only one folder level at a time is supported."}
    assert fs.cd("nowhere") == {"error": "cd: nowhere: No such directory. You cannot use path to change directory."}
    assert fs.cd("notes.txt")["error"].startswith("cd: notes.txt: No such directory")
    fs.cd("docs")
    assert fs.cd("/") == {"current_working_directory": "alex"}


def test_cd_up_from_the_root_keeps_the_reference_typo(fs):
    assert fs.cd("..") == {"error": "Current directory is already the root. Cannot go back."}


def test_ls_hides_dot_names_unless_asked(fs):
    assert fs.ls() == {"current_directory_content": ["notes.txt", "docs", "archive"]}
    assert fs.ls(a=True) == {"current_directory_content": ["notes.txt", ".hidden", "docs", "archive"]}


def test_mkdir_and_touch_refuse_bad_and_taken_names(fs):
    assert fs.mkdir("new") is None and fs.touch("new.txt") is None
    assert fs.mkdir("new") == {"error": "mkdir: cannot create directory 'new': File exists"}
    assert fs.mkdir("a/b") == {"error": "mkdir: cannot create directory 'a/b': Invalid character"}
    assert fs.touch("notes.txt") == {"error": "touch: cannot touch 'notes.txt': File exists"}
    assert fs.touch("x?.txt") == {"error": "touch: cannot touch 'x?.txt': Invalid character"}
    assert fs.ls()["current_directory_content"][-2:] == ["new", "new.txt"]


def test_echo_prints_or_overwrites_an_existing_file_only(fs):
    assert fs.echo("hi") == {"terminal_output": "hi"}
    assert fs.echo("hi", "") == {"terminal_output": "hi"}
    assert fs.echo("new text", "notes.txt") is None
    assert fs.cat("notes.txt") == {"file_content": "new text"}
    assert fs.echo("x", "missing.txt") == {"error": "echo: cannot write to 'missing.txt': No such file"}
    assert fs.echo("x", "a:b") == {"error": "echo: cannot write to 'a:b': Invalid character"}


def test_echo_into_a_directory_fails_as_the_reference(fs):
    result = fs.invoke("echo", {"content": "x", "file_name": "docs"})
    assert result.error and result.value == "Error during execution: 'Directory' object has no attribute '_write'"


def test_cat_errors(fs):
    assert fs.cat("docs") == {"error": "cat: 'docs': Is a directory"}
    assert fs.cat("nope") == {"error": "cat: 'nope': No such file or directory"}
    assert fs.cat("a|b") == {"error": "cat: 'a|b': Invalid character"}


def test_find_searches_under_the_given_path(fs):
    assert fs.find() == {"matches": ["./notes.txt", "./.hidden", "./docs", "./docs/draft_a.md", "./docs/inner",
                                     "./docs/inner/deep.txt", "./archive"]}
    assert fs.find(path="docs", name="draft") == {"matches": ["docs/draft_a.md"]}
    assert fs.find(path="/docs/", name="deep") == {"matches": ["/docs/inner/deep.txt"]}
    assert fs.find(path="nowhere") == {"error": "find: 'nowhere': No such file or directory"}


def test_wc_counts_lines_words_characters(fs):
    assert fs.wc("notes.txt") == {"count": 3, "type": "lines"}
    assert fs.wc("notes.txt", "w") == {"count": 5, "type": "words"}
    assert fs.wc("notes.txt", "c") == {"count": 26, "type": "characters"}
    assert fs.wc("notes.txt", "x") == {"error": "wc: invalid mode 'x'"}
    assert fs.wc("docs") == {"error": "wc: docs: No such file or directory"}


def test_sort_grep_tail_diff(fs):
    assert fs.sort("notes.txt") == {"sorted_content": "alpha line\nbeta line\ngamma"}
    assert fs.grep("notes.txt", "line") == {"matching_lines": ["beta line", "alpha line"]}
    assert fs.tail("notes.txt", 2) == {"last_lines": "alpha line\ngamma"}
    assert fs.tail("notes.txt", 99) == {"last_lines": "beta line\nalpha line\ngamma"}
    assert fs.tail("notes.txt", 0) == {"last_lines": "beta line\nalpha line\ngamma"}  # the reference's slice
    fs.touch("other.txt")
    fs.echo("beta line\nALPHA\ngamma\nextra", "other.txt")
    assert fs.diff("notes.txt", "other.txt") == {"diff_lines": "- alpha line\n+ ALPHA"}
    assert fs.diff("notes.txt", "x") == {"error": "diff: notes.txt or x: No such file or directory"}
    for tool in ("sort", "grep", "tail"):
        args = {"file_name": "docs", **({"pattern": "a"} if tool == "grep" else {})}
        assert fs.invoke(tool, args).value == {"error": f"{tool}: docs: No such file or directory"}


def test_du_counts_utf8_bytes_of_the_current_directory(fs):
    fs.cd("docs")
    assert fs.du() == {"disk_usage": "15 bytes"}
    assert fs.du(human_readable=True) == {"disk_usage": "15.00 B"}
    fs.echo("x" * 1536, "draft_a.md")
    assert fs.du(human_readable=True) == {"disk_usage": "1.50 KB"}


def test_mv_renames_or_moves_into_a_sibling_directory(fs):
    assert fs.mv("notes.txt", "renamed.txt") == {"result": "'notes.txt' moved to 'renamed.txt'"}
    assert fs.ls()["current_directory_content"][-1] == "renamed.txt"  # re-added at the end
    assert fs.mv("renamed.txt", "archive") == {"result": "'renamed.txt' moved to 'archive/renamed.txt'"}
    assert fs.mv("ghost", "archive") == {"error": "mv: cannot move 'ghost': No such file or directory"}
    assert fs.mv("docs", "a/b") == {
        "error": "mv: path not allowed in destination. Provide only a file or directory name."
    }
    fs.touch("file")
    assert fs.mv("docs", "file") == {"error": "mv: cannot move 'docs' to 'file': Not a directory"}
    fs.touch("renamed.txt")
    assert fs.mv("renamed.txt", "archive") == {"error": "mv: cannot move 'renamed.txt' to 'archive/renamed.txt': File exists"}


def test_a_moved_directorys_children_keep_their_old_parent_link(fs):
    # the reference gives the moved directory the old children mapping without relinking it
    fs.mv("docs", "papers")
    fs.cd("papers")
    fs.cd("inner")
    assert fs.pwd() == {"current_working_directory": "/alex/docs/inner"}


def test_cp_copies_and_refuses_a_clash_inside_a_directory(fs):
    assert fs.cp("notes.txt", "copy.txt") == {"result": "'notes.txt' copied to 'copy.txt'"}
    assert fs.cp("notes.txt", "archive") == {"result": "'notes.txt' copied to 'archive/notes.txt'"}
    clash = fs.invoke("cp", {"source": "notes.txt", "destination": "archive"})
    assert clash.error and clash.value == "Error during execution: File 'notes.txt' already exists in directory 'archive'."
    assert fs.cp("ghost", "x") == {"error": "cp: cannot copy 'ghost': No such file or directory"}
    assert fs.cp("notes.txt", "copy.txt")["error"] == "cp: cannot copy 'notes.txt' to 'copy.txt': Not a directory"
    assert fs.cp("notes.txt", "a/b") == {
        "error": "cp: path not allowed in destination. Provide only a file or directory name."
    }


def test_a_copied_directory_shares_grandchildren_with_the_original(fs):
    fs.cp("docs", "docs_copy")
    fs.cd("docs_copy")
    fs.cd("inner")
    fs.echo("changed", "deep.txt")
    tree = fs.state()["root"]["alex"]["contents"]
    assert tree["docs"]["contents"]["inner"]["contents"]["deep.txt"]["content"] == "changed"
    fs.cd("..")  # the shared child's parent is still the original
    assert fs.pwd() == {"current_working_directory": "/alex/docs"}


def test_copying_a_directory_into_itself_does_not_nest_it_in_itself(fs):
    assert fs.cp("archive", "archive") == {"result": "'archive' copied to 'archive/archive'"}
    assert fs.state()["root"]["alex"]["contents"]["archive"] == {
        "type": "directory", "contents": {"archive": {"type": "directory", "contents": {}}},
    }


def test_rm_and_rmdir(fs):
    assert fs.rmdir("docs") == {"error": "rmdir: cannot remove 'docs': Directory not empty"}
    assert fs.rmdir("notes.txt") == {"error": "rmdir: cannot remove 'notes.txt': Not a directory"}
    assert fs.rmdir("ghost") == {"error": "rmdir: cannot remove 'ghost': No such file or directory"}
    assert fs.rmdir("archive") == {"result": "'archive' removed"}
    assert fs.rm("docs") == {"result": "'docs' removed"}
    assert fs.rm("docs") == {"error": "rm: cannot remove 'docs': No such file or directory"}
    assert fs.ls(a=True) == {"current_directory_content": ["notes.txt", ".hidden"]}


def test_tools_yaml_agrees_with_the_bfcl_func_doc(bfcl_dir):
    assert schema_differences(GorillaFileSystem, bfcl_dir / "multi_turn_func_doc" / "gorilla_file_system.json") == []


def test_reference_lines_0_99_for_this_class(bfcl_dir):
    cases = reference_cases(bfcl_dir, "GorillaFileSystem")
    assert len(cases) == 50
    assert [d for case in cases for d in class_differences(GorillaFileSystem, *case)] == []


def test_an_explicit_scenario_keeps_only_the_root_the_service_loads():
    two_roots = {"root": {"project": {"type": "directory", "contents": {"deploy.py": {"type": "file", "content": "x"}}},
                          "backup_scripts": {"type": "directory", "contents": {}}}}
    explicit = GorillaFileSystem.explicit_scenario(two_roots)
    assert list(explicit["root"]) == ["project"]
    as_given, reordered = GorillaFileSystem(), GorillaFileSystem()
    as_given.load_scenario(two_roots)
    reordered.load_scenario({"root": dict(reversed(list(explicit["root"].items())))})
    assert reordered.state() == as_given.state()


def test_an_explicit_scenario_with_one_root_is_unchanged():
    assert GorillaFileSystem.explicit_scenario(SCENARIO) == SCENARIO
