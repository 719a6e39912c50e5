"""The service contract: a stateful domain object with tool methods and one schema per tool.

Each task owns its own instances, so a call routed to the wrong task changes the wrong
state. A service is written as a plain class whose public methods are its tools; its tool
schemas live in one YAML file beside it (``tools.yaml``), the single source from which
argument checks, the LLM tool definitions and the docs are derived.

Results follow the BFCL reference: a service reports a refusal by returning
``{"error": "..."}``; an exception raised inside a tool is reported as the string
``"Error during execution: <message>"``. Both are outcome ``error``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from attrs import field, frozen

from simtool.errors import SpecError
from simtool.rng import CounterStream
from simtool.yamlspec import load_yaml

__all__ = [
    "OMITTED",
    "Param",
    "ToolSchema",
    "ToolResult",
    "Service",
    "ServiceContext",
    "load_tool_schemas",
    "check_args",
    "normalize",
    "plain_copy",
    "json_type",
]


class _Omitted:
    """The default of a service method's parameter that the method tells apart from an explicit
    null: the call left the argument out, so the method applies the default its ``tools.yaml``
    declares. ``simtool check service`` accepts it in place of that default."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED: Any = _Omitted()

_TYPES = ("string", "integer", "number", "boolean", "array", "object", "any")
_ALIASES = {"float": "number", "dict": "object", "int": "integer", "str": "string", "bool": "boolean",
            "list": "array", "tuple": "array"}


