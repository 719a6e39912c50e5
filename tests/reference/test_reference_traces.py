"""The pinned reference traces are byte-identical (see ``tests/reference/cases.py``)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import bfcl_path
from tests.reference.cases import PINS, cases, digest, trace_bytes

_PINS = json.loads(PINS.read_text())
_BFCL = bfcl_path()


@pytest.mark.parametrize("case", list(cases(with_suite=True)), ids=lambda c: c.key)
def test_reference_trace_is_byte_identical(case):
    if case.suite_index is not None and _BFCL is None:
        pytest.skip("suite reference cases need the BFCL corpus (../shared/bfcl or SIMTOOL_BFCL_DATA)")
    assert case.key in _PINS, f"no pin for {case.key}: run python -m tests.reference.pin"
    assert digest(trace_bytes(case, _BFCL)) == _PINS[case.key], (
        f"{case.key}: the trace changed; dump both versions with python -m tests.reference.pin --dump DIR and diff them")
