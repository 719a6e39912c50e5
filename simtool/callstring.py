"""Gold call strings (``"cd(folder='document')"``) parsed safely with ``ast``, never ``eval``."""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from simtool.errors import SpecError

__all__ = ["parse_call", "format_call"]


def _literal(node: ast.AST, text: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        raise SpecError(f"gold call {text!r}: arguments must be literals", expected="a literal", found=ast.unparse(node)) from None


def parse_call(text: str, param_names: Sequence[str] | None = None) -> tuple[str, dict[str, Any]]:
    """``"f(1, b='x')"`` -> ``("f", {"a": 1, "b": "x"})``; positional arguments bind in ``param_names`` order."""
    name, args = _parse_cached(text, tuple(param_names) if param_names is not None else None)
    return name, copy.deepcopy(args)


@lru_cache(maxsize=8192)
def _parse_cached(text: str, param_names: tuple[str, ...] | None) -> tuple[str, dict[str, Any]]:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise SpecError(f"gold call {text!r} is not a call: {exc.msg}", expected="name(arg=value, ...)", found=text) from None
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise SpecError(f"gold call {text!r} is not a plain call", expected="name(arg=value, ...)", found=text)
    name = call.func.id
    args: dict[str, Any] = {}
    if call.args:
        if param_names is None or len(call.args) > len(param_names):
            raise SpecError(f"gold call {text!r}: cannot bind {len(call.args)} positional arguments", expected=f"at most {len(param_names or ())}", found=len(call.args))
        for pname, node in zip(param_names, call.args, strict=False):
            args[pname] = _literal(node, text)
    for kw in call.keywords:
        if kw.arg is None:
            raise SpecError(f"gold call {text!r}: **kwargs not allowed", found=text)
        args[kw.arg] = _literal(kw.value, text)
    return name, args


def format_call(name: str, args: Mapping[str, Any]) -> str:
    """The canonical call string: keyword arguments in sorted order, Python literals."""
    return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in sorted(args.items())) + ")"