@frozen
class Param:
    """One tool parameter, in declaration order (the order positional gold arguments bind in)."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    default: Any = None
    has_default: bool = False
    items: str | None = None  # element type of an array
    enum: tuple[Any, ...] | None = None
    properties: tuple[Param, ...] = ()  # for an object with declared fields

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type} if self.type != "any" else {}
        if self.description:
            out["description"] = self.description
        if self.items:
            out["items"] = {"type": self.items} if self.items != "any" else {}
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.has_default:
            out["default"] = self.default
        if self.properties:
            out["properties"] = {p.name: p.json_schema() for p in self.properties}
        return out


@frozen
class ToolSchema:
    """A tool as the agent sees it, plus its access class (``read`` or ``write``)."""

    name: str
    service: str
    description: str
    params: tuple[Param, ...]
    access: str = "read"
    returns: Mapping[str, Any] = field(factory=dict)
    domain: str = ""
    mutates: bool | None = None  # changes state later calls read, whatever its access (``cd``); None: access == write

    @property
    def writes(self) -> bool:
        """Whether a call of this tool changes its service's state (what makes two calls conflict)."""
        return self.access == "write" if self.mutates is None else self.mutates

    @cached_property
    def scope(self) -> str:
        """The permission scope a call of this tool needs: ``<domain>.<access>``."""
        return f"{self.domain}.{self.access}"

    @cached_property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @cached_property
    def param_map(self) -> Mapping[str, Param]:
        return MappingProxyType({p.name: p for p in self.params})

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema of the arguments (``type: object``), as LLM tool definitions take it."""
        return {
            "type": "object",
            "properties": {p.name: p.json_schema() for p in self.params},
            "required": [p.name for p in self.params if p.required],
        }


@frozen
class ToolResult:
    """What a tool returned and whether it is a refusal or failure (outcome ``error``)."""

    value: Any
    error: bool = False


class ServiceContext:
    """What the runtime hands a service instance: its task and named seeded streams.

    Services that need randomness of their own (ids, readings) draw it from
    ``ctx.rng(name)``, a stream derived from the run's root seed, the task and the service,
    never from the run's latency streams. BFCL-compatible services keep the reference's own
    ``random.Random(seed)`` instead, so gold paths that quote ids replay.
    """

    def __init__(self, task_id: str, rng_factory: Callable[[str], CounterStream]) -> None:
        self.task_id = task_id
        self._rng_factory = rng_factory
        self.seeded = False  # a stream was asked for: what the service does depends on the run's seed

    def rng(self, name: str) -> CounterStream:
        self.seeded = True
        return self._rng_factory(name)


class Service:
    """Base class of a domain service. Subclasses set ``name``, ``domain`` and ``schema_path``.

    - ``name``: the class name as the corpus spells it (``"TicketAPI"``).
    - ``domain``: permission scope prefix; tools need ``<domain>.read`` or ``<domain>.write``.
    - ``schema_path``: the ``tools.yaml`` beside the service.
    Tools are public methods named as in the schema. ``load_scenario`` sets the initial state
    from a task's ``initial_config`` entry; ``state`` returns the public state;
    ``explicit_scenario`` rewrites a scenario whose meaning hangs on key order into one that
    says it outright (scenarios are stored as canonical JSON, whose keys are sorted).
    """

    name: ClassVar[str] = ""
    domain: ClassVar[str] = ""
    schema_path: ClassVar[Path | None] = None
    _schema_cache: ClassVar[dict[str, dict[str, ToolSchema]]] = {}

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        self._ctx = ctx

    @classmethod
    def schemas(cls) -> dict[str, ToolSchema]:
        """Tool name -> schema, read once from ``schema_path``."""
        key = f"{cls.__module__}.{cls.__qualname__}"
        cached = Service._schema_cache.get(key)
        if cached is None:
            if cls.schema_path is None:
                raise SpecError(f"service {cls.name or cls.__name__} declares no schema_path")
            cached = load_tool_schemas(cls.schema_path, cls.name, cls.domain)
            missing = [t for t in cached if not callable(getattr(cls, t, None))]
            if missing:
                raise SpecError(
                    f"{cls.schema_path}: tools {missing} have no method on {cls.__name__}",
                )
            Service._schema_cache[key] = cached
        return cached

    @classmethod
    def explicit_scenario(cls, scenario: Mapping[str, Any]) -> dict[str, Any]:
        """The same scenario, meaning the same whatever the order of its keys; default: a copy.

        A service whose ``load_scenario`` reads meaning from key order (e.g. "the first entry")
        overrides this; importers call it before a scenario is stored as canonical JSON."""
        return dict(scenario)

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        """Set the initial state from a scenario (``initial_config[name]``); default: no state."""

    def state(self) -> dict[str, Any]:
        """Public (non-underscore) attributes, JSON-normalised: the state that gold checks compare."""
        return {k: normalize(v) for k, v in sorted(vars(self).items()) if not k.startswith("_")}

    def invoke(self, tool: str, args: Mapping[str, Any]) -> ToolResult:
        """Run one tool atomically. Arguments are already checked against the schema."""
        method = getattr(self, tool)
        try:
            value = method(**{k: v if type(v) in _PLAIN else plain_copy(v) for k, v in args.items()})
        except Exception as exc:  # a tool's own failure is a result, as in the reference
            return ToolResult(f"Error during execution: {exc}", error=True)
        return ToolResult(value, error=isinstance(value, dict) and "error" in value)


_PLAIN = frozenset((str, int, float, bool, type(None)))


def plain_copy(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars); other objects go through ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:  # copied whole (in C), then the containers in it copied in turn
        out = value.copy()
        for k, v in value.items():
            if type(v) not in _PLAIN:
                out[k] = plain_copy(v)
        return out
    if kind is list:
        out_list = value.copy()
        for i, v in enumerate(value):
            if type(v) not in _PLAIN:
                out_list[i] = plain_copy(v)
        return out_list
    if kind in _PLAIN:
        return value
    return copy.deepcopy(value)


_LOW, _HIGH = float("-inf"), float("inf")


def normalize(value: Any) -> Any:
    """JSON-normalise: dict keys to strings, sets to sorted lists, tuples to lists, objects to dicts,
    non-finite floats to text."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:  # the common case, kept flat: string keys, scalar values as they are (copied whole, in C)
        out = value.copy()
        for k, v in value.items():
            if type(k) is not str:
                break
            t = type(v)
            # a finite float is kept as it is (NaN fails both comparisons)
            if not (t is str or t is int or t is bool or v is None or (t is float and _LOW < v < _HIGH)):
                out[k] = normalize(v)
        else:
            return out
    if kind is list:
        return [v if type(v) is str or type(v) is int else normalize(v) for v in value]
    if kind is float:
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [normalize(v) for v in value]
        return sorted(items, key=repr)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "to_state"):
        return normalize(value.to_state())
    if hasattr(value, "__dict__"):
        return {k: normalize(v) for k, v in sorted(vars(value).items()) if not k.startswith("_")}
    return str(value)


