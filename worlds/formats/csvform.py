"""CSV <-> a list of flat records (header row first; ``\\n`` line ends when written)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from worlds.formats.scalars import cell, infer

__all__ = ["parse_csv", "render_csv"]


def parse_csv(text: str, infer_types: bool) -> tuple[Any, str | None]:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if r]  # blank lines carry no record
    if not rows:
        return [], None
    header = rows[0]
    if len(set(header)) != len(header) or any(not h for h in header):
        return None, "Invalid CSV: the header row must name every column once."
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            return None, f"Invalid CSV: row {number} has {len(row)} fields, the header has {len(header)}."
        records.append({h: (infer(v) if infer_types else v) for h, v in zip(header, row)})
    return records, None


def render_csv(data: Any) -> tuple[str | None, str | None]:
    """Records to CSV: columns in order of first appearance; a single object is one row."""
    records = [data] if isinstance(data, Mapping) else data
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        return None, "CSV needs a list of records (objects)."
    columns: list[str] = []
    for record in records:
        for key, value in record.items():
            if isinstance(value, (Mapping, list)):
                return None, f"CSV cannot hold the nested value of field '{key}'."
            if key not in columns:
                columns.append(key)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([cell(record.get(c)) for c in columns])
    return buffer.getvalue(), None
