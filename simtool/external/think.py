"""The think time an external agent is charged: declared up front, never measured.

Simulated time stands still while an outside agent thinks; what each decision costs comes
from a declared model, ``fixed_ms + input_tokens * ms_per_input_token + output_tokens *
ms_per_output_token`` (rounded to whole ms), or from the ``think_ms`` the agent reports
itself. Wall-clock time never reaches the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import asdict, frozen

from simtool.errors import SpecError

__all__ = ["ThinkModel", "estimate_tokens", "parse_think"]


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value or value == float("inf"):
        raise SpecError("a think-time figure must be a finite number >= 0", key=key, expected="a number >= 0", found=value)
    return float(value)


@frozen
class ThinkModel:
    """Think time per decision: a fixed part plus a price per input and per output token."""

    fixed_ms: int = 0
    ms_per_input_token: float = 0.0
    ms_per_output_token: float = 0.0

    def think_ms(self, input_tokens: int = 0, output_tokens: int = 0) -> int:
        """Whole ms charged for a decision that read ``input_tokens`` and wrote ``output_tokens``."""
        spent = self.fixed_ms + input_tokens * self.ms_per_input_token + output_tokens * self.ms_per_output_token
        return max(0, int(round(spent)))

    def record(self) -> dict[str, Any]:
        """The model as the trace header records it."""
        return asdict(self)


def parse_think(spec: Any, key: str = "think") -> ThinkModel:
    """A think model from an int (fixed ms per decision) or a mapping of the three figures."""
    if isinstance(spec, ThinkModel):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        if spec < 0:
            raise SpecError("think time cannot be negative", key=key, expected="an integer >= 0", found=spec)
        return ThinkModel(fixed_ms=spec)
    if isinstance(spec, Mapping):
        known = {"fixed_ms", "ms_per_input_token", "ms_per_output_token"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise SpecError("unknown think-model key", key=f"{key}.{unknown[0]}", expected=" | ".join(sorted(known)), found=unknown[0])
        fixed = spec.get("fixed_ms", 0)
        if isinstance(fixed, bool) or not isinstance(fixed, int) or fixed < 0:
            raise SpecError("fixed_ms must be whole ms", key=f"{key}.fixed_ms", expected="an integer >= 0", found=fixed)
        return ThinkModel(fixed, _number(spec.get("ms_per_input_token", 0), f"{key}.ms_per_input_token"),
                          _number(spec.get("ms_per_output_token", 0), f"{key}.ms_per_output_token"))
    raise SpecError("a think model is whole ms per decision or a mapping", key=key,
                    expected="an integer, or {fixed_ms, ms_per_input_token, ms_per_output_token}", found=spec)


def estimate_tokens(text: str) -> int:
    """A deterministic token estimate for text an agent read or wrote: one token per 4 characters."""
    return (len(text) + 3) // 4
