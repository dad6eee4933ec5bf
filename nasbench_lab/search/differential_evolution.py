"""Differential evolution for discrete spaces (Awad et al. 2020): DE in the unit cube, decoded per position.

Each position of the architecture array is a dimension of [0, 1]; a value u maps to the
position's k-th choice with k = floor(u * n_choices). The choices per position are read off
random samples of the space, so this works for any space whose positions vary independently
(positions with very many values are treated as an integer range); a decoded vector that the
space rejects is replaced by a random valid architecture.
"""

from __future__ import annotations

from collections import defaultdict, deque

import numpy as np

from nasbench_lab.errors import InvalidArchitectureError
from nasbench_lab.search.base import Optimizer, SearchProblem, in_range, positive_int, register_optimizer
from nasbench_lab.spaces.base import SearchSpace

#: positions with more distinct values than this are treated as an integer range
_MAX_CATEGORIES = 64


class UnitCubeCodec:
    """Maps architectures to vectors in [0, 1]^d and back, position by position."""

    def __init__(self, space: SearchSpace, rng: np.random.Generator, n_probe: int = 512):
        probe = space.sample(rng, n_probe).reshape(n_probe, -1).astype(np.int64)
        self.space = space
        self.dim = probe.shape[1]
        choices = [np.unique(col) for col in probe.T]
        self.ranged = np.array([len(c) > _MAX_CATEGORIES for c in choices])
        self.lo = probe.min(axis=0)
        self.hi = probe.max(axis=0)
        self.n = np.array([1 if r else len(c) for r, c in zip(self.ranged, choices)])
        self.table = np.zeros((self.dim, int(self.n.max())), dtype=np.int64)  # position -> its choices
        for j, c in enumerate(choices):
            if not self.ranged[j]:
                self.table[j, :len(c)] = c
        self._rows = np.arange(self.dim)

    def decode(self, vec: np.ndarray) -> np.ndarray:
        return self.decode_batch(vec[None])[0]

    def decode_batch(self, vecs: np.ndarray) -> np.ndarray:
        k = np.minimum((vecs * self.n).astype(np.int64), self.n - 1)
        out = self.table[self._rows, k]
        if self.ranged.any():
            out = np.where(self.ranged, np.rint(self.lo + vecs * (self.hi - self.lo)).astype(np.int64), out)
        return out.reshape(len(vecs), *self.space.arch_shape).astype(self.space.arch_dtype)

    def encode(self, arch: np.ndarray) -> np.ndarray:
        flat = np.asarray(arch, dtype=np.int64).reshape(-1)
        k = np.argmax(self.table == flat[:, None], axis=1)
        vec = (k + 0.5) / self.n
        span = np.maximum(self.hi - self.lo, 1)
        return np.clip(np.where(self.ranged, (flat - self.lo) / span, vec), 0.0, 1.0)


@register_optimizer("de", "differential_evolution")
class DifferentialEvolution(Optimizer):
    """rand/1/bin DE by generations: trial_j = r1 + F (r2 - r3) crossed with target j, greedy selection.

    As in canonical DE, a whole generation of trials is made from the current population and
    each trial competes with its own target. With several workers, a new generation is made as
    soon as the previous one is handed out (from the results told so far), so no worker waits.
    """

    display_name = "Differential evolution"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, population_size: int = 20,
                 mutation_factor: float = 0.5, crossover_prob: float = 0.5):
        super().__init__(problem, rng)
        self.population_size = positive_int("de", "population_size", population_size, 4)
        self.mutation_factor = in_range("de", "mutation_factor", mutation_factor, 0.0, 2.0)
        self.crossover_prob = in_range("de", "crossover_prob", crossover_prob, 0.0, 1.0)
        self.codec = UnitCubeCodec(self.space, rng)
        self._vecs = self.rng.random((self.population_size, self.codec.dim))
        self._values = np.full(self.population_size, -np.inf)
        self._queue: list[tuple[np.ndarray, int, np.ndarray]] = []  # (arch, target slot, vector)
        self._generation = 0
        #: architecture bytes -> queue of (population slot, vector) awaiting results
        self._pending: dict[bytes, deque[tuple[int, np.ndarray]]] = defaultdict(deque)

    def ask(self, n: int) -> np.ndarray:
        out = []
        for _ in range(n):
            if not self._queue:
                self._queue = self._next_generation()
            arch, slot, vec = self._queue.pop()
            self._pending[arch.tobytes()].append((slot, vec))
            out.append(arch)
        return np.stack(out) if out else self.empty()

    def _next_generation(self) -> list[tuple[np.ndarray, int, np.ndarray]]:
        """Trials for every target (the first generation is the random initial population itself)."""
        size, dim = self.population_size, self.codec.dim
        if self._generation == 0:
            trials = self._vecs.copy()
        else:
            keys = self.rng.random((size, size))
            np.fill_diagonal(keys, np.inf)  # r1, r2, r3 distinct and other than the target
            r1, r2, r3 = np.argsort(keys, axis=1)[:, :3].T
            mutant = np.clip(self._vecs[r1] + self.mutation_factor * (self._vecs[r2] - self._vecs[r3]), 0.0, 1.0)
            cross = self.rng.random((size, dim)) < self.crossover_prob
            cross[np.arange(size), self.rng.integers(dim, size=size)] = True  # one dimension from the mutant
            trials = np.where(cross, mutant, self._vecs)
        self._generation += 1
        archs, trials = self._valid(trials)
        return [(archs[j], j, trials[j]) for j in range(size - 1, -1, -1)]  # popped from the end: slot 0 first

    def _valid(self, vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Decoded architectures; any the space rejects become random valid ones (vectors re-encoded)."""
        archs = self.codec.decode_batch(vecs)
        try:
            self.space.validate(archs)
        except InvalidArchitectureError:
            vecs = vecs.copy()
            for j, arch in enumerate(archs):
                try:
                    self.space.validate(arch)
                except InvalidArchitectureError:
                    archs[j] = self.space.sample(self.rng)
                    vecs[j] = self.codec.encode(archs[j])
        return archs, vecs

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        for arch, value in zip(archs, values):
            key = np.ascontiguousarray(arch, dtype=self.space.arch_dtype).tobytes()
            queue = self._pending[key]
            slot, vec = queue.popleft()
            if not queue:
                del self._pending[key]
            if value >= self._values[slot]:  # the first result of a slot always enters (-inf before)
                self._vecs[slot], self._values[slot] = vec, value
