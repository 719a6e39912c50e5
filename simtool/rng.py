"""Named counter-based streams: every random value is a pure function of (root seed, name, k).

A stream's key is a keyed BLAKE2b digest of the root seed and the stream's name; its k-th raw
value is the splitmix64 finaliser of ``key + (k + 1) * golden``. Nothing is derived from the
order streams are created in, and no numpy ``Generator`` is involved: every distribution's
value is computed from the raw 64-bit words by simtool's own inverse-CDF or transformation
code (below), so a draw does not depend on numpy's version or on the platform. A stream keeps
only its key and how many words it has used; making one costs one short hash.

The methods follow numpy's ``Generator`` names and arguments (``random``, ``integers``,
``uniform``, ``exponential``, ``normal``, ``lognormal``, ``gamma``, ``pareto``, ``choice``,
``permutation``, ``bytes``) so that services and policies read as before; the values differ
from numpy's. Drawing n values at once (``size=n``) gives the same n values as n single draws:
a batch runs the single draw's code n times. Only exact operations run on numpy arrays (integer
arithmetic on the words, their conversion to doubles in [0, 1), sums and products); logarithms,
exponentials, cosines and powers are Python's ``math`` functions, one value at a time, never
numpy's vectorised ones, whose last bit varies with numpy's version and the CPU's SIMD
instructions.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["stream", "stream_key", "Streams", "CounterStream", "raw_word"]

_SEP = "\x1f"
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_TWO_53 = 2.0**-53
_TWO_PI = 2.0 * math.pi
_log1p, _cos, _exp, _sqrt = math.log1p, math.cos, math.exp, math.sqrt


def stream_key(seed: int, *names: str) -> int:
    """The 64-bit key of the stream ``names`` under root ``seed`` (BLAKE2b keyed by the seed)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, found {seed!r}")
    digest = hashlib.blake2b(_SEP.join(names).encode("utf-8"), digest_size=8, key=str(seed).encode("ascii"))
    return int.from_bytes(digest.digest(), "little")


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def raw_word(key: int, k: int) -> int:
    """The k-th raw 64-bit word of the stream with ``key``."""
    return _mix((key + (k + 1) * _GOLDEN) & _MASK)


def _words(key: int, start: int, n: int) -> np.ndarray:
    """Raw words ``start .. start + n - 1`` as a uint64 array (numpy integer arithmetic wraps mod 2**64)."""
    with np.errstate(over="ignore"):
        k = np.arange(start + 1, start + n + 1, dtype=np.uint64)
        z = np.uint64(key) + k * np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
        return z ^ (z >> np.uint64(31))


def _unit(words: np.ndarray) -> np.ndarray:
    """Uniform doubles in [0, 1) from the top 53 bits of each word."""
    return (words >> np.uint64(11)).astype(np.float64) * _TWO_53


