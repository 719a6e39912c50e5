"""Read the BFCL multi-turn corpus from a path; it is never copied into the project."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simtool.errors import SpecError

__all__ = ["ENTRIES_FILE", "ANSWERS_FILE", "data_dir", "read_entries", "read_answers", "read_jsonl"]

ENTRIES_FILE = "BFCL_v4_multi_turn_base.json"
ANSWERS_FILE = "possible_answer/BFCL_v4_multi_turn_base.json"
ENV_VAR = "SIMTOOL_BFCL_DATA"


def data_dir(explicit: str | Path | None = None) -> Path | None:
    """The corpus folder: ``explicit``, else ``$SIMTOOL_BFCL_DATA``, else None."""
    candidate = explicit or os.environ.get(ENV_VAR)
    return Path(candidate) if candidate else None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read the BFCL corpus: {exc.strerror}", file=str(path)) from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise SpecError(f"not a JSON line: {exc.msg}", file=str(path), line=number) from None


def read_entries(folder: Path) -> list[dict[str, Any]]:
    """Entries (``id``, ``question``, ``initial_config``, ``involved_classes``) in file order."""
    return list(read_jsonl(Path(folder) / ENTRIES_FILE))


def read_answers(folder: Path) -> dict[str, list[list[str]]]:
    """Entry id -> gold call strings per turn."""
    return {a["id"]: a["ground_truth"] for a in read_jsonl(Path(folder) / ANSWERS_FILE)}
