"""What a local search has proposed (by architecture key) and where it starts afresh: shared by ``ls`` and ``mo-ls``."""

from __future__ import annotations

import numpy as np

from nasbench_lab.search.base import RANDOM_DRAW_TRIES
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace


class Visited:
    """The keys of every architecture proposed so far; ``new`` keeps candidates not proposed before and
    ``fresh_starts`` draws unvisited random ones (every random choice uses ``rng``)."""

    def __init__(self, space: SearchSpace, rng: np.random.Generator):
        self.space, self.rng = space, rng
        self.keys: set[int] = set()

    def claim(self, key: int) -> bool:
        """Marks ``key`` as proposed; False when it was already."""
        if key in self.keys:
            return False
        self.keys.add(key)
        return True

    def new(self, cands: np.ndarray) -> list[np.ndarray]:
        """The candidates not proposed before (first occurrence only), marked as proposed."""
        return [arch for arch, key in zip(cands, self.space.keys(cands).tolist()) if self.claim(key)]

    def fresh_starts(self, n: int) -> list[np.ndarray]:
        """Up to ``n`` unvisited random architectures (listing the rest once random draws keep hitting visited ones
        in an enumerable space); none only when an enumerable space is exhausted."""
        for _ in range(RANDOM_DRAW_TRIES):
            starts = self.new(self.space.sample(self.rng, n))
            if starts:
                return starts
        if isinstance(self.space, EnumerableSpace):
            every = self.space.all()
            left = every[~np.isin(self.space.keys(every), np.fromiter(self.keys, dtype=np.int64))]
            return self.new(left[self.rng.permutation(len(left))[:n]])
        starts = []
        while not starts:  # a space that cannot be listed is never exhausted by a search budget
            starts = self.new(self.space.sample(self.rng, n))
        return starts