class CounterStream:
    """One named stream: the values at positions 0, 1, 2, ... of a counter-based generator."""

    __slots__ = ("key", "position")

    def __init__(self, key: int) -> None:
        self.key = key
        self.position = 0

    # ------------------------------------------------------------------ raw material
    def _word(self) -> int:
        k = self.position
        self.position = k + 1
        return _mix((self.key + (k + 1) * _GOLDEN) & _MASK)

    def _many(self, n: int) -> np.ndarray:
        out = _words(self.key, self.position, n)
        self.position += n
        return out

    def _u(self) -> float:
        # ``_word`` inlined: the scalar draws are on the run's hot path (every call's latency)
        k = self.position + 1
        self.position = k
        z = (self.key + k * _GOLDEN) & _MASK
        z = ((z ^ (z >> 30)) * _M1) & _MASK
        z = ((z ^ (z >> 27)) * _M2) & _MASK
        return ((z ^ (z >> 31)) >> 11) * _TWO_53

    def _below(self, n: int) -> int:
        """An integer in [0, n): the high 64 bits of word x n (Lemire; bias below n / 2**64)."""
        return (self._word() * n) >> 64

    # ------------------------------------------------------------------ numpy-like draws
    def random(self, size: int | None = None) -> Any:
        """Uniform in [0, 1)."""
        if size is None:
            return self._u()
        return _unit(self._many(size))

    def uniform(self, low: float = 0.0, high: float = 1.0, size: int | None = None) -> Any:
        """Uniform in [low, high)."""
        if size is None:
            return low + (high - low) * self._u()
        return low + (high - low) * _unit(self._many(size))

    def integers(self, low: int, high: int | None = None, size: int | None = None, endpoint: bool = False) -> Any:
        """Integers in [low, high) ([low, high] with ``endpoint``); one word each."""
        if high is None:
            low, high = 0, low
        low, high = int(low), int(high) + (1 if endpoint else 0)
        n = high - low
        if n <= 0:
            raise ValueError(f"integers: high must be above low, found low={low}, high={high}")
        if size is None:
            return low + self._below(n)
        if n & (n - 1) == 0 and n <= 1 << 63:  # a power of two: the word's top bits, exactly
            shift = np.uint64(64 - (n.bit_length() - 1))
            top = self._many(size) >> shift if n > 1 else np.zeros(size, dtype=np.uint64)
            return top.astype(np.int64) + low
        return np.array([low + self._below(n) for _ in range(size)], dtype=np.int64)

    def exponential(self, scale: float = 1.0, size: int | None = None) -> Any:
        """Exponential with mean ``scale``, by inversion: ``-scale * log(1 - u)``."""
        if size is None:
            return -scale * math.log1p(-self._u())
        return np.array([-scale * math.log1p(-self._u()) for _ in range(size)])

    def _normal(self) -> float:
        u1 = self._u()
        return _sqrt(-2.0 * _log1p(-u1)) * _cos(_TWO_PI * self._u())

    def standard_normal(self, size: int | None = None) -> Any:
        """Standard normal by Box-Muller, two words a value (the cosine branch only)."""
        if size is None:
            return self._normal()
        return np.array([self._normal() for _ in range(size)])

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: int | None = None) -> Any:
        """Normal with mean ``loc`` and standard deviation ``scale``."""
        if size is None:
            return loc + scale * self._normal()
        return np.array([loc + scale * self._normal() for _ in range(size)])

    def lognormal(self, mean: float = 0.0, sigma: float = 1.0, size: int | None = None) -> Any:
        """``exp(normal(mean, sigma))``."""
        if size is None:  # ``_normal`` with its two words inlined (every latency leg of a world is one)
            k = self.position
            self.position = k + 2
            key = self.key
            z = (key + (k + 1) * _GOLDEN) & _MASK
            z = ((z ^ (z >> 30)) * _M1) & _MASK
            z = ((z ^ (z >> 27)) * _M2) & _MASK
            u1 = ((z ^ (z >> 31)) >> 11) * _TWO_53
            z = (key + (k + 2) * _GOLDEN) & _MASK
            z = ((z ^ (z >> 30)) * _M1) & _MASK
            z = ((z ^ (z >> 27)) * _M2) & _MASK
            u2 = ((z ^ (z >> 31)) >> 11) * _TWO_53
            return _exp(mean + sigma * (_sqrt(-2.0 * _log1p(-u1)) * _cos(_TWO_PI * u2)))
        return np.array([math.exp(mean + sigma * self._normal()) for _ in range(size)])

    def _gamma(self, shape: float) -> float:
        # Marsaglia and Tsang (2000); shape < 1 boosted as gamma(shape + 1) * u ** (1 / shape).
        if shape < 1.0:
            return self._gamma(shape + 1.0) * (1.0 - self._u()) ** (1.0 / shape)
        d = shape - 1.0 / 3.0
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            x = self._normal()
            v = 1.0 + c * x
            if v <= 0.0:
                continue
            v = v * v * v
            u = 1.0 - self._u()
            if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
                return d * v

    def gamma(self, shape: float, scale: float = 1.0, size: int | None = None) -> Any:
        """Gamma with ``shape`` and ``scale`` (mean shape x scale)."""
        if size is None:
            return self._gamma(shape) * scale
        return np.array([self._gamma(shape) * scale for _ in range(size)])

    def pareto(self, a: float, size: int | None = None) -> Any:
        """Pareto II (Lomax) as numpy's ``pareto``: ``(1 - u) ** (-1 / a) - 1``."""
        if size is None:
            return (1.0 - self._u()) ** (-1.0 / a) - 1.0
        return np.array([(1.0 - self._u()) ** (-1.0 / a) - 1.0 for _ in range(size)])

    def permutation(self, n: int) -> np.ndarray:
        """A random order of range(n) (Fisher-Yates, one word a step)."""
        items = list(range(int(n)))
        for i in range(len(items) - 1, 0, -1):
            j = self._below(i + 1)
            items[i], items[j] = items[j], items[i]
        return np.array(items, dtype=np.int64)

    def choice(self, a: int | Sequence[Any], size: int | None = None, replace: bool = True, p: Sequence[float] | None = None) -> Any:
        """Indexes (or items of ``a``) drawn uniformly, or with weights ``p``; without replacement
        by a partial Fisher-Yates shuffle."""
        items = list(range(a)) if isinstance(a, int) else list(a)
        count = 1 if size is None else int(size)
        if not items:
            raise ValueError("choice: nothing to choose from")
        if p is not None:
            cumulative = np.cumsum(np.asarray(p, dtype=float))
            cumulative /= cumulative[-1]
            picks = []
            for _ in range(count):
                index = int(np.searchsorted(cumulative, self._u(), side="right"))
                picks.append(items[min(index, len(items) - 1)])
        elif replace:
            picks = [items[self._below(len(items))] for _ in range(count)]
        else:
            if count > len(items):
                raise ValueError(f"choice: cannot take {count} of {len(items)} without replacement")
            pool = list(items)
            for i in range(count):
                j = i + self._below(len(pool) - i)
                pool[i], pool[j] = pool[j], pool[i]
            picks = pool[:count]
        return picks[0] if size is None else np.array(picks)

    def bytes(self, length: int) -> bytes:
        """``length`` random bytes (8 a word, little-endian)."""
        words = (length + 7) // 8
        return b"".join(self._word().to_bytes(8, "little") for _ in range(words))[:length]


