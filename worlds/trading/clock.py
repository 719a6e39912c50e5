"""TradingBot's time: a fixed "now" and seeded transaction timestamps.

The reference pins the clock at 2024-09-01 10:30 and ran with its process in UTC, so every
conversion between that instant and epoch seconds here is done in UTC, never local time.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from worlds.trading.tables import CLOCK

__all__ = ["NOW", "TIMESTAMP_FORMAT", "clock_text", "draw_timestamp"]

NOW = datetime.strptime(CLOCK["now"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def clock_text() -> str:
    """The clock as get_current_time says it: "10:30 AM"."""
    return NOW.strftime("%I:%M %p")


def draw_timestamp(rng: random.Random) -> str:
    """A transaction time: a whole second drawn uniformly from [now, now + 1 day], both ends included."""
    start = int(NOW.timestamp())
    end = int((NOW + timedelta(days=1)).timestamp())
    second = rng.randint(start, end)  # deterministic: instance-local seeded generator, as the reference
    return datetime.fromtimestamp(second, tz=timezone.utc).strftime(TIMESTAMP_FORMAT)
