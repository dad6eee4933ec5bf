"""Deterministic per-(seed, architecture) standard normal draws: a counter-based generator.

A surrogate's "training seed" noise must not depend on which other architectures are in
the same query, or on call order: each value is a pure function of the seed and the
architecture's int64 key (splitmix64 hashing, then Box-Muller).
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 with good avalanche."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def standard_normal(keys: np.ndarray, seed: int, stream: int = 0) -> np.ndarray:
    """One N(0, 1) draw per key for ``seed`` (and an optional ``stream``, e.g. per metric)."""
    k = np.asarray(keys, dtype=np.int64).view(np.uint64)
    with np.errstate(over="ignore"):
        salt = _mix(np.array([(int(seed) * 0x100000001B3 + int(stream)) % 2**64], dtype=np.uint64) + _GOLDEN)[0]
        a = _mix(k ^ salt)
        b = _mix(a + _GOLDEN)
    u1 = ((a >> np.uint64(11)).astype(np.float64) + 0.5) * _TO_UNIT  # (0, 1), never 0
    u2 = (b >> np.uint64(11)).astype(np.float64) * _TO_UNIT
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
