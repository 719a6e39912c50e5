"""The BFCL reference backend (``bfcl-eval``'s classes), driven the way BFCL's checker drives it.

``bfcl-eval`` ships the eight classes in ``bfcl_eval/eval_checker/multi_turn_eval/
func_source_code/`` (standard library and mpmath only); install it with
``pip install --no-deps bfcl-eval``. Tests that need it call ``require_reference()``, which
skips with a message naming that command when the package is absent.

What "the reference's result" means here is what BFCL's ``execute_multi_turn_func_call``
records: a ``str`` as it is, a ``dict`` as ``json.dumps`` (``str`` when that fails), anything
else as ``str``, and an exception as ``"Error during execution: <message>"``. A class's state
is its public (not underscore) attributes, JSON normalised (dict keys as strings, sets as
sorted lists); GorillaFileSystem's is its tree, ``{"root": {name: {"type", "contents"}}}``, the
shape of ``reference_0_99.jsonl``.
"""

from __future__ import annotations

import copy
import decimal
import importlib
import json
from collections.abc import Mapping
from importlib import metadata
from typing import Any

import mpmath
import pytest

from simtool.callstring import parse_call
from simtool.registry import service_class

__all__ = [
    "VERSION",
    "INSTALL",
    "CLASS_MODULES",
    "reference_available",
    "require_reference",
    "reference_instance",
    "reference_call",
    "reference_state",
    "reference_line",
]

VERSION = "2026.3.23"  # the release the differential tests are written against (.ci/run pins it)
INSTALL = f"pip install --no-deps bfcl-eval=={VERSION}"
_PACKAGE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
CLASS_MODULES = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}
STATELESS = {"MathAPI"}  # BFCL never loads a scenario into these


def reference_available() -> bool:
    """True when ``bfcl-eval``'s eight classes import."""
    try:
        for module in CLASS_MODULES.values():
            importlib.import_module(f"{_PACKAGE}.{module}")
    except ImportError:
        return False
    return True


def require_reference() -> None:
    """Skip the calling test, naming the install command, when the reference is absent or
    another release (messages change between releases)."""
    if not reference_available():
        pytest.skip(f"the BFCL reference backend is not installed: {INSTALL} (differential tests need it)")
    installed = metadata.version("bfcl-eval")
    if installed != VERSION:
        pytest.skip(f"bfcl-eval {installed} is installed; these tests compare with {VERSION}: {INSTALL}")


def reference_instance(class_name: str, scenario: Mapping[str, Any] | None) -> Any:
    """A fresh reference instance, loaded as BFCL loads it (a deep copy of the scenario)."""
    module = importlib.import_module(f"{_PACKAGE}.{CLASS_MODULES[class_name]}")
    instance = getattr(module, class_name)()
    if class_name not in STATELESS:
        instance._load_scenario(copy.deepcopy(dict(scenario or {})), long_context=False)
    return instance


def render(value: Any) -> str:
    """A result as BFCL's checker records it."""
    if type(value) is str:
        return value
    if type(value) is dict:
        try:
            return json.dumps(value)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def reference_call(instance: Any, tool: str, args: Mapping[str, Any]) -> str:
    """Call ``tool`` on the reference instance with keyword ``args``; the recorded result text.

    The reference's MathAPI sets mpmath's and decimal's precision for the whole process; both
    are put back after the call, so no later test sees them (each of its calls sets its own)."""
    digits, prec = mpmath.mp.dps, decimal.getcontext().prec
    try:
        # rendered before the precision is put back: an mpf prints with the global precision
        return render(getattr(instance, tool)(**copy.deepcopy(dict(args))))
    except Exception as exc:  # the checker records any exception as a result
        return f"Error during execution: {exc}"
    finally:
        mpmath.mp.dps, decimal.getcontext().prec = digits, prec


def _tree(node: Any) -> dict[str, Any]:
    if hasattr(node, "contents"):
        return {"type": "directory", "contents": {name: _tree(child) for name, child in node.contents.items()}}
    return {"type": "file", "content": node.content}


def _plain(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def reference_state(class_name: str, instance: Any) -> dict[str, Any]:
    """The instance's public state, JSON normalised (the shape of ``reference_0_99.jsonl``)."""
    if class_name == "GorillaFileSystem":
        return {"root": {instance.root.name: _tree(instance.root)}}
    public = {k: v for k, v in vars(instance).items() if not k.startswith("_")}
    return json.loads(json.dumps(public, default=_plain))


def reference_line(entry: Mapping[str, Any], gold: list[list[str]]) -> dict[str, Any]:
    """Replay an entry's gold path on the reference classes: a ``reference_0_99.jsonl``-shaped line."""
    classes = list(entry["involved_classes"])
    config = entry.get("initial_config") or {}
    instances = {c: reference_instance(c, config.get(c)) for c in classes}
    owners = {tool: c for c in classes for tool in service_class(c).schemas()}
    turns = []
    for turn in gold:
        calls = []
        for text in turn:
            name = text.split("(", 1)[0].strip()
            owner = owners.get(name)
            if owner is None:
                calls.append({"call": text, "class": None, "result": f"Error during execution: unknown tool {name}"})
                continue
            _, args = parse_call(text, service_class(owner).schemas()[name].param_names)
            calls.append({"call": text, "class": owner, "result": reference_call(instances[owner], name, args)})
        state = {c: reference_state(c, instances[c]) for c in classes}
        turns.append({"calls": calls, "state": {c: s for c, s in state.items() if s}})
    return {"id": entry["id"], "involved_classes": classes, "turns": turns}
