"""The file tree: files and directories with parent links, loaded from and dumped to the scenario shape.

The scenario (and state) shape is ``{name: {"type": "directory", "contents": {...}}}`` with
files as ``{"type": "file", "content": "..."}``. Children keep insertion order, because
``ls`` lists them in that order. No timestamps are kept: equality of trees ignores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["FileNode", "DirectoryNode", "Node", "INVALID_NAME_CHARS", "valid_name", "load_tree", "byte_size"]

# Characters the reference refuses in a file or directory name.
INVALID_NAME_CHARS = '|/\\?%*:"><'


def valid_name(name: str) -> bool:
    return not any(ch in name for ch in INVALID_NAME_CHARS)


class FileNode:
    """A file: a name and its text."""

    def __init__(self, name: str, content: str = "") -> None:
        self.name = name
        self.content = content

    def to_state(self) -> dict[str, Any]:
        return {"type": "file", "content": self.content}


class DirectoryNode:
    """A directory: a name, a parent link (None for the root) and named children in order."""

    def __init__(self, name: str, parent: DirectoryNode | None = None) -> None:
        self.name = name
        self.parent = parent
        self.contents: dict[str, Node] = {}

    def add_file(self, name: str, content: str = "") -> FileNode:
        # The reference raises here (an "Error during execution" result) rather than returning
        # an error dict; tools check first, so only cp into a directory reaches it.
        if name in self.contents:
            raise ValueError(f"File '{name}' already exists in directory '{self.name}'.")
        node = FileNode(name, content)
        self.contents[name] = node
        return node

    def add_directory(self, name: str) -> DirectoryNode:
        if name in self.contents:
            raise ValueError(f"Directory '{name}' already exists in directory '{self.name}'.")
        node = DirectoryNode(name, self)
        self.contents[name] = node
        return node

    def child(self, name: str) -> Node | None:
        """A child by name; ``.`` is the directory itself."""
        if name == ".":
            return self
        return self.contents.get(name)

    def to_state(self) -> dict[str, Any]:
        return {"type": "directory", "contents": {name: node.to_state() for name, node in self.contents.items()}}


Node = FileNode | DirectoryNode


def _fill(directory: DirectoryNode, contents: Mapping[str, Any]) -> DirectoryNode:
    for name, spec in contents.items():
        kind = spec.get("type")
        if kind == "directory":
            sub = DirectoryNode(name, directory)
            directory.contents[name] = _fill(sub, spec.get("contents") or {})
        elif kind == "file":
            directory.contents[name] = FileNode(name, spec.get("content", ""))
        # other entry types are skipped, as the reference skips them
    return directory


def explicit_root(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario with its root named outright: ``root`` keeps only its first entry.

    ``load_tree`` (like the reference) uses the first top-level entry and ignores the rest,
    so after canonical JSON sorts the keys another folder would become the root (BFCL
    entries 5 and 33 have two). With one entry left, key order no longer matters, and the
    loaded tree, its state and every result stay the reference's.
    """
    out = dict(scenario)
    root_spec = scenario.get("root")
    if isinstance(root_spec, Mapping) and len(root_spec) > 1:
        name, spec = next(iter(root_spec.items()))
        out["root"] = {name: spec}
    return out


def load_tree(scenario: Mapping[str, Any]) -> DirectoryNode:
    """The root directory from a scenario's ``root`` mapping; an empty ``/`` when there is none."""
    root_spec = scenario.get("root")
    if not root_spec:
        return DirectoryNode("/")
    # Only the first top-level entry is the root, as in the reference.
    name, spec = next(iter(root_spec.items()))
    return _fill(DirectoryNode(name), spec.get("contents") or {})


def byte_size(node: Node) -> int:
    """UTF-8 bytes of a file, or of every file below a directory."""
    if isinstance(node, FileNode):
        return len(node.content.encode("utf-8"))
    return sum(byte_size(child) for child in node.contents.values())
