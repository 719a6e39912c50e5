"""Read the BFCL multi-turn corpus from a path; it is never copied into the project."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simtool.jsonl import read_json_lines

__all__ = ["ENTRIES_FILE", "ANSWERS_FILE", "data_dir", "read_entries", "read_answers", "read_jsonl"]

ENTRIES_FILE = "BFCL_v4_multi_turn_base.json"
ANSWERS_FILE = "possible_answer/BFCL_v4_multi_turn_base.json"
ENV_VAR = "SIMTOOL_BFCL_DATA"


def data_dir(explicit: str | Path | None = None) -> Path | None:
    """The corpus folder: ``explicit``, else ``$SIMTOOL_BFCL_DATA``, else None."""
    candidate = explicit or os.environ.get(ENV_VAR)
    return Path(candidate) if candidate else None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for _, value in read_json_lines(path, "BFCL corpus"):
        yield value


def read_entries(folder: Path) -> list[dict[str, Any]]:
    """Entries (``id``, ``question``, ``initial_config``, ``involved_classes``) in file order."""
    return list(read_jsonl(Path(folder) / ENTRIES_FILE))


def read_answers(folder: Path) -> dict[str, list[list[str]]]:
    """Entry id -> gold call strings per turn."""
    return {a["id"]: a["ground_truth"] for a in read_jsonl(Path(folder) / ANSWERS_FILE)}
