"""``mv`` and ``cp`` within the current directory, with the reference's sharing of subtrees.

Both take names local to the current directory. A destination naming an existing directory
receives the source inside it; any other destination is the new name.

Sharing, kept on purpose because later states depend on it: the reference moves a directory
by making a new directory that takes over the old one's children mapping (the children keep
their old parent link), and copies a directory by a shallow copy of that mapping, so the copy
and the original share every grandchild: a later write inside one shows in both. Moving or
copying a file makes a new file with the same text.
"""

from __future__ import annotations

from typing import Any

from worlds.filesystem.tree import DirectoryNode, FileNode, Node

__all__ = ["move", "copy"]


def _place(target: DirectoryNode, name: str, item: Node, share_children: bool) -> None:
    """Put a new node named ``name`` for ``item`` into ``target``."""
    if isinstance(item, FileNode):
        target.add_file(name, item.content)
        return
    # Snapshot before adding, so copying a directory into itself does not contain itself
    # (the reference would build a cycle there; nothing else differs).
    children = item.contents if share_children else dict(item.contents)
    target.add_directory(name).contents = children


def move(cwd: DirectoryNode, source: str, destination: str) -> dict[str, Any]:
    if source not in cwd.contents:
        return {"error": f"mv: cannot move '{source}': No such file or directory"}
    item = cwd.contents[source]
    if "/" in destination:
        return {"error": "mv: path not allowed in destination. Provide only a file or directory name."}
    if destination not in cwd.contents:
        cwd.contents.pop(source)
        _place(cwd, destination, item, share_children=True)
        return {"result": f"'{source}' moved to '{destination}'"}
    target = cwd.contents[destination]
    if not isinstance(target, DirectoryNode):
        return {"error": f"mv: cannot move '{source}' to '{destination}': Not a directory"}
    if source in target.contents:
        return {"error": f"mv: cannot move '{source}' to '{destination}/{source}': File exists"}
    cwd.contents.pop(source)
    _place(target, source, item, share_children=True)
    return {"result": f"'{source}' moved to '{destination}/{source}'"}


def copy(cwd: DirectoryNode, source: str, destination: str) -> dict[str, Any]:
    if source not in cwd.contents:
        return {"error": f"cp: cannot copy '{source}': No such file or directory"}
    item = cwd.contents[source]
    if "/" in destination:
        return {"error": "cp: path not allowed in destination. Provide only a file or directory name."}
    if destination not in cwd.contents:
        _place(cwd, destination, item, share_children=False)
        return {"result": f"'{source}' copied to '{destination}'"}
    target = cwd.contents[destination]
    if not isinstance(target, DirectoryNode):
        return {"error": f"cp: cannot copy '{source}' to '{destination}': Not a directory"}
    # The reference's "File exists" check looks up "<destination>/<source>", a key that never
    # exists, so a name clash surfaces as the tree's ValueError (an "Error during execution").
    _place(target, source, item, share_children=False)
    return {"result": f"'{source}' copied to '{destination}/{source}'"}
