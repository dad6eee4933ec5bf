"""Benchmark: a search space plus results; one vectorized ``query`` for 1 or 10^6 architectures."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace

#: ``"mean"``, a seed index, or a Generator drawing one seed per queried architecture
SeedChoice = str | int | np.random.Generator


class Benchmark(ABC):
    """Answers ``query(archs, metric, fidelity, seed)`` and ``cost(...)`` for one dataset."""

    name: str
    dataset: str
    space: SearchSpace
    #: metric a search optimises (validation) and the one it reports (test; None when there is none)
    search_metric: str = "valid_acc"
    report_metric: str | None = "test_acc"

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

    #: True when the benchmark answers from a table of listed cells of an enumerable space, so that
    #: ``indices_with_data`` names them (a surrogate covers the whole space and lists none)
    tabulated: bool = False

    def metric_fidelities(self, metric: str) -> tuple[int, ...]:
        """Fidelities at which ``metric`` has values (default: every fidelity of the benchmark)."""
        return self.fidelities

    def indices_with_data(self, metric: str | None = None, fidelity: int | None = None) -> np.ndarray:
        """Official indices of the cells with a value of ``metric``; only tabulated benchmarks list them."""
        raise ConfigError(f"{self.name}/{self.dataset} lists no cells (it is not a table over an enumerable "
                          "space); pass the architectures to evaluate explicitly")

    def archs_with_data(self, metric: str | None = None) -> np.ndarray:
        """Every architecture with a value of ``metric`` (default: the search metric)."""
        if self.tabulated and isinstance(self.space, EnumerableSpace):
            return self.space.from_index(self.indices_with_data(metric or self.search_metric))
        raise ConfigError(f"{self.name}/{self.dataset} cannot list its architectures with data "
                          "(a surrogate covers the whole space): pass the architectures to evaluate explicitly")

    def search_lookup(self, metric: str, fidelity: int, seed: str) -> SearchLookup | None:
        """Arrays that give exactly ``query(arch, metric, fidelity, seed)`` by official index without the
        per-call checks (``seed`` "mean", or "random" for one present seed drawn per query), for the
        runner's hot loop; None (the default) when the benchmark has no such fast path."""
        return None

    @abstractmethod
    def query(self, archs: object, metric: str, fidelity: int | None = None,
              seed: SeedChoice = "mean") -> np.ndarray | float:
        """Values of ``metric`` for one architecture (a float) or a batch (an array); code that handles
        batches calls :meth:`query_batch`, which is always an array."""

    def query_batch(self, batch: object, metric: str, fidelity: int | None = None,
                    seed: SeedChoice = "mean") -> np.ndarray:
        """Values of ``metric`` for a batch (shape ``(n, *arch_shape)``) as a 1-D float64 array, so callers
        need not check for a float (one architecture gives an array of one); built on :meth:`query`.

        (Overloads on ``query`` cannot say this: one architecture and a batch are both an ndarray, told
        apart only by their shape, which the type checker does not see.)"""
        return np.atleast_1d(np.asarray(self.query(batch, metric, fidelity, seed), dtype=np.float64))

    def query_index(self, indices: object, metric: str, fidelity: int | None = None,
                    seed: SeedChoice = "mean") -> np.ndarray:
        """:meth:`query_batch` by official indices (enumerable spaces only; a table answers without the
        index -> architecture -> index round trip)."""
        if not isinstance(self.space, EnumerableSpace):
            raise ConfigError(f"{self.name}/{self.dataset}: space {self.space.name} has no official indices; "
                              "query architectures instead")
        return self.query_batch(self.space.from_index(self.space.check_indices(indices)), metric, fidelity, seed)

    def has_data(self, archs: object, metric: str | None = None, fidelity: int | None = None) -> np.ndarray | bool:
        """True where ``metric`` (default: the search metric) has a value (partial tables leave cells NaN);
        a bool for one architecture."""
        values = self.query(archs, metric or self.search_metric, fidelity)
        return bool(np.isfinite(values)) if isinstance(values, float) else np.isfinite(values)

    def data_sha256(self) -> str:
        """SHA-256 identifying the data this benchmark answers from, so results of other data never mix with its
        (a study records it with every run); "" when the benchmark cannot say (a study then hashes its files)."""
        return ""

    @abstractmethod
    def cost(self, archs: object, fidelity: int | None = None, seed: SeedChoice = "mean") -> np.ndarray | float:
        """Training seconds that evaluating the architectures at ``fidelity`` stands for."""

    @abstractmethod
    def describe(self) -> dict:
        """JSON-able description: datasets, metrics with units and kinds, fidelities, split semantics."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dataset={self.dataset!r}, space={self.space.name!r})"


@dataclass(frozen=True)
class SearchLookup:
    """A benchmark's values by official index: ``column[i]`` (one value per architecture), or, to draw a
    training seed per query, ``packed[i, :n_present[i]]`` (the seeds with values, first)."""

    column: np.ndarray | None = None
    packed: np.ndarray | None = None
    n_present: np.ndarray | None = None


def check_seed_choice(seed: object) -> None:
    """Raises ConfigError unless ``seed`` is "mean", a non-negative int or a Generator."""
    if isinstance(seed, np.random.Generator) or seed == "mean":
        return
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return
    raise ConfigError(f"seed must be 'mean', a seed index >= 0 or a numpy.random.Generator, got {seed!r}")
