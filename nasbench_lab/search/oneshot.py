"""One-shot search: a trained weight-sharing supernet's ratings are the search signal, its cost is charged.

``oneshot-rs`` rates a random pool of ``pool_size`` distinct architectures; ``oneshot-re`` runs aging
evolution over ratings for ``cycles`` steps (the search stage of Single Path One-Shot: ratings cost no
queries). Both then query the benchmark for what they found, best rated first, as long as the budget
lasts (then random cells): the table gives the reported accuracy of what they pick.

The supernet is ``supernet=FOLDER``, made by ``live.train_supernet(..., folder=FOLDER)`` (checkpoints
it lacks are trained on load); every seed of a study uses that one supernet, its seeds vary the pool
or the evolution. Ratings: valid accuracy with inherited weights and ``bn_batches`` BatchNorm
recalibration batches (``live.SupernetRater``, built once per run, calibration seed 0), each distinct cell
rated once.

Charged cost (``setup_cost``, simulated seconds before the first query, so anytime curves and time budgets
include it): ``(E + R) * epoch_cost`` where ``E = SupernetConfig.path_epochs`` (every phase's epochs,
times 5 under fair sampling, which trains 5 paths a step), ``R = n_rated * (bn_batches * batch_size +
n_valid) / (3 * n_train)`` (rating's forward images over one epoch's training images, a training image
counted as 3 forward passes) and ``epoch_cost`` the benchmark's mean training seconds of one epoch of
one cell (``SearchProblem.epoch_cost``).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.live.supernet.config import SUPERNET_SPACES, read_config
from nasbench_lab.search.base import Optimizer, SearchProblem, choose_distinct, positive_int, register_optimizer

#: a training image's cost in forward passes (forward + backward), for the rating-cost rule
TRAIN_FORWARDS = 3.0


class _OneShot(Optimizer):
    """Rates cells with a supernet (no queries), then proposes them best rated first."""

    check_by_building = False  # building one trains or loads a supernet and rates cells: checked in its first run

    spaces = tuple(SUPERNET_SPACES)
    requires = (("torch", "pip install 'nasbench_lab[live]'"),)

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, supernet: str | None = None,
                 bn_batches: int = 4):
        super().__init__(problem, rng)
        if supernet is None:
            raise ConfigError(f"{self.name} needs supernet=FOLDER, a supernet folder made by "
                              "nasbench_lab.live.train_supernet(..., folder=FOLDER)")
        config = read_config(supernet)
        if config.space != self.space.name:
            raise ConfigError(f"{self.name}: {supernet} holds a supernet of space {config.space!r}; this "
                              f"benchmark's space is {self.space.name!r}")
        self.bn_batches = positive_int(self.name, "bn_batches", bn_batches, 0)
        from nasbench_lab import live

        self.trained = live.load_supernet(supernet)
        self._rater = live.SupernetRater(self.trained, bn_batches=self.bn_batches, seed=0)
        self._ratings: dict[Any, float] = {}
        found = self.search()
        ranked = found[np.argsort(-self.rate(found), kind="stable")]
        data = live.load_data(config.data, split_seed=config.split_seed)
        rating_epochs = len(self._ratings) * (self.bn_batches * config.batch_size + len(data.valid.y)) \
            / (TRAIN_FORWARDS * len(data.train.y))
        self.charged_epochs = config.path_epochs + rating_epochs
        self.setup_cost = self.charged_epochs * problem.epoch_cost()
        self._queue = deque(ranked)

    def search(self) -> np.ndarray:
        """The distinct cells the search stage found (rated through :meth:`rate`)."""
        raise NotImplementedError

    def rate(self, archs: np.ndarray) -> np.ndarray:
        """Supernet ratings (valid accuracy, %) of ``archs``; each distinct cell is rated once per run."""
        keys = self.space.keys(archs).tolist()
        new = {k: i for i, k in enumerate(keys) if k not in self._ratings}
        if new:
            got = self._rater.rate(archs[list(new.values())], space=self.space)
            self._ratings.update(zip(new, got.valid_acc.tolist()))
        return np.array([self._ratings[k] for k in keys])

    def ask(self, n: int) -> np.ndarray:
        take = [self._queue.popleft() for _ in range(min(n, len(self._queue)))]
        if len(take) < n:
            take += list(self.space.sample(self.rng, n - len(take)))
        return np.stack(take)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        """Table values do not change what a one-shot search picks."""


def _distinct(space: Any, archs: np.ndarray) -> np.ndarray:
    _, first = np.unique(space.keys(archs), return_index=True)
    return archs[np.sort(first)]


@register_optimizer("oneshot-rs")
class OneShotRandomSearch(_OneShot):
    """Random search over supernet ratings: rate ``pool_size`` random cells, query them best rated first."""

    display_name = "One-shot random search"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, supernet: str | None = None,
                 bn_batches: int = 4, pool_size: int = 1000):
        self.pool_size = positive_int("oneshot-rs", "pool_size", pool_size)
        super().__init__(problem, rng, supernet, bn_batches)

    def search(self) -> np.ndarray:
        return _distinct(self.space, self.space.sample(self.rng, self.pool_size))


@register_optimizer("oneshot-re")
class OneShotEvolution(_OneShot):
    """Aging evolution over supernet ratings (SPOS's search stage), then its history queried best rated first."""

    display_name = "One-shot evolution"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, supernet: str | None = None,
                 bn_batches: int = 4, population_size: int = 50, sample_size: int = 10, cycles: int = 250):
        self.population_size = positive_int("oneshot-re", "population_size", population_size)
        self.sample_size = positive_int("oneshot-re", "sample_size", sample_size)
        if self.sample_size > self.population_size:
            raise ConfigError(f"oneshot-re: sample_size ({sample_size}) must be at most population_size "
                              f"({population_size})")
        self.cycles = positive_int("oneshot-re", "cycles", cycles, 0)
        super().__init__(problem, rng, supernet, bn_batches)

    def search(self) -> np.ndarray:
        first = self.space.sample(self.rng, self.population_size)
        population = deque(zip(first, self.rate(first).tolist()))
        history = [first]
        for _ in range(self.cycles):
            picks = choose_distinct(self.rng, len(population), self.sample_size)
            parent = max((population[i] for i in picks), key=lambda member: member[1])[0]
            child = self.space.mutate(parent[None], self.rng)
            population.append((child[0], float(self.rate(child)[0])))
            population.popleft()
            history.append(child)
        return _distinct(self.space, np.concatenate(history))
