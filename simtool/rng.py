"""Named seeded streams: every random stream derives from the root seed and a name.

The name, not the order of creation, picks the stream (``SeedSequence`` keyed by a sha256 of
the name), so adding a service or a task never shifts another's draws.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["stream", "stream_key", "Streams"]

_SEP = "\x1f"


def stream_key(*names: str) -> tuple[int, ...]:
    """Four 32-bit words of sha256 over the joined names: a stable spawn key."""
    digest = hashlib.sha256(_SEP.join(names).encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, *names: str) -> np.random.Generator:
    """The generator named ``names`` under root ``seed``; same inputs, same draws, in any process."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, found {seed!r}")
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=stream_key(*names))
    return np.random.Generator(np.random.PCG64(sequence))


class Streams:
    """The random streams of one run: the root seed enters the run here and nowhere else.

    ``streams(*names)`` is the generator named ``names`` (the same as ``stream(seed, *names)``).
    The run asks for ``("ties",)``, ``("latency", task, tool, leg)``, ``("service", task,
    service, name)``, ``("faults", index, kind)`` and ``("policy", name)``.
    """

    __slots__ = ("seed",)

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, found {seed!r}")
        self.seed = seed

    def __call__(self, *names: str) -> np.random.Generator:
        sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=stream_key(*names))  # as ``stream`` does
        return np.random.Generator(np.random.PCG64(sequence))
