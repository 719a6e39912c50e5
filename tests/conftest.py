"""Shared test fixtures: the BFCL corpus location (``../shared/bfcl`` or ``SIMTOOL_BFCL_DATA``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BFCL = ROOT.parent / "shared" / "bfcl"


def bfcl_path() -> Path | None:
    candidate = Path(os.environ.get("SIMTOOL_BFCL_DATA") or DEFAULT_BFCL)
    return candidate if (candidate / "BFCL_v4_multi_turn_base.json").exists() else None


@pytest.fixture(scope="session")
def bfcl_dir() -> Path:
    path = bfcl_path()
    if path is None:
        pytest.skip(
            f"BFCL corpus not found at {DEFAULT_BFCL} and SIMTOOL_BFCL_DATA is not set: "
            "put the corpus there (see ../shared/bfcl/README.md) to run this test"
        )
    return path
