"""Shared machinery of optimizers that model one categorical choice per position (tpe, reinforce, bohb, optuna:*).

They work on the space's categorical parameterisation (``SearchSpace.categorical_choices``): a
choice row has one integer per position. Rows that name no member of the space (an NB101 graph
that prunes to nothing valid, the NAS-Bench-Graph all-skip cell, a combination a listed space
lacks) are drawn again from the optimizer's own model, and after ``max_rounds`` replaced by a
uniform draw from the space, so every proposal is a member.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from nasbench_lab.search.base import Optimizer, SearchProblem

#: rounds of re-drawing absent rows from the model before falling back to uniform samples of the space
MAX_ROUNDS = 20


class ChoiceLayout:
    """The positions of a space's categorical parameterisation as a padded (d, K) matrix layout."""

    def __init__(self, choices: tuple[int, ...]):
        self.n = np.asarray(choices, dtype=np.int64)
        self.dim = len(self.n)
        self.width = int(self.n.max()) if self.dim else 1
        #: (d, K) True where position j has choice k
        self.valid = np.arange(self.width)[None, :] < self.n[:, None]
        self._rows = np.arange(self.dim)

    def uniform(self) -> np.ndarray:
        """(d, K) probabilities: uniform over each position's choices."""
        return self.valid / self.n[:, None]

    def sample(self, probs: np.ndarray, rng: np.random.Generator, m: int) -> np.ndarray:
        """(m, d) rows, position j drawn from ``probs[j]`` (a (d, K) matrix whose rows sum to 1)."""
        cdf = np.cumsum(probs, axis=1)
        u = rng.random((m, self.dim)) * cdf[:, -1]
        picks = (u[:, :, None] >= cdf[None, :, :]).sum(axis=2)
        return np.minimum(picks, self.n - 1)

    def lookup(self, table: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``table[j, rows[..., j]]`` for a (d, K) table and rows of shape (..., d)."""
        return table[self._rows, rows]


class CategoricalOptimizer(Optimizer):
    """Base of optimizers over choice rows: hands out present architectures and maps results back to rows."""

    def __init__(self, problem: SearchProblem, rng: np.random.Generator):
        super().__init__(problem, rng)
        self.layout = ChoiceLayout(self.space.categorical_choices())
        #: architecture bytes -> the choice rows handed out for it, awaiting results
        self._pending: dict[bytes, deque[np.ndarray]] = {}

    def hand_out(self, draw: Callable[[int], np.ndarray], n: int) -> np.ndarray:
        """``n`` present architectures from rows made by ``draw(k)`` (absent rows drawn again); records them."""
        archs, rows = present_rows(self.space, draw, self.rng, n)
        for arch, row in zip(archs, rows):
            self._pending.setdefault(arch.tobytes(), deque()).append(row)
        return archs

    def rows_of(self, archs: np.ndarray) -> np.ndarray:
        """The choice row of each told architecture (the one handed out, else its parameterisation)."""
        out = []
        for arch in archs:
            key = np.ascontiguousarray(arch, dtype=self.space.arch_dtype).tobytes()
            queue = self._pending.get(key)
            if queue:
                out.append(queue.popleft())
                if not queue:
                    del self._pending[key]
            else:
                out.append(self.space.to_categorical(arch[None])[0])
        return np.stack(out) if out else np.zeros((0, self.layout.dim), dtype=np.int64)


def present_rows(space, draw: Callable[[int], np.ndarray], rng: np.random.Generator, n: int,
                 max_rounds: int = MAX_ROUNDS) -> tuple[np.ndarray, np.ndarray]:
    """``(archs, rows)``: ``n`` members of ``space`` and their choice rows, re-drawing rows the space lacks."""
    if n <= 0:
        return np.zeros((0, *space.arch_shape), dtype=space.arch_dtype), np.zeros((0, 0), dtype=np.int64)
    rows = np.asarray(draw(n), dtype=np.int64)
    archs, present = space.from_categorical(rows)
    rounds = 0
    while not present.all():
        missing = np.flatnonzero(~present)
        rounds += 1
        if rounds > max_rounds:  # the model keeps proposing absent rows: uniform members instead
            fill = space.sample(rng, len(missing))
            archs[missing], rows[missing] = fill, space.to_categorical(fill)
            break
        new_rows = np.asarray(draw(len(missing)), dtype=np.int64)
        new_archs, new_present = space.from_categorical(new_rows)
        archs[missing], rows[missing], present[missing] = new_archs, new_rows, new_present
    return archs, rows
