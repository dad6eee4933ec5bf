"""Dense in-memory result tables: one float32 array (architectures, seeds, fidelities) per metric."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nasbench_lab.errors import DataFileError


@dataclass(init=False)
class MetricTable:
    """Values of one metric for one dataset.

    ``values`` is float32 shaped (architectures, seeds, fidelities), NaN where the source
    has nothing. ``per_seed[f]`` is False where the source only gives a mean over seeds at
    fidelity ``f`` (it is stored at seed 0, and every seed choice returns that mean).
    """

    values: np.ndarray
    per_seed: tuple[bool, ...]
    unit: str = ""
    source: str = ""

    def __init__(self, values: np.ndarray, per_seed: bool | Sequence[bool] = True, unit: str = "",
                 source: str = "") -> None:
        """Checks the shape and stores ``per_seed`` as one flag per fidelity (a single bool applies to all)."""
        if values.ndim != 3:
            raise DataFileError(f"metric arrays must be 3-D (architectures, seeds, fidelities), got {values.shape}")
        self.values = np.asarray(values, dtype=np.float32)
        flags = np.broadcast_to(np.asarray(per_seed, dtype=bool), (self.values.shape[2],))
        self.per_seed = tuple(bool(x) for x in flags)
        self.unit = unit
        self.source = source

    @property
    def any_per_seed(self) -> bool:
        return any(self.per_seed) and self.values.shape[1] > 1


@dataclass
class DatasetTable:
    """All metrics of one dataset of a benchmark, over the same architectures and fidelities."""

    name: str
    space: str
    fidelities: tuple[int, ...]
    metrics: dict[str, MetricTable] = field(default_factory=dict)
    #: free-text notes on splits and sources, shown by ``describe()``
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def n_archs(self) -> int:
        return next(iter(self.metrics.values())).values.shape[0] if self.metrics else 0

    def check(self) -> None:
        """Raises DataFileError if metric shapes disagree."""
        for name, metric in self.metrics.items():
            n, _, f = metric.values.shape
            if n != self.n_archs or f != len(self.fidelities):
                raise DataFileError(
                    f"dataset {self.name}: metric {name} has shape {metric.values.shape}; expected "
                    f"({self.n_archs}, seeds, {len(self.fidelities)})"
                )


@dataclass
class SourceFile:
    """A file a table was converted from, with its checksum (to detect a changed source)."""

    path: str
    sha256: str
    size: int
    mtime_ns: int = 0
    #: newest inode change time: moves on every write, and unlike mtime cannot be set back by a user (0: unknown)
    ctime_ns: int = 0


@dataclass
class BenchmarkTable:
    """Every dataset of one benchmark, plus provenance; what one HDF5 file stores."""

    benchmark: str
    datasets: dict[str, DatasetTable]
    sources: list[SourceFile] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    #: spaces defined by the table itself (built from a file's ``arch:`` columns), by name: a JSON-able
    #: ``definition`` and, for a listed space, its ``members`` (int16 array, one row per architecture)
    spaces: dict[str, SpaceRecord] = field(default_factory=dict)


@dataclass
class SpaceRecord:
    """A space stored inside a table: what :class:`~nasbench_lab.spaces.table_space.TableSpace` is rebuilt from."""

    definition: dict
    members: np.ndarray | None = None
