"""GorillaFileSystem: BFCL's in-memory file system, one directory level at a time.

State is the tree only, ``{"root": {<root name>: {"type": "directory", "contents": {...}}}}``;
the current directory is private (equality with gold ignores it, and timestamps are not kept).
Result dicts and error strings follow the BFCL reference word for word, typos included,
because gold results are compared as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simtool.service import Service, ServiceContext
from worlds.filesystem import moves, text
from worlds.filesystem.tree import DirectoryNode, FileNode, byte_size, explicit_root, load_tree, valid_name

__all__ = ["GorillaFileSystem"]

Result = dict[str, Any]


class GorillaFileSystem(Service):
    name = "GorillaFileSystem"
    domain = "filesystem"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.root = DirectoryNode("/")
        self._cwd = self.root

    @classmethod
    def explicit_scenario(cls, scenario: Mapping[str, Any]) -> dict[str, Any]:
        """Only the first top-level folder, the root ``load_scenario`` takes (``explicit_root``)."""
        return explicit_root(scenario)

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        self.root = load_tree(scenario)
        self._cwd = self.root

    def state(self) -> dict[str, Any]:
        return {"root": {self.root.name: self.root.to_state()}}

    # --- lookups -------------------------------------------------------------------------

    def _navigate(self, path: str | None) -> DirectoryNode | None:
        """The directory at ``path`` (absolute, or relative to the current one), or None."""
        if path is None or path == ".":
            return self._cwd
        if path == "/":
            return self.root
        node: DirectoryNode = self.root if path.startswith("/") else self._cwd
        for part in path.strip("/").split("/"):
            step = node.child(part)
            if not isinstance(step, DirectoryNode):
                return None
            node = step
        return node

    def _file(self, name: str) -> FileNode | None:
        node = self._cwd.contents.get(name)
        return node if isinstance(node, FileNode) else None

    def _is_root(self, directory: DirectoryNode) -> bool:
        # The reference compares by value (name and contents), not identity.
        return directory is self.root or (
            directory.name == self.root.name and directory.to_state() == self.root.to_state()
        )

    # --- where am I ----------------------------------------------------------------------

    def pwd(self) -> Result:
        names: list[str] = []
        node: DirectoryNode | None = self._cwd
        while node is not None:  # the root's own name is part of the path, as in the reference
            names.append(node.name)
            node = node.parent
        return {"current_working_directory": "/" + "/".join(reversed(names))}

    def ls(self, a: bool = False) -> Result:
        names = list(self._cwd.contents)
        if not a:
            names = [n for n in names if not n.startswith(".")]
        return {"current_directory_content": names}

    def cd(self, folder: str) -> Result:
        folder = folder.rstrip("/") or "/"
        if folder not in (".", "..", "/") and "/" in folder:
            return {"error": f"cd: {folder}: Unsupported path. Only one folder level at a time is supported."}
        if folder == "..":
            if self._cwd.parent is not None:
                self._cwd = self._cwd.parent
                return {}
            if self._is_root(self._cwd):
                return {"error": "Current directory is already the root. Cannot go back."}
            return {"error": "cd: ..: No such directory"}
        target = self._navigate(folder)
        if target is None:
            # The reference's message at the corpus's commit; bfcl-eval 2026.3.23 says
            # "cd: '<folder>': No such file or directory". Kept: the pinned traces and
            # docs/default-world.md show this one (docs/bfcl-fidelity.md).
            return {"error": f"cd: {folder}: No such directory. You cannot use path to change directory."}
        self._cwd = target
        return {"current_working_directory": target.name}

    def find(self, path: str = ".", name: str | None = None) -> Result:
        if path is None:  # an explicit null fails inside the reference, and so here
            raise AttributeError("'NoneType' object has no attribute 'rstrip'")
        start = self._navigate(path)
        if start is None:
            return {"error": f"find: '{path}': No such file or directory"}
        matches: list[str] = []

        def walk(directory: DirectoryNode, prefix: str) -> None:
            for child_name, node in directory.contents.items():
                shown = f"{prefix}/{child_name}"
                if name is None or name in child_name:
                    matches.append(shown)
                if isinstance(node, DirectoryNode):
                    walk(node, shown)

        walk(start, path.rstrip("/"))
        return {"matches": matches}

    def du(self, human_readable: bool = False) -> Result:
        size = byte_size(self._cwd)
        return {"disk_usage": text.human_size(size) if human_readable else f"{size} bytes"}

    # --- creating and removing -----------------------------------------------------------

    def mkdir(self, dir_name: str) -> Result | None:
        if not valid_name(dir_name):
            return {"error": f"mkdir: cannot create directory '{dir_name}': Invalid character"}
        if dir_name in self._cwd.contents:
            return {"error": f"mkdir: cannot create directory '{dir_name}': File exists"}
        self._cwd.add_directory(dir_name)
        return None

    def touch(self, file_name: str) -> Result | None:
        if not valid_name(file_name):
            return {"error": f"touch: cannot touch '{file_name}': Invalid character"}
        if file_name in self._cwd.contents:
            return {"error": f"touch: cannot touch '{file_name}': File exists"}
        self._cwd.add_file(file_name)
        return None

    def echo(self, content: str, file_name: str | None = None) -> Result | None:
        if file_name is None:
            return {"terminal_output": content}
        if not valid_name(file_name):
            return {"error": f"echo: cannot write to '{file_name}': Invalid character"}
        if not file_name:
            return {"terminal_output": content}
        node = self._cwd.contents.get(file_name)
        if node is None:
            return {"error": f"echo: cannot write to '{file_name}': No such file"}
        if not isinstance(node, FileNode):
            # The reference fails inside the write; its message reaches the agent this way.
            raise AttributeError("'Directory' object has no attribute '_write'")
        node.content = content
        return None

    def rm(self, file_name: str) -> Result:
        if file_name not in self._cwd.contents:
            return {"error": f"rm: cannot remove '{file_name}': No such file or directory"}
        del self._cwd.contents[file_name]  # directories go too, empty or not
        return {"result": f"'{file_name}' removed"}

    def rmdir(self, dir_name: str) -> Result:
        node = self._cwd.contents.get(dir_name)
        if node is None:
            return {"error": f"rmdir: cannot remove '{dir_name}': No such file or directory"}
        if not isinstance(node, DirectoryNode):
            return {"error": f"rmdir: cannot remove '{dir_name}': Not a directory"}
        if node.contents:
            return {"error": f"rmdir: cannot remove '{dir_name}': Directory not empty"}
        del self._cwd.contents[dir_name]
        return {"result": f"'{dir_name}' removed"}

    def mv(self, source: str, destination: str) -> Result:
        return moves.move(self._cwd, source, destination)

    def cp(self, source: str, destination: str) -> Result:
        return moves.copy(self._cwd, source, destination)

    # --- reading -------------------------------------------------------------------------

    def cat(self, file_name: str) -> Result:
        if not valid_name(file_name):
            return {"error": f"cat: '{file_name}': Invalid character"}
        node = self._cwd.contents.get(file_name)
        if node is None:
            return {"error": f"cat: '{file_name}': No such file or directory"}
        if not isinstance(node, FileNode):
            return {"error": f"cat: '{file_name}': Is a directory"}
        return {"file_content": node.content}

    def wc(self, file_name: str, mode: str = "l") -> Result:
        if mode not in text.WC_MODES:
            return {"error": f"wc: invalid mode '{mode}'"}
        node = self._file(file_name)
        if node is None:
            return {"error": f"wc: {file_name}: No such file or directory"}
        return {"count": text.count(node.content, mode), "type": text.WC_MODES[mode]}

    def sort(self, file_name: str) -> Result:
        node = self._file(file_name)
        if node is None:
            return {"error": f"sort: {file_name}: No such file or directory"}
        return {"sorted_content": text.sorted_lines(node.content)}

    def grep(self, file_name: str, pattern: str) -> Result:
        node = self._file(file_name)
        if node is None:
            return {"error": f"grep: {file_name}: No such file or directory"}
        return {"matching_lines": text.matching_lines(node.content, pattern)}

    def tail(self, file_name: str, lines: int = 10) -> Result:
        node = self._file(file_name)
        if node is None:
            return {"error": f"tail: {file_name}: No such file or directory"}
        return {"last_lines": text.last_lines(node.content, lines)}

    def diff(self, file_name1: str, file_name2: str) -> Result:
        first, second = self._file(file_name1), self._file(file_name2)
        if first is None or second is None:
            return {"error": f"diff: {file_name1} or {file_name2}: No such file or directory"}
        return {"diff_lines": text.line_diff(first.content, second.content)}
