"""``simtool check service NAME``: does a service plug-in keep the service contract?

Checks, each finding one line naming what to fix:

- ``class``: the entry point loads a ``Service`` subclass that can be built with a
  ``ServiceContext``;
- ``name``: the registry key is the class's ``name`` (worlds, gold calls and the runtime
  find the instance by it);
- ``schema``: ``schema_path`` names a ``tools.yaml`` that loads, whose ``service``/``domain``
  agree with the class, and every tool has a scope (a ``domain`` and an explicit ``access``);
- ``methods``: every tool has a method, with the same parameters (names, none renamed,
  required exactly when the method has no default, the same defaults unless the method's
  is ``None`` or a sentinel object, Python's "not given", the same JSON type as the
  annotation says), and every public method is a tool;
- ``state``: each scenario (``{}`` and every ``initial_config`` entry of the registered worlds,
  or of ``--world``) loads, and ``state()`` is plain JSON data;
- ``determinism``: two instances with the same seed and scenario have the same state, in
  this process and in two processes with different ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import subprocess
import sys
import tempfile
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from simtool import registry
from simtool.checks.report import Finding, Report
from simtool.errors import SimtoolError
from simtool.rng import stream
from simtool.service import Service, ServiceContext, ToolSchema, load_tool_schemas, normalize
from simtool.trace import canonical
from simtool.yamlspec import load_yaml

__all__ = ["check_service", "check_service_class", "scenarios_of"]

CHECKS = ("class", "name", "schema", "methods", "state", "determinism")
SEED = 0
_NO_DEFAULT = inspect.Parameter.empty


def check_service(name: str, world: str | None = None, processes: bool = True) -> Report:
    """Check the service registered as ``name`` (an unknown name is a ``RegistryError``: bad usage)."""
    if name not in registry.names("service"):
        raise registry.RegistryError(f"unknown service '{name}' (registered: {', '.join(registry.names('service')) or 'none'})")
    try:
        cls = registry.load("service", name)
    except SimtoolError as exc:
        return Report("service", name, CHECKS[:1], (Finding(f"entry point '{name}'", str(exc)),))
    return check_service_class(cls, name, scenarios_of(name, world), processes=processes)


def check_service_class(cls: Any, registered_as: str, scenarios: list[Mapping[str, Any]] | None = None,
                        processes: bool = False) -> Report:
    """Check a service class as if registered under ``registered_as``.

    ``scenarios``: what to load (default: ``{}`` only). ``processes``: also compare states
    across two processes (the class must then be registered as ``registered_as``).
    """
    where = getattr(cls, "__name__", repr(cls))
    if not (isinstance(cls, type) and issubclass(cls, Service)):
        found = Finding(f"entry point '{registered_as}'", f"loads {where!s}, which is not a subclass of simtool.service.Service: "
                                                           "register the service class itself")
        return Report("service", registered_as, CHECKS[:1], (found,))
    findings: list[Finding] = []
    findings += _name(cls, registered_as)
    schemas, schema_findings = _schemas(cls)
    findings += schema_findings
    if schemas is not None:
        findings += _methods(cls, schemas)
    instance_findings = _instance(cls)
    findings += instance_findings
    if not instance_findings:
        scenarios = list(scenarios) if scenarios is not None else [{}]
        findings += _states(cls, scenarios)
        if processes and not findings:
            findings += _across_processes(registered_as, cls, scenarios)
    return Report("service", registered_as, CHECKS, tuple(findings))


# ------------------------------------------------------------------ name
def _name(cls: type[Service], registered_as: str) -> list[Finding]:
    if cls.name == registered_as:
        return []
    if not cls.name:
        return [Finding(f"{cls.__name__}.name", f"is empty: set name = '{registered_as}' (the registry key)")]
    return [Finding(f"entry point '{registered_as}'", f"differs from {cls.__name__}.name '{cls.name}': worlds name the "
                                                      f"service by its registry key and calls find it by its name; "
                                                      f"rename the entry point to '{cls.name}' or set name = '{registered_as}'")]


# ------------------------------------------------------------------ schema
def _schemas(cls: type[Service]) -> tuple[dict[str, ToolSchema] | None, list[Finding]]:
    here = cls.__name__
    out: list[Finding] = []
    if not cls.domain:
        out.append(Finding(f"{here}.domain", "is empty, so its tools have no scope (permissions are "
                                             "<domain>.read and <domain>.write): set domain = 'yourdomain'"))
    path = cls.schema_path
    if path is None:
        return None, out + [Finding(f"{here}.schema_path", "is not set: point it at the tools.yaml beside the service "
                                                           "(schema_path = Path(__file__).with_name('tools.yaml'))")]
    if not Path(path).is_file():
        return None, out + [Finding(f"{here}.schema_path", f"names {path}, which is not a file")]
    try:
        raw, _ = load_yaml(path)
        schemas = load_tool_schemas(path, cls.name, cls.domain)
    except SimtoolError as exc:
        return None, out + [Finding(Path(path).name, str(exc))]  # the error names the file and line
    declared_service = raw.get("service")
    if declared_service is not None and declared_service != cls.name:
        out.append(Finding(f"{path}", f"says service: {declared_service} but {here}.name is '{cls.name}': make them the same"))
    declared_domain = raw.get("domain")
    if declared_domain is not None and cls.domain and declared_domain != cls.domain:
        out.append(Finding(f"{path}", f"says domain: {declared_domain} but {here}.domain is '{cls.domain}': make them the same"))
    if not schemas:
        out.append(Finding(f"{path}", "declares no tools: a service needs at least one"))
    for tool, spec in raw["tools"].items():
        if isinstance(spec, Mapping) and "access" not in spec:
            out.append(Finding(f"{path}: tool '{tool}'", "declares no access, so its scope is a guess (read): "
                                                         "say access: read or access: write"))
    return schemas, out


# ------------------------------------------------------------------ methods
def _signature(cls: type, tool: str) -> inspect.Signature | None:
    static = inspect.getattr_static(cls, tool, None)
    target = getattr(cls, tool, None)
    if not callable(target):
        return None
    signature = inspect.signature(target)
    if isinstance(static, (staticmethod, classmethod)):
        return signature
    params = list(signature.parameters.values())[1:]  # drop self
    return signature.replace(parameters=params)


def _public_methods(cls: type[Service]) -> list[str]:
    base = set(dir(Service))
    return sorted(n for n in dir(cls) if not n.startswith("_") and n not in base and inspect.isfunction(getattr(cls, n, None)))


def _methods(cls: type[Service], schemas: Mapping[str, ToolSchema]) -> list[Finding]:
    here = cls.__name__
    path = cls.schema_path
    out: list[Finding] = []
    for tool, schema in schemas.items():
        signature = _signature(cls, tool)
        if signature is None:
            out.append(Finding(f"{path}: tool '{tool}'", f"has no method {here}.{tool}: add the method or remove the tool"))
            continue
        out += _parameters(f"{here}.{tool}", f"{path}: tool '{tool}'", schema, signature, _hints(getattr(cls, tool)))
    for method in _public_methods(cls):
        if method not in schemas:
            out.append(Finding(f"{here}.{method}", f"is a public method but not a tool in {Path(str(path)).name}: declare the "
                                                   f"tool, or make the method private (_{method})"))
    return out


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array", tuple: "array", dict: "object"}
_NUMBERS = {"integer", "number"}  # an int is a number and Python does not care which arrives


def _hints(method: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(method)
    except Exception:  # annotations that do not resolve are not this check's business
        return {}


def _json_type(annotation: Any) -> str | None:
    """The tools.yaml type an annotation means, or None when it says nothing simple."""
    if annotation is Any:
        return None
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        return _json_type(args[0]) if len(args) == 1 else None
    if origin is not None:
        if origin in (list, tuple, Sequence):
            return "array"
        return "object" if origin in (dict, Mapping) else None
    return _JSON_TYPES.get(annotation)


def _plain(value: Any) -> bool:
    """Whether a default is JSON data (not None, not a sentinel object standing for "not given")."""
    return type(value) in (str, int, float, bool, list, dict, tuple)


def _parameters(method: str, tool: str, schema: ToolSchema, signature: inspect.Signature,
                hints: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    params = signature.parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    named = {n: p for n, p in params.items() if p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)}
    declared = schema.param_map
    only_yaml = [n for n in declared if n not in named and not takes_any]
    only_method = [n for n in named if n not in declared]
    if len(only_yaml) == 1 and len(only_method) == 1:
        out.append(Finding(tool, f"parameter '{only_yaml[0]}' is called '{only_method[0]}' in {method}: use one name in both"))
    else:
        out += [Finding(tool, f"declares parameter '{n}', which {method} does not take: add it to the method or remove it")
                for n in only_yaml]
        out += [Finding(method, f"takes parameter '{n}', which tools.yaml does not declare: declare it or remove it")
                for n in only_method]
    for name, p in named.items():
        if p.kind is inspect.Parameter.POSITIONAL_ONLY:
            out.append(Finding(method, f"parameter '{name}' is positional-only, but the runtime passes arguments by name: drop the '/'"))
        if name not in declared:
            continue
        spec = declared[name]
        annotated = _json_type(hints[name]) if name in hints else None
        if annotated and spec.type != "any" and annotated != spec.type and not {annotated, spec.type} <= _NUMBERS:
            out.append(Finding(tool, f"parameter '{name}' is {spec.type} in tools.yaml, but {method} says {annotated} "
                                     f"({getattr(hints[name], '__name__', hints[name])}): make them agree"))
        has_default = p.default is not _NO_DEFAULT
        if spec.required and has_default:
            out.append(Finding(tool, f"parameter '{name}' is required, but {method} gives it a default "
                                     f"({p.default!r}): drop the default or say required: false"))
        elif not spec.required and not has_default:
            out.append(Finding(tool, f"parameter '{name}' is optional, but {method} has no default for it (a call without "
                                     f"it fails): say required: true or give it a default"))
        elif spec.has_default and _plain(p.default) and normalize(spec.default) != normalize(p.default):
            # a method default of None or a sentinel object means "not given": the method computes the effective one
            out.append(Finding(tool, f"parameter '{name}' has default {spec.default!r}, but {method} uses {p.default!r}: "
                                     f"make them the same"))
    return out


# ------------------------------------------------------------------ state
def _context(cls: type[Service]) -> ServiceContext:
    name = cls.name or cls.__name__
    return ServiceContext("check", lambda stream_name: stream(SEED, "service", "check", name, stream_name))


def _instance(cls: type[Service]) -> list[Finding]:
    try:
        cls(_context(cls))
    except Exception as exc:
        return [Finding(f"{cls.__name__}.__init__", f"cannot be called with a ServiceContext ({type(exc).__name__}: {exc}): "
                                                    "take it as the first argument and pass it to Service.__init__")]
    return []


def _opaque(value: Any, path: str, seen: set[int]) -> Iterator[tuple[str, str]]:
    """Paths of values that ``state()`` can only record as their ``str()`` (objects with no data of their own)."""
    if value is None or isinstance(value, (str, int, bool)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            yield path, f"the float {value!r} (JSON has no such number)"
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _opaque(v, f"{path}[{k!r}]", seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, v in enumerate(value):
            yield from _opaque(v, f"{path}[{i}]", seen)
    elif hasattr(value, "to_state"):
        yield from _opaque(value.to_state(), f"{path}.to_state()", seen)
    elif hasattr(value, "__dict__"):
        for k, v in sorted(vars(value).items()):
            if not k.startswith("_"):
                yield from _opaque(v, f"{path}.{k}", seen)
    else:
        yield path, f"a {type(value).__module__}.{type(value).__qualname__}"


def _state_text(cls: type[Service], scenario: Mapping[str, Any]) -> str:
    service = cls(_context(cls))
    service.load_scenario(normalize(scenario))
    return json.dumps(service.state(), sort_keys=True, allow_nan=False, separators=(",", ":"))


def _label(scenario: Mapping[str, Any], index: int) -> str:
    return "scenario {}" if not scenario else f"scenario {index} ({canonical(scenario)[:60]}...)"


def _states(cls: type[Service], scenarios: list[Mapping[str, Any]]) -> list[Finding]:
    """The first scenario whose state is broken, reported once (the others likely break the same way)."""
    for index, scenario in enumerate(scenarios):
        found = _state_problems(cls, scenario, index)
        if found:
            return found
    return []


def _state_problems(cls: type[Service], scenario: Mapping[str, Any], index: int) -> list[Finding]:
    here, label = cls.__name__, _label(scenario, index)
    try:
        service = cls(_context(cls))
        service.load_scenario(normalize(scenario))
        state = service.state()
    except Exception as exc:
        return [Finding(f"{here}.load_scenario", f"{label}: raised {type(exc).__name__}: {exc}")]
    if not isinstance(state, dict):
        return [Finding(f"{here}.state", f"returns a {type(state).__name__}: return a dict of plain JSON data")]
    odd = [f"{p} holds {what}" for name, v in sorted(vars(service).items()) if not name.startswith("_")
           for p, what in _opaque(v, name, set())]
    if odd:
        return [Finding(f"{here}.state", f"{label}: {odd[0]}, which state() can only record as text: keep plain JSON "
                                         f"data in public attributes (or give the class a to_state() method)")]
    try:
        first = json.dumps(state, sort_keys=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        return [Finding(f"{here}.state", f"{label}: is not JSON ({exc}): return plain JSON data")]
    again = _state_text(cls, scenario)
    if again != first:
        return [Finding(f"{here}.state", f"{label}: two instances with the same seed and scenario differ (first at "
                                         f"character {_first_difference(first, again)}): draw randomness from "
                                         f"ctx.rng(name), never from random, time or id()")]
    return []


def _first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def _across_processes(name: str, cls: type[Service], scenarios: list[Mapping[str, Any]]) -> list[Finding]:
    with tempfile.TemporaryDirectory(prefix="simtool-check-") as tmp:
        path = Path(tmp, "scenarios.json")
        path.write_text(json.dumps(scenarios), encoding="utf-8")
        try:
            a, b = _child_states(name, path, "1"), _child_states(name, path, "2")
        except SimtoolError as exc:
            return [Finding(f"{cls.__name__}", f"could not be checked in a separate process: {exc}")]
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return [Finding(f"{cls.__name__}.state", f"{_label(scenarios[index], index)}: differs between two processes with "
                                                     f"different PYTHONHASHSEED (first at character {_first_difference(x, y)}): "
                                                     "do not let set order or hash() reach the state (sort sets, use lists)")]  # deterministic: advice text naming hash(), nothing is hashed
    return []


def _child_states(name: str, scenarios: Path, hashseed: str) -> list[str]:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    code = "import sys; from simtool.checks.services import _main; _main(sys.argv[1:])"
    done = subprocess.run([sys.executable, "-c", code, name, str(scenarios)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SimtoolError(done.stderr.strip()[-1000:])
    return done.stdout.splitlines()


# ------------------------------------------------------------------ scenarios
def scenarios_of(name: str, world: str | None = None) -> list[dict[str, Any]]:
    """``{}`` and every ``initial_config[name]`` of the registered worlds (or of ``world`` alone)."""
    from simtool.config import load_world_source

    sources = [world] if world else registry.names("world")
    found: dict[str, dict[str, Any]] = {canonical({}): {}}
    for source in sources:
        try:
            data, _ = load_world_source(source)
        except SimtoolError:
            if world:
                raise
            continue  # a broken world is not this service's fault
        for task in data.get("tasks") or []:
            scenario = (task.get("initial_config") or {}).get(name) if isinstance(task, Mapping) else None
            if isinstance(scenario, Mapping):
                found.setdefault(canonical(scenario), dict(scenario))
    return list(found.values())


def _main(argv: list[str]) -> None:
    """Child process: print the state text of each scenario of a JSON file, one a line."""
    name, path = argv
    cls = registry.load("service", name)
    for scenario in json.loads(Path(path).read_text(encoding="utf-8")):
        print(_state_text(cls, scenario))
