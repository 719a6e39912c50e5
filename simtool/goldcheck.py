"""A world's gold paths must run: every gold call, replayed on fresh services in order, answers
without an error, unless its turn says the error is expected (``expect_error``).

A gold call that errors is almost always a mistake in the world (a wrong id, a missing login)
that would make every policy fail the sub-task for a reason no policy controls. A turn that
means it lists the calls (by position in its ``gold``) under ``expect_error``, or says
``expect_error: true`` for all of them. The check replays each task's turns in order on
services seeded with seed 0 (a service drawing from its streams may answer otherwise under
another seed; the runtime does not rely on this check).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simtool.registry import service_class
from simtool.rng import stream
from simtool.service import Service, ServiceContext, normalize
from simtool.yamlspec import Located

__all__ = ["expected_errors", "check_gold_runs"]

CHECK_SEED = 0


def expected_errors(value: Any, gold_count: int, where: Located, path: tuple[Any, ...]) -> frozenset[int]:
    """The gold positions a turn's ``expect_error`` names (``true``: all of them)."""
    if value is None or value is False:
        return frozenset()
    if value is True:
        return frozenset(range(gold_count))
    if isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < gold_count for i in value):
        return frozenset(value)
    raise where.error(path, "expect_error names gold calls by position", expected=f"true, or a list of positions below {gold_count}",
                      found=value)


def _services(task_id: str, names: Sequence[str], initial: Mapping[str, Any], where: Located,
              path: tuple[Any, ...]) -> dict[str, Service]:
    out = {}
    for name in names:
        ctx = ServiceContext(task_id, lambda stream_name, name=name: stream(CHECK_SEED, "service", task_id, name, stream_name))
        instance = service_class(name)(ctx)
        scenario = initial.get(name) or {}
        if not isinstance(scenario, Mapping):
            raise where.error(path + ("initial_config", name), "a scenario is a mapping of the service's state",
                              expected="{key: value, ...}", found=scenario)
        try:
            instance.load_scenario(normalize(scenario))
        except Exception as exc:  # noqa: BLE001: whatever a service makes of a bad scenario, it is the world's mistake
            raise where.error(path + ("initial_config", name), f"{name} cannot load this scenario ({type(exc).__name__}: {exc})",
                              expected="the state the service documents", found=scenario) from None
        out[name] = instance
    return out


def check_gold_runs(task: Any, turn_specs: Sequence[Mapping[str, Any]], where: Located, path: tuple[Any, ...]) -> None:
    """Replay ``task``'s gold (a :class:`simtool.world.TaskSpec`); an unexpected error is a world error."""
    services = _services(task.task_id, task.services, task.initial_config, where, path)
    for t, (turn, spec) in enumerate(zip(task.turns, turn_specs)):
        allowed = expected_errors(spec.get("expect_error"), len(turn.gold), where, path + ("turns", t, "expect_error"))
        for i, call in enumerate(turn.gold):
            result = services[call.service].invoke(call.tool, call.args)
            if result.error and i not in allowed:
                detail = str(result.value)[:200]
                raise where.error(path + ("turns", t, "gold", i),
                                  f"this gold call errors at {call.service} when the gold path is replayed: {detail}; "
                                  "fix the call (or an earlier one), or mark it expected with expect_error: "
                                  f"[{i}] on the turn", expected="a call that succeeds", found=call.text)
