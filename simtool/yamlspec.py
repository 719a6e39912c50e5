"""YAML loading that remembers where every key came from, so errors can name file and line."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from simtool.errors import SpecError
from simtool.filecache import FileCache, file_version
from simtool.paths import read_text

__all__ = ["Located", "load_yaml", "load_yaml_text", "MAX_YAML_VALUES", "MAX_YAML_BYTES", "check_int", "check_str",
           "check_keys"]

# Aliases let a few hundred bytes stand for a billion values ("billion laughs"): a document may
# expand to at most this many values, counting every alias as the values it repeats.
MAX_YAML_VALUES = 500_000
MAX_YAML_BYTES = 16 * 1024 * 1024


class Located:
    """Where each key path of a loaded document was written: ``{("tasks", 0, "id"): line}``."""

    def __init__(self, file: str | None, lines: dict[tuple[Any, ...], int],
                 overrides: dict[tuple[Any, ...], str] | None = None) -> None:
        self.file = file
        self.lines = lines
        self.overrides = overrides or {}  # key path -> the override that wrote it, as the user gave it

    def with_overrides(self, overrides: dict[tuple[Any, ...], str]) -> Located:
        """The same locations, with errors inside these key paths blamed on the override named
        (``--set world.a=1``, or however the caller took it from the user)."""
        return Located(self.file, self.lines, {**self.overrides, **overrides})

    def override_of(self, path: tuple[Any, ...]) -> str | None:
        """The override that wrote ``path`` or one of its ancestors, if any did."""
        for n in range(len(path), 0, -1):
            if path[:n] in self.overrides:
                return self.overrides[path[:n]]
        return None

    def line(self, path: tuple[Any, ...]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def error(
        self, path: tuple[Any, ...], message: str, *, expected: str | None = None, found: object = None
    ) -> SpecError:
        key = ".".join(str(p) for p in path) if path else None
        given = self.override_of(path)
        if given is not None:
            return SpecError(f"{given}: {message}", expected=expected, found=found)
        return SpecError(message, file=self.file, line=self.line(path), key=key, expected=expected, found=found)


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Budget:
    """Counts the values constructed, aliases expanded: the cap on a document's size."""

    def __init__(self, file: str | None) -> None:
        self.left = MAX_YAML_VALUES
        self.file = file

    def spend(self, node: yaml.Node) -> None:
        self.left -= 1
        if self.left < 0:
            raise SpecError("the YAML expands to too many values (aliases repeated inside aliases?)", file=self.file,
                            line=node.start_mark.line + 1, expected=f"at most {MAX_YAML_VALUES} values",
                            found="more")


def _check_expansion(node: yaml.Node, file: str | None) -> None:
    """Refuse a document whose aliases expand to more than the budget, before building any of it.

    A node's expanded size is counted once and reused wherever an alias repeats it, so this costs
    the size of the document as written, not as expanded. The error names the line of the
    innermost value that alone is over the budget (where the repetition starts to explode).
    """
    sizes: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        key = id(n)
        if key not in sizes:
            sizes[key] = 1  # a recursive alias counts once here; building it is refused as too deep
            children = [v for _, v in n.value] if isinstance(n, yaml.MappingNode) else n.value if isinstance(n, yaml.SequenceNode) else []
            sizes[key] = 1 + sum(size(c) for c in children)
        return sizes[key]

    if size(node) <= MAX_YAML_VALUES:
        return
    while True:
        children = [v for _, v in node.value] if isinstance(node, yaml.MappingNode) else node.value if isinstance(node, yaml.SequenceNode) else []
        over = next((c for c in children if sizes.get(id(c), 0) > MAX_YAML_VALUES), None)
        if over is None:
            break
        node = over
    raise SpecError("the YAML expands to too many values (aliases repeated inside aliases?)", file=file,
                    line=node.start_mark.line + 1, expected=f"at most {MAX_YAML_VALUES} values", found="more")


def _construct(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int], file: str | None,
               budget: _Budget | None = None) -> Any:
    budget = budget or _Budget(file)
    budget.spend(node)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        raise SpecError("a YAML tag that names a type is not allowed", file=file, line=node.start_mark.line + 1,
                        expected="plain mappings, lists and values", found=node.tag)
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if not isinstance(key, str | int | float | bool) or isinstance(key, bool):
                raise SpecError("mapping keys must be strings", file=file, line=key_node.start_mark.line + 1)
            key = str(key)
            if key in out:
                raise SpecError(f"duplicate key '{key}'", file=file, line=key_node.start_mark.line + 1)
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, path + (key,), lines, file, budget)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path + (i,), lines, file, budget) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_yaml_text(text: str, file: str | None = None) -> tuple[Any, Located]:
    """Parse YAML text into plain data plus the line of every key path."""
    if len(text) > MAX_YAML_BYTES:
        raise SpecError("the YAML document is too large", file=file, expected=f"at most {MAX_YAML_BYTES} characters",
                        found=f"{len(text)} characters")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise SpecError("the YAML is nested too deeply", file=file, expected="at most a few hundred levels", found="more") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            file=file,
            line=(mark.line + 1) if mark else None,
        ) from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is None:
        return None, Located(file, lines)
    try:
        _check_expansion(node, file)
        return _construct(node, (), lines, file), Located(file, lines)
    except RecursionError:
        raise SpecError("the YAML is nested too deeply", file=file, expected="at most a few hundred levels", found="more") from None
    except yaml.YAMLError as exc:  # a tag the safe loader refuses, a bad timestamp, ...
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file,
                        line=(mark.line + 1) if mark else None) from None


PARSED = FileCache()  # parsed YAML files by (path, file version): one parse per file version per process


def load_yaml(path: str | Path, what: str = "YAML file") -> tuple[Any, Located]:
    """Load a YAML file (a regular UTF-8 file of bounded size); errors name the file.

    Parsed once per file version (path, mtime, size) per process; every caller gets its own
    deep copy of the data, so changing it never reaches another caller.
    """
    p = Path(path)
    try:
        version = file_version(p)
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", file=str(p)) from None
    data, where = PARSED.get((str(p), version, what), lambda: load_yaml_text(read_text(p, what), str(p)))
    return copy.deepcopy(data), Located(where.file, where.lines)


def as_mapping(value: Any, where: Located, path: tuple[Any, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise where.error(path, "must be a mapping", expected="a mapping", found=value)
    return value


def check_int(value: Any, where: Located, path: tuple[Any, ...], *, minimum: int = 0, optional: bool = False) -> int | None:
    """A whole number >= ``minimum`` (None allowed when ``optional``); else an error naming ``path``."""
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise where.error(path, "must be a whole number", expected=f"an integer >= {minimum}", found=value)
    return value


def check_str(value: Any, where: Located, path: tuple[Any, ...]) -> str:
    """A non-empty string; else an error naming ``path``."""
    if not isinstance(value, str) or not value:
        raise where.error(path, "must be a non-empty string", expected="a string", found=value)
    return value


def check_keys(spec: Mapping[str, Any], allowed: Sequence[str], where: Located, path: tuple[Any, ...]) -> None:
    """Refuse the first (sorted) key of ``spec`` not in ``allowed``, naming the keys allowed."""
    extra = sorted(set(spec) - set(allowed))
    if extra:
        raise where.error(path + (extra[0],), "unknown key", expected=" | ".join(allowed), found=extra[0])
