"""Service plug-ins for the checker's tests: ``Doors`` is well formed; every other class breaks
the service contract in exactly one way (its docstring says which)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from simtool.service import Service, ServiceContext

HERE = Path(__file__).parent


class Doors(Service):
    """Well formed: two tools, plain JSON state."""

    name = "Doors"
    domain = "doors"
    schema_path = HERE / "doors.yaml"

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.open: list[str] = []

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        self.open = list(scenario.get("open", []))

    def open_door(self, door: str, wide: bool = False) -> dict[str, Any]:
        self.open.append(door)
        return {"opened": door, "wide": wide}

    def list_doors(self) -> dict[str, Any]:
        return {"open": list(self.open)}


class MissingMethod(Doors):
    """tools.yaml declares close_door; the class has no such method."""

    name = "MissingMethod"
    schema_path = HERE / "missing_method.yaml"


class ExtraParameter(Doors):
    """tools.yaml declares open_door(color), which the method does not take."""

    name = "ExtraParameter"
    schema_path = HERE / "extra_parameter.yaml"


class UndeclaredParameter(Doors):
    """The method takes ``slowly``, which tools.yaml does not declare."""

    name = "UndeclaredParameter"

    def open_door(self, door: str, wide: bool = False, slowly: bool = False) -> dict[str, Any]:
        return super().open_door(door, wide)


class RenamedParameter(Doors):
    """tools.yaml says ``door``, the method says ``door_name``."""

    name = "RenamedParameter"

    def open_door(self, door_name: str, wide: bool = False) -> dict[str, Any]:  # type: ignore[override]
        return super().open_door(door_name, wide)


class RequiredWithDefault(Doors):
    """tools.yaml requires ``door``; the method gives it a default."""

    name = "RequiredWithDefault"

    def open_door(self, door: str = "front", wide: bool = False) -> dict[str, Any]:
        return super().open_door(door, wide)


class OptionalWithoutDefault(Doors):
    """tools.yaml makes ``wide`` optional; the method has no default for it."""

    name = "OptionalWithoutDefault"

    def open_door(self, door: str, wide: bool) -> dict[str, Any]:  # type: ignore[override]
        return super().open_door(door, wide)


class OtherDefault(Doors):
    """tools.yaml says ``wide`` defaults to false; the method says true."""

    name = "OtherDefault"

    def open_door(self, door: str, wide: bool = True) -> dict[str, Any]:
        return super().open_door(door, wide)


class PublicHelper(Doors):
    """A public method that is not a tool."""

    name = "PublicHelper"

    def count_open(self) -> int:
        return len(self.open)


class NoDomain(Doors):
    """No ``domain``: its tools have no scope."""

    name = "NoDomain"
    domain = ""
    schema_path = HERE / "no_domain.yaml"


class NoAccess(Doors):
    """A tool that declares no access (read or write)."""

    name = "NoAccess"
    schema_path = HERE / "no_access.yaml"


class OtherServiceName(Doors):
    """tools.yaml says ``service: Windows``."""

    name = "OtherServiceName"
    schema_path = HERE / "other_service_name.yaml"


class NoSchema(Doors):
    """No ``schema_path``."""

    name = "NoSchema"
    schema_path = None


class NotAService:
    """A class that does not derive from Service."""

    name = "NotAService"


class NoContext(Doors):
    """``__init__`` takes no context."""

    name = "NoContext"

    def __init__(self) -> None:  # type: ignore[override]
        super().__init__(None)


class ScenarioFails(Doors):
    """``load_scenario`` fails on the empty scenario (a task with no initial_config for it)."""

    name = "ScenarioFails"

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        self.open = list(scenario["open"])


class OpaqueState(Doors):
    """The state holds a datetime, which ``state()`` can only record as text."""

    name = "OpaqueState"

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        super().load_scenario(scenario)
        self.since = datetime(2024, 1, 1)


class RandomState(Doors):
    """The state draws from the ``random`` module's global stream."""

    name = "RandomState"

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        super().load_scenario(scenario)
        self.lock_code = random.randrange(10**9)


class SetOrderState(Doors):
    """The state lists a set's members in iteration order, which PYTHONHASHSEED changes."""

    name = "SetOrderState"

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        super().load_scenario(scenario)
        self.rooms = list({"attic", "bathroom", "cellar", "den", "entrance", "foyer", "garage", "hall"})


class PositionalOnly(Doors):
    """A tool method whose parameters are positional-only."""

    name = "PositionalOnly"

    def open_door(self, door: str, /, wide: bool = False) -> dict[str, Any]:  # type: ignore[override]
        return super().open_door(door, wide)


class NanState(Doors):
    """The state holds a NaN, which JSON cannot."""

    name = "NanState"

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        super().load_scenario(scenario)
        self.draught = float("nan")


class StateNotADict(Doors):
    """``state()`` returns a list."""

    name = "StateNotADict"

    def state(self) -> Any:  # type: ignore[override]
        return list(self.open)


class OtherType(Doors):
    """tools.yaml says ``door`` is a string; the method's annotation says int."""

    name = "OtherType"

    def open_door(self, door: int, wide: bool = False) -> dict[str, Any]:  # type: ignore[override]
        return super().open_door(str(door), wide)
