"""MathAPI: the reference's results (mpmath/Decimal text included), no process-wide precision changes, its schema and lines."""

from __future__ import annotations

import decimal
import json
import math
from typing import Any

import mpmath
import pytest
from bfcl_partial import reference_cases, schema_differences

from simtool.callstring import parse_call
from worlds.bfcl.gold import render_result
from worlds.math.service import MathAPI


@pytest.fixture
def api() -> MathAPI:
    service = MathAPI()
    service.load_scenario({})
    return service


def _as_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def test_state_is_empty(api):
    assert api.state() == {}


def test_logarithm_at_low_precision_prints_as_the_reference(api):
    assert str(api.logarithm(20, 10, 2)) == "{'result': mpf('1.3027')}"
    assert str(api.logarithm(630.0, 10, 5)) == "{'result': mpf('2.7993393')}"
    assert str(api.logarithm(36.0, 6.0, 4)) == "{'result': mpf('2.0')}"


def test_logarithm_leaves_the_global_mpmath_precision_alone(api):
    dps = mpmath.mp.dps
    first = api.logarithm(20, 10, 2)
    api.logarithm(980.0, 20, 30)
    assert mpmath.mp.dps == dps
    assert repr(first["result"]) == "mpf('1.3027')"  # a later call does not change how it prints


def test_logarithm_reports_mpmath_failures_as_errors(api):
    assert set(api.logarithm(10, 1, 5)) == {"error"}


def test_square_root_uses_a_private_decimal_context(api):
    prec = decimal.getcontext().prec
    assert api.square_root(2, 5) == {"result": decimal.Decimal("1.4142")}
    assert str(api.square_root(2, 5)) == "{'result': Decimal('1.4142')}"
    assert decimal.getcontext().prec == prec
    assert api.square_root(-1, 5) == {"error": "Cannot calculate square root of a negative number"}


def test_square_root_with_a_bad_precision_fails_as_the_reference(api):
    result = api.invoke("square_root", {"number": 2, "precision": 0})
    assert result.error and result.value == "Error during execution: valid range for prec is [1, MAX_PREC]"


def test_arithmetic(api):
    assert api.add(1, 2.5) == {"result": 3.5}
    assert api.subtract(1, 2.5) == {"result": -1.5}
    assert api.multiply(3, 4) == {"result": 12}
    assert api.multiply("3", 4) == {"error": "Both inputs must be numbers"}
    assert api.divide(1, 4) == {"result": 0.25}
    assert api.divide(1, 0) == {"error": "Cannot divide by zero"}
    assert api.power(2, 10) == {"result": 1024}
    assert api.absolute_value(-3.5) == {"result": 3.5}
    assert api.round_number(2.675, 2) == {"result": 2.67}
    assert api.round_number(2.5) == {"result": 2.0}
    assert api.percentage(1, 8) == {"result": 12.5}
    assert api.percentage(1, 0) == {"error": "Whole value cannot be zero"}


def test_list_statistics(api):
    assert api.mean([37]) == {"result": 37.0}
    assert api.mean([5000, 3000, 2000]) == {"result": 3333.3333333333335}
    assert api.standard_deviation([100, 95, 85, 90, 88, 92]) == {"result": 4.85340659285368}
    assert (api.min_value([3, 1, 2]), api.max_value([3, 1, 2]), api.sum_values([3, 1, 2])) == (
        {"result": 1}, {"result": 3}, {"result": 6},
    )
    for tool, word in [("mean", "calculate mean of"), ("standard_deviation", "calculate standard deviation of"),
                       ("min_value", "find minimum of"), ("max_value", "find maximum of"), ("sum_values", "calculate sum of")]:
        assert getattr(api, tool)([]) == {"error": f"Cannot {word} an empty list"}


def test_unit_conversions(api):
    assert api.si_unit_conversion(1.5, "km", "m") == {"result": 1500.0}
    assert math.isclose(api.si_unit_conversion(3, "mm", "um")["result"], 3000.0)
    assert api.si_unit_conversion(1, "km", "mi") == {"error": "Conversion from 'km' to 'mi' is not supported"}
    assert api.imperial_si_conversion(100, "celsius", "fahrenheit") == {"result": 212.0}
    assert api.imperial_si_conversion(212, "fahrenheit", "celsius") == {"result": 100.0}
    assert api.imperial_si_conversion(2, "kg", "lb") == {"result": 4.40924}
    assert api.imperial_si_conversion(7, "ft", "ft") == {"result": 7}
    assert api.imperial_si_conversion(1, "lb", "ft") == {"error": "Conversion from 'lb' to 'ft' is not supported"}
    assert api.imperial_si_conversion("1", "kg", "lb") == {"error": "Value must be a number"}


def test_tools_yaml_agrees_with_the_bfcl_func_doc(bfcl_dir):
    assert schema_differences(MathAPI, bfcl_dir / "multi_turn_func_doc" / "math_api.json") == []


def test_reference_results_0_99_for_this_class(bfcl_dir):
    # Replayed here rather than with bfcl_partial, whose rendering has no str() fallback for mpf results.
    schemas = MathAPI.schemas()
    seen, out = 0, []
    for _, gold, ref in reference_cases(bfcl_dir, "MathAPI"):
        api = MathAPI()
        api.load_scenario({})
        for turn, theirs in zip(gold, ref["turns"], strict=True):
            expected = [c["result"] for c in theirs["calls"] if c["class"] == "MathAPI"]
            calls = [t for t in turn if t.split("(", 1)[0].strip() in schemas]
            mine = []
            for text in calls:
                name, args = parse_call(text, schemas[text.split("(", 1)[0].strip()].param_names)
                mine.append(render_result(api.invoke(name, args).value))
            seen += len(mine)
            for text, a, b in zip(calls, mine, expected, strict=True):
                if _as_value(a) != _as_value(b):
                    out.append(f"{ref['id']} {text}: {a!r} != reference {b!r}")
            assert "MathAPI" not in theirs["state"] or theirs["state"]["MathAPI"] == {}
    assert seen == 12 and out == []
