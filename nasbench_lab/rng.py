"""Explicit randomness: turn a seed or a Generator into a Generator, never touch global state."""

from __future__ import annotations

import numpy as np

from nasbench_lab.errors import ConfigError

SeedLike = "int | np.random.Generator | np.random.SeedSequence"


def as_generator(seed: int | np.random.Generator | np.random.SeedSequence) -> np.random.Generator:
    """Returns ``seed`` itself if it is a Generator, else a fresh PCG64 Generator seeded with it."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer, np.random.SeedSequence)) and not isinstance(seed, bool):
        return np.random.default_rng(seed)
    raise ConfigError(
        f"expected an int seed, a numpy.random.SeedSequence or a numpy.random.Generator, got {type(seed).__name__}"
    )


def child_seeds(seed: int, n: int) -> list[int]:
    """Derives ``n`` independent integer seeds from one seed (stable across runs and platforms)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]