def stream(seed: int, *names: str) -> CounterStream:
    """The stream named ``names`` under root ``seed``; same inputs, same draws, in any process."""
    return CounterStream(stream_key(seed, *names))


class Streams:
    """The random streams of one run: the root seed enters the run here and nowhere else.

    ``streams(*names)`` is the stream named ``names`` (the same as ``stream(seed, *names)``).
    The run asks for ``("ties",)``, ``("latency", task, tool, leg)``, ``("service", task,
    service, name)``, ``("faults", index, kind)`` and ``("policy", name)``.
    """

    __slots__ = ("seed", "_keyed")

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, found {seed!r}")
        self.seed = seed
        # the hasher with the seed's key block absorbed, copied for each name: a copy updated with
        # the name gives the digest ``stream_key`` computes from scratch (BLAKE2b hashes a message
        # fed in pieces as the whole), without hashing the key block again
        self._keyed = hashlib.blake2b(digest_size=8, key=str(seed).encode("ascii"))

    def __call__(self, *names: str) -> CounterStream:
        hasher = self._keyed.copy()  # as ``stream_key``
        hasher.update(_SEP.join(names).encode("utf-8"))
        return CounterStream(int.from_bytes(hasher.digest(), "little"))

    def each(self, names: tuple[str, ...], lasts: Sequence[str]) -> list[CounterStream]:
        """The streams ``(*names, last)`` for each of ``lasts`` (``self(*names, last)`` each): the
        common part of their names is hashed once."""
        common = self._keyed.copy()
        common.update((_SEP.join(names) + _SEP).encode("utf-8") if names else b"")
        out = []
        for last in lasts:
            hasher = common.copy()
            hasher.update(last.encode("utf-8"))
            out.append(CounterStream(int.from_bytes(hasher.digest(), "little")))
        return out