def _param(name: str, spec: Any, where: Any, path: tuple[Any, ...]) -> Param:
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, Mapping):
        raise where.error(path, "a parameter must be a type name or a mapping", expected="mapping", found=spec)
    unknown = sorted(set(spec) - {"type", "description", "required", "default", "items", "enum", "properties"})
    if unknown:
        raise where.error(path + (unknown[0],), "unknown parameter key", expected="type/description/required/default/items/enum/properties", found=unknown[0])
    ptype = _ALIASES.get(str(spec.get("type", "any")), str(spec.get("type", "any")))
    if ptype not in _TYPES:
        raise where.error(path + ("type",), "unknown type", expected=" | ".join(_TYPES), found=spec.get("type"))
    items = spec.get("items")
    if isinstance(items, Mapping):
        items = items.get("type", "any")
    if items is not None:
        items = _ALIASES.get(str(items), str(items))
        if items not in _TYPES:
            raise where.error(path + ("items",), "unknown item type", expected=" | ".join(_TYPES), found=items)
    props = tuple(
        _param(k, v, where, path + ("properties", k)) for k, v in (spec.get("properties") or {}).items()
    )
    enum = spec.get("enum")
    return Param(
        name=name,
        type=ptype,
        description=str(spec.get("description", "")),
        required=bool(spec.get("required", False)),
        default=spec.get("default"),
        has_default="default" in spec,
        items=items,
        enum=tuple(enum) if enum is not None else None,
        properties=props,
    )


def load_tool_schemas(path: str | Path, service: str, domain: str = "") -> dict[str, ToolSchema]:
    """Read a ``tools.yaml``: ``tools: {name: {access, description, parameters, returns}}``."""
    data, where = load_yaml(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("tools"), Mapping):
        raise where.error((), "a tool schema file needs a 'tools' mapping", expected="tools: {...}", found=data)
    domain = domain or str(data.get("domain", ""))
    out: dict[str, ToolSchema] = {}
    for name, spec in data["tools"].items():
        path_ = ("tools", name)
        if not isinstance(spec, Mapping):
            raise where.error(path_, "a tool must be a mapping", expected="mapping", found=spec)
        unknown = sorted(set(spec) - {"access", "mutates", "description", "parameters", "returns"})
        if unknown:
            raise where.error(path_ + (unknown[0],), "unknown tool key", expected="access/mutates/description/parameters/returns", found=unknown[0])
        mutates = spec.get("mutates")
        if mutates is not None and not isinstance(mutates, bool):
            raise where.error(path_ + ("mutates",), "mutates must be a boolean", expected="true | false", found=mutates)
        access = spec.get("access", "read")
        if access not in ("read", "write"):
            raise where.error(path_ + ("access",), "unknown access", expected="read | write", found=access)
        params = tuple(
            _param(pname, pspec, where, path_ + ("parameters", pname))
            for pname, pspec in (spec.get("parameters") or {}).items()
        )
        out[name] = ToolSchema(
            name=name,
            service=service,
            description=str(spec.get("description", "")).strip(),
            params=params,
            access=access,
            returns=dict(spec.get("returns") or {}),
            domain=domain,
            mutates=mutates,
        )
    return out


def json_type(value: Any) -> str:
    """The JSON type of a value: null, boolean, integer, number, string, object, array (else its Python type)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _type_ok(value: Any, ptype: str) -> bool:
    if ptype == "any":
        return True
    if ptype == "string":
        return isinstance(value, str)
    if ptype == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if ptype == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if ptype == "boolean":
        return isinstance(value, bool)
    if ptype == "array":
        return isinstance(value, (list, tuple))
    if ptype == "object":
        return isinstance(value, Mapping)
    return False


def check_args(schema: ToolSchema, args: Mapping[str, Any]) -> str | None:
    """Why ``args`` do not fit ``schema``, or None when they do."""
    known = schema.param_map
    for name in args:
        if name not in known:
            return f"{schema.name}: unknown argument '{name}' (expected one of {sorted(known)})"
    for p in schema.params:
        if p.name not in args:
            if p.required:
                return f"{schema.name}: missing required argument '{p.name}'"
            continue
        value = args[p.name]
        if value is None and not p.required:
            continue
        if not _type_ok(value, p.type):
            return f"{schema.name}: argument '{p.name}' expected {p.type}, found {type(value).__name__} {value!r}"
        if p.items and p.type == "array" and not all(_type_ok(v, p.items) for v in value):
            return f"{schema.name}: argument '{p.name}' expected array of {p.items}, found {value!r}"
        if p.enum is not None and value not in p.enum:
            return f"{schema.name}: argument '{p.name}' expected one of {list(p.enum)}, found {value!r}"
    return None
