"""Single seeded draws: every value comes from the counter-based stream passed in, nothing else.

Each function consumes a fixed number of draws per value, so a stream's output depends only
on its seed and the sequence of calls made on it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Sequence
from typing import Any

from simtool.rng import CounterStream
from worlds.datagen.pools import FIRST_NAMES, LAST_NAMES

__all__ = [
    "parse_date",
    "draw_first_name",
    "draw_last_name",
    "draw_name",
    "draw_email",
    "email_from_name",
    "draw_id",
    "draw_date",
    "draw_integer",
    "draw_float",
    "draw_choice",
    "draw_boolean",
]


def parse_date(text: str) -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``), or None when ``text`` is not one."""
    try:
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _index(rng: CounterStream, size: int) -> int:
    return int(rng.integers(0, size))


def draw_first_name(rng: CounterStream) -> str:
    return FIRST_NAMES[_index(rng, len(FIRST_NAMES))]


def draw_last_name(rng: CounterStream) -> str:
    return LAST_NAMES[_index(rng, len(LAST_NAMES))]


def draw_name(rng: CounterStream) -> str:
    return f"{draw_first_name(rng)} {draw_last_name(rng)}"


def email_from_name(name: str, domain: str) -> str:
    """``"Ana Ruiz"`` -> ``"ana.ruiz@<domain>"`` (accents folded, other symbols dropped); no draw."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    parts = [re.sub(r"[^a-z0-9]", "", p) for p in folded.split()]
    local = ".".join(p for p in parts if p) or "user"
    return f"{local}@{domain}"


def draw_email(rng: CounterStream, domain: str) -> str:
    """A name-based address with a two-digit suffix, which keeps random addresses apart."""
    local = email_from_name(draw_name(rng), domain).split("@", 1)[0]
    return f"{local}{int(rng.integers(10, 100))}@{domain}"


def draw_id(rng: CounterStream, prefix: str = "") -> str:
    """A version-4-shaped UUID whose 128 bits come from the stream (never from ``uuid.uuid4``)."""
    return prefix + str(uuid.UUID(bytes=rng.bytes(16), version=4))


def draw_date(rng: CounterStream, start: dt.date, end: dt.date) -> str:
    """A day between ``start`` and ``end`` inclusive, uniformly, as ISO text."""
    return (start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))).isoformat()


def draw_integer(rng: CounterStream, low: int, high: int) -> int:
    return int(rng.integers(low, high, endpoint=True))


def draw_float(rng: CounterStream, low: float, high: float, decimals: int) -> float:
    # rounding can step just past a bound that has more decimals than asked for: clamp
    return min(max(round(float(rng.uniform(low, high)), decimals), low), high)


def draw_choice(rng: CounterStream, options: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
    if weights is None:
        return options[_index(rng, len(options))]
    total = float(sum(weights))
    return options[int(rng.choice(len(options), p=[w / total for w in weights]))]


def draw_boolean(rng: CounterStream, probability: float) -> bool:
    return bool(rng.random() < probability)
