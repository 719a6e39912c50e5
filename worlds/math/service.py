"""MathAPI: BFCL's stateless number operations.

Results follow the reference exactly, including their types: ``logarithm`` returns an mpmath
``mpf`` and ``square_root`` a ``Decimal``, whose text (``mpf('1.3027')``) is what the
reference's result lines show. The reference sets the process-wide mpmath and decimal
precision; here each call computes in a context of its own, so nothing outside the call
changes. An ``mpf`` prints with its context's precision, so each call gets a fresh context
that nobody changes afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import mpmath

from simtool.service import Service, ServiceContext
from worlds.math.units import IMPERIAL_FACTORS, SI_TO_METERS

__all__ = ["MathAPI"]

Result = dict[str, Any]


class MathAPI(Service):
    name = "MathAPI"
    domain = "math"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        """No state: scenarios carry nothing for this class."""

    def state(self) -> dict[str, Any]:
        return {}

    # --- single numbers ------------------------------------------------------------------

    def add(self, a: float, b: float) -> Result:
        try:
            return {"result": a + b}
        except TypeError:
            return {"error": "Both inputs must be numbers"}

    def subtract(self, a: float, b: float) -> Result:
        try:
            return {"result": a - b}
        except TypeError:
            return {"error": "Both inputs must be numbers"}

    def multiply(self, a: float, b: float) -> Result:
        if not _is_number(a) or not _is_number(b):
            return {"error": "Both inputs must be numbers"}
        return {"result": a * b}

    def divide(self, a: float, b: float) -> Result:
        try:
            if b == 0:
                return {"error": "Cannot divide by zero"}
            return {"result": a / b}
        except TypeError:
            return {"error": "Both inputs must be numbers"}

    def power(self, base: float, exponent: float) -> Result:
        try:
            return {"result": base**exponent}
        except TypeError:
            return {"error": "Both inputs must be numbers"}

    def absolute_value(self, number: float) -> Result:
        try:
            return {"result": abs(number)}
        except TypeError:
            return {"error": "Input must be a number"}

    def round_number(self, number: float, decimal_places: int = 0) -> Result:
        try:
            return {"result": round(number, decimal_places)}
        except TypeError:
            return {"error": "First input must be a number, second input must be an integer"}

    def percentage(self, part: float, whole: float) -> Result:
        try:
            if whole == 0:
                return {"error": "Whole value cannot be zero"}
            return {"result": (part / whole) * 100}
        except TypeError:
            return {"error": "Both inputs must be numbers"}

    def logarithm(self, value: float, base: float, precision: int) -> Result:
        try:
            ctx = mpmath.MPContext()
            ctx.dps = precision  # low precisions give coarse results, as in the reference
            return {"result": ctx.log(value) / ctx.log(base)}
        except Exception as exc:  # the reference reports any mpmath failure as its message
            return {"error": str(exc)}

    def square_root(self, number: float, precision: int) -> Result:
        try:
            if number < 0:
                return {"error": "Cannot calculate square root of a negative number"}
            # A bad precision raises ValueError, which the reference lets escape (it becomes
            # "Error during execution: valid range for prec is [1, MAX_PREC]").
            ctx = Context(prec=precision)
            return {"result": ctx.sqrt(Decimal(number))}
        except (TypeError, InvalidOperation):
            return {"error": "Input must be a number or computation resulted in an invalid operation"}

    # --- unit conversion -----------------------------------------------------------------

    def si_unit_conversion(self, value: float, unit_in: str, unit_out: str) -> Result:
        if not _is_number(value):
            return {"error": "Value must be a number"}
        if unit_in not in SI_TO_METERS or unit_out not in SI_TO_METERS:
            return {"error": f"Conversion from '{unit_in}' to '{unit_out}' is not supported"}
        try:
            # two multiplications (by the factor, then by its inverse), as the reference rounds
            return {"result": value * SI_TO_METERS[unit_in] * (1 / SI_TO_METERS[unit_out])}
        except OverflowError:
            return {"error": "Conversion resulted in a value too large to represent"}

    def imperial_si_conversion(self, value: float, unit_in: str, unit_out: str) -> Result:
        if not _is_number(value):
            return {"error": "Value must be a number"}
        if unit_in == unit_out:
            return {"result": value}
        key = f"{unit_in}_to_{unit_out}"
        if key not in IMPERIAL_FACTORS:
            return {"error": f"Conversion from '{unit_in}' to '{unit_out}' is not supported"}
        factor = IMPERIAL_FACTORS[key]
        try:
            if key == "celsius_to_fahrenheit":
                return {"result": value * factor + 32}
            if key == "fahrenheit_to_celsius":
                return {"result": (value - 32) * factor}
            return {"result": value * factor}
        except OverflowError:
            return {"error": "Conversion resulted in a value too large to represent"}

    # --- lists ---------------------------------------------------------------------------

    def mean(self, numbers: list[float]) -> Result:
        if not numbers:
            return {"error": "Cannot calculate mean of an empty list"}
        try:
            return {"result": sum(numbers) / len(numbers)}
        except TypeError:
            return {"error": "All elements in the list must be numbers"}

    def standard_deviation(self, numbers: list[float]) -> Result:
        if not numbers:
            return {"error": "Cannot calculate standard deviation of an empty list"}
        try:
            centre = sum(numbers) / len(numbers)
            variance = sum((x - centre) ** 2 for x in numbers) / len(numbers)  # population variance
            return {"result": math.sqrt(variance)}
        except TypeError:
            return {"error": "All elements in the list must be numbers"}

    def min_value(self, numbers: list[float]) -> Result:
        if not numbers:
            return {"error": "Cannot find minimum of an empty list"}
        try:
            return {"result": min(numbers)}
        except TypeError:
            return {"error": "All elements in the list must be numbers"}

    def max_value(self, numbers: list[float]) -> Result:
        if not numbers:
            return {"error": "Cannot find maximum of an empty list"}
        try:
            return {"result": max(numbers)}
        except TypeError:
            return {"error": "All elements in the list must be numbers"}

    def sum_values(self, numbers: list[float]) -> Result:
        if not numbers:
            return {"error": "Cannot calculate sum of an empty list"}
        try:
            return {"result": sum(numbers)}
        except TypeError:
            return {"error": "All elements in the list must be numbers"}


def _is_number(value: Any) -> bool:
    # bool counts as a number here, as isinstance(True, int) does in the reference
    return isinstance(value, (int, float))
