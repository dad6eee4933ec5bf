"""BenchmarkSpec: what a named benchmark is, which files it reads, and how datasets map to spaces."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nasbench_lab.errors import UnknownNameError
from nasbench_lab.loaders.base import Loader
from nasbench_lab.registry import Registry

if TYPE_CHECKING:
    from nasbench_lab.benchmarks.base import Benchmark


@dataclass(frozen=True)
class BenchmarkSpec:
    """Static description of a benchmark; ``load()`` turns it plus a file into a Benchmark."""

    name: str
    description: str
    datasets: tuple[str, ...]
    default_dataset: str
    loaders: tuple[Loader, ...]
    #: dataset name -> search space name
    space_for: Callable[[str], str]
    dataset_aliases: Mapping[str, str] = field(default_factory=dict)
    #: returns the path of data shipped with an installed package, or None
    embedded_path: Callable[[], Path | None] | None = None
    #: per-dataset notes on split semantics, shown by describe()
    notes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: what to download and from where, shown when no path is given
    where_to_get: str = ""
    #: data of an installed optional package, read when no path is given and no official file or converted
    #: table is at hand (after ``embedded_path``): returns its path, or None when the package is not installed
    package_path: Callable[[], Path | None] | None = None
    #: one line naming that source, shown (a DataNote) whenever it is used
    package_note: str = ""

    def resolve_dataset(self, dataset: str | None) -> str:
        """Canonical dataset name (aliases accepted); the default when ``dataset`` is None."""
        if dataset is None:
            return self.default_dataset
        name = self.dataset_aliases.get(dataset, dataset)
        if name not in self.datasets:
            accepted = list(self.datasets) + [f"{a} (= {t})" for a, t in self.dataset_aliases.items()]
            raise UnknownNameError(f"dataset of benchmark {self.name}", dataset, accepted)
        return name


BENCHMARKS: Registry[BenchmarkSpec] = Registry("benchmark")

#: loaders for paths that are a benchmark on their own (e.g. a fitted surrogate folder), tried by
#: ``nasbench_lab.load(path)`` before the named benchmarks: each returns a Benchmark, or None when the
#: path is not of its kind
DIRECT_LOADERS: Registry[Callable[[Path, str | None], Benchmark | None]] = Registry("direct loader")
