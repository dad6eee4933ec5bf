"""Benchmark: a search space plus results; one vectorized ``query`` for 1 or 10^6 architectures."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.spaces.base import SearchSpace

#: ``"mean"``, a seed index, or a Generator drawing one seed per queried architecture
SeedChoice = str | int | np.random.Generator


class Benchmark(ABC):
    """Answers ``query(archs, metric, fidelity, seed)`` and ``cost(...)`` for one dataset."""

    name: str
    dataset: str
    space: SearchSpace
    #: metric a search optimises (validation) and the one it reports (test)
    search_metric: str = "valid_acc"
    report_metric: str = "test_acc"

    @property
    @abstractmethod
    def metrics(self) -> list[str]:
        """Metric names this benchmark answers."""

    @property
    @abstractmethod
    def fidelities(self) -> tuple[int, ...]:
        """Fidelities (training epochs) in ascending order; the last is the default."""

    @property
    def max_fidelity(self) -> int:
        return self.fidelities[-1]

    @abstractmethod
    def query(self, archs: object, metric: str, fidelity: int | None = None,
              seed: SeedChoice = "mean") -> np.ndarray | float:
        """Values of ``metric`` for one architecture (a float) or a batch (an array)."""

    @abstractmethod
    def cost(self, archs: object, fidelity: int | None = None, seed: SeedChoice = "mean") -> np.ndarray | float:
        """Training seconds that evaluating the architectures at ``fidelity`` stands for."""

    @abstractmethod
    def describe(self) -> dict:
        """JSON-able description: datasets, metrics with units and kinds, fidelities, split semantics."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dataset={self.dataset!r}, space={self.space.name!r})"


def check_seed_choice(seed: object) -> None:
    """Raises ConfigError unless ``seed`` is "mean", a non-negative int or a Generator."""
    if isinstance(seed, np.random.Generator) or seed == "mean":
        return
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return
    raise ConfigError(f"seed must be 'mean', a seed index >= 0 or a numpy.random.Generator, got {seed!r}")


def archs_with_data(benchmark: Benchmark, metric: str | None = None) -> np.ndarray:
    """Every architecture of ``benchmark`` with a value of ``metric`` (default: the search metric)."""
    metric = metric or benchmark.search_metric
    if hasattr(type(benchmark), "archs_with_data"):
        return benchmark.archs_with_data(metric)
    if hasattr(benchmark, "indices_with_data"):
        return benchmark.space.from_index(benchmark.indices_with_data(metric))
    raise ConfigError(f"{benchmark.name}/{benchmark.dataset} cannot list its architectures with data "
                      "(a surrogate covers the whole space): pass the architectures to evaluate explicitly")
