"""CompletedBenchmark: a partial table made whole, real values where known and a surrogate elsewhere.

NB101 has real results for only some of its 423,624 cells here; a surrogate fitted on them
answers the rest. Every query can also say which values are real (:meth:`is_real`,
:meth:`query_with_flag`). The known values are stored next to the surrogate in ``known.h5``
(datasets ``<metric>/index`` int64 and ``<metric>/value`` float32).
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from nasbench_lab.benchmarks.base import Benchmark, SeedChoice
from nasbench_lab.benchmarks.surrogates.surrogate import SurrogateBenchmark
from nasbench_lab.errors import ChecksumMismatchError, ConfigError, DataFileError
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.tables.checksums import sha256_file

KNOWN_FILE = "known.h5"


class CompletedBenchmark(Benchmark):
    """Real values for the cells a table has, surrogate predictions for every other cell."""

    tabulated = True  # indices_with_data lists the cells with real values

    def __init__(self, surrogate: SurrogateBenchmark, known: dict[str, tuple[np.ndarray, np.ndarray]],
                 source: str = ""):
        if not isinstance(surrogate.space, EnumerableSpace):
            raise ConfigError(f"completing a table needs an enumerable space; {surrogate.space.name} is not")
        self.surrogate = surrogate
        self.name = surrogate.name
        self.dataset = surrogate.dataset
        self.space: EnumerableSpace = surrogate.space
        self.search_metric = surrogate.search_metric
        self.report_metric = surrogate.report_metric
        self.source = source
        self._dense: dict[str, np.ndarray] = {}
        for metric, (idx, values) in known.items():
            if metric not in surrogate.metrics:
                raise ConfigError(f"known values of {metric} but the surrogate has no model of it "
                                  f"(models: {', '.join(surrogate.metrics)})")
            idx = self.space.check_indices(idx)
            dense = np.full(self.space.size, np.nan, dtype=np.float32)
            dense[idx] = np.asarray(values, dtype=np.float32)
            self._dense[metric] = dense

    @property
    def metrics(self) -> list[str]:
        return self.surrogate.metrics

    @property
    def fidelities(self) -> tuple[int, ...]:
        return self.surrogate.fidelities

    def metric_fidelities(self, metric: str) -> tuple[int, ...]:
        return self.surrogate.metric_fidelities(metric)

    def query(self, archs: object, metric: str, fidelity: int | None = None,
              seed: SeedChoice = "mean") -> np.ndarray | float:
        """The real value where the table has one (for every seed choice), else the surrogate's."""
        values, _, single = self._query(archs, metric, fidelity, seed)
        return float(values[0]) if single else values

    def query_with_flag(self, archs: object, metric: str, fidelity: int | None = None,
                        seed: SeedChoice = "mean") -> tuple[np.ndarray, np.ndarray]:
        """(values, is_real) arrays: ``is_real`` is False where the value is a surrogate prediction."""
        values, real, _ = self._query(archs, metric, fidelity, seed)
        return values, real

    def is_real(self, archs: object, metric: str | None = None) -> np.ndarray:
        """True where ``metric`` (default: the search metric) has a real value for the architecture."""
        dense = self._dense.get(metric or self.search_metric)
        idx = np.atleast_1d(np.asarray(self.space.index(archs), dtype=np.int64))
        return np.zeros(len(idx), dtype=bool) if dense is None else np.isfinite(dense[idx])

    def _query(self, archs: object, metric: str, fidelity: int | None, seed: SeedChoice):
        self.surrogate.check_query(metric, fidelity, seed)
        batch, single = self.space.as_batch(archs)
        idx = np.atleast_1d(np.asarray(self.space.index(batch), dtype=np.int64))
        dense = self._dense.get(metric)
        values = dense[idx].copy() if dense is not None else np.full(len(idx), np.nan, dtype=np.float32)
        real = np.isfinite(values)
        if not real.all():
            values[~real] = self.surrogate.query_validated(batch[~real], metric, fidelity, seed)
        return values, real, single

    def cost(self, archs: object, fidelity: int | None = None, seed: SeedChoice = "mean") -> np.ndarray | float:
        if "train_time" not in self.metrics:
            raise ConfigError(f"{self.name}/{self.dataset} has no train_time model, so no cost; "
                              "use a budget counted in queries")
        values = self.query(archs, "train_time", fidelity, seed)
        return np.maximum(values, 0.0) if isinstance(values, np.ndarray) else max(values, 0.0)

    def indices_with_data(self, metric: str | None = None, fidelity: int | None = None) -> np.ndarray:
        """Official indices of the cells with a real value."""
        dense = self._dense.get(metric or self.search_metric)
        return np.zeros(0, dtype=np.int64) if dense is None else np.flatnonzero(np.isfinite(dense))

    def describe(self) -> dict:
        out = self.surrogate.describe()
        out["kind"] = "completed table (real values where known, surrogate elsewhere)"
        out["architectures"] = self.space.size
        for metric, dense in self._dense.items():
            out["metrics"][metric]["real_cells"] = int(np.isfinite(dense).sum())
            out["metrics"][metric]["coverage_real"] = round(float(np.isfinite(dense).mean()), 6)
        out["notes"] = {**out.get("notes", {}), "completion": "query() returns the real value where the source "
                        "table has one and the surrogate's otherwise; query_with_flag()/is_real() say which",
                        "source": self.source}
        return out

    def save(self, folder: str | os.PathLike) -> Path:
        """Writes the surrogate and ``known.h5``; the folder loads back with ``nasbench_lab.load``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / f".{KNOWN_FILE}.{os.getpid()}.tmp"
        with h5py.File(tmp, "w") as f:
            f.attrs["space"] = self.space.name
            for metric, dense in self._dense.items():
                idx = np.flatnonzero(np.isfinite(dense))
                g = f.create_group(metric)
                g.create_dataset("index", data=idx.astype(np.int64))
                g.create_dataset("value", data=dense[idx])
        os.replace(tmp, out / KNOWN_FILE)
        real = {m: int(np.isfinite(d).sum()) for m, d in self._dense.items()}
        self.surrogate.info["completes"] = {"file": KNOWN_FILE, "sha256": sha256_file(out / KNOWN_FILE),
                                            "source": self.source, "real_cells": real}
        return self.surrogate.save(out)


def load_completed(folder: Path, surrogate: SurrogateBenchmark) -> CompletedBenchmark:
    """The completed benchmark of a surrogate folder whose metadata names a ``known.h5``."""
    rec = surrogate.info.get("completes") or {}
    path = folder / str(rec.get("file", KNOWN_FILE))
    if not path.is_file():
        raise DataFileError(f"{folder}: the surrogate completes a table but {path.name} (its real values) is missing")
    digest = sha256_file(path)
    if digest != rec.get("sha256"):
        raise ChecksumMismatchError(f"{path}: sha256 {digest} differs from the recorded {rec.get('sha256')}")
    known = {}
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("space") != surrogate.space.name:
                raise DataFileError(f"{path} holds values of space {f.attrs.get('space')!r}, "
                                    f"not {surrogate.space.name}")
            for metric in f:
                known[metric] = (f[metric]["index"][()], f[metric]["value"][()])
    except OSError as exc:
        raise DataFileError(f"{path} is not a readable HDF5 file: {exc}") from None
    return CompletedBenchmark(surrogate, known, source=str(rec.get("source", "")))
