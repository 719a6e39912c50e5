"""Compare replayed gold lines with the reference's: states and results as JSON values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["differences"]


def _value(text: Any) -> Any:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def differences(ours: Mapping[str, Any], ref: Mapping[str, Any], limit: int = 5) -> list[str]:
    """Human-readable differences between two reference-shaped lines (empty when equal)."""
    out: list[str] = []
    if len(ours["turns"]) != len(ref["turns"]):
        return [f"{ref['id']}: {len(ours['turns'])} turns, reference has {len(ref['turns'])}"]
    for t, (mine, theirs) in enumerate(zip(ours["turns"], ref["turns"])):
        for c, (a, b) in enumerate(zip(mine["calls"], theirs["calls"])):
            if _value(a["result"]) != _value(b["result"]):
                out.append(f"{ref['id']} turn {t} call {c} {b['call']}: result {a['result']!r} != reference {b['result']!r}")
        mine_state = {k: v for k, v in mine["state"].items() if v}
        their_state = {k: v for k, v in theirs["state"].items() if v}
        for cls in sorted(set(mine_state) | set(their_state)):
            if mine_state.get(cls) != their_state.get(cls):
                a, b = mine_state.get(cls) or {}, their_state.get(cls) or {}
                keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))  # deterministic: sorted
                detail = "; ".join(f"{k}: {json.dumps(a.get(k))[:200]} != {json.dumps(b.get(k))[:200]}" for k in keys[:3])
                out.append(f"{ref['id']} turn {t} state {cls}: {detail}")
        if len(out) >= limit:
            break
    return out[:limit]
