"""TabularBenchmark: queries are array indexing into dense float32 tables."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark, SearchLookup, SeedChoice, check_seed_choice
from nasbench_lab.errors import ConfigError, DataNote, UnknownNameError
from nasbench_lab.metrics import metric_info
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.tables.table import DatasetTable, MetricTable, SourceFile


class _SeedPacked:
    """A metric's values with present seeds moved first, for drawing among present seeds only."""

    def __init__(self, values: np.ndarray):
        missing = np.isnan(values)
        order = np.argsort(missing, axis=1, kind="stable")
        self.values = np.take_along_axis(values, order, axis=1)
        self.n_present = (~missing).sum(axis=1).astype(np.int64)  # (archs, fidelities)


class TabularBenchmark(Benchmark):
    """A benchmark backed by a DatasetTable over an enumerable space (rows in official index order)."""

    tabulated = True
    space: EnumerableSpace

    def __init__(self, name: str, table: DatasetTable, space: EnumerableSpace, notes: dict | None = None,
                 sources: Sequence[SourceFile] = ()):
        if table.n_archs != space.size:
            raise ConfigError(f"{name}/{table.name}: table has {table.n_archs} rows but space {space.name} "
                              f"has {space.size} architectures")
        self.name = name
        self.dataset = table.name
        self.space = space
        self.table = table
        self.notes = {**table.notes, **(notes or {})}
        #: the files the table was converted from, with their checksums (what a study's data identity uses)
        self.sources = tuple(sources)
        self._fid_pos = {f: i for i, f in enumerate(table.fidelities)}
        # (metric, fidelity) -> 1-D contiguous mean array, built on first use: the hot path of
        # query(seed="mean"); (metric, None) aliases the highest fidelity with data
        self._mean: dict[tuple[str, int | None], np.ndarray] = {}
        self._packed: dict[str, _SeedPacked] = {}
        self._noted_fidelity: set[str] = set()
        self._present: dict[str, tuple[int, ...]] = {
            metric: tuple(f for f, has in zip(table.fidelities, np.isfinite(mt.values).any(axis=(0, 1))) if has)
            for metric, mt in table.metrics.items()
        }

    def _column(self, metric: str, fid: int) -> np.ndarray:
        """Mean over present seeds of ``metric`` at ``fid`` (cached; NaN where a cell has no seed)."""
        column = self._mean.get((metric, fid))
        if column is None:
            block = self.table.metrics[metric].values[:, :, self._fid_pos[fid]]
            if block.shape[1] == 1:
                column = np.ascontiguousarray(block[:, 0])
            else:
                finite = np.isfinite(block)
                with np.errstate(invalid="ignore", divide="ignore"):
                    column = (np.where(finite, block, 0).sum(axis=1) / finite.sum(axis=1)).astype(np.float32)
            self._mean[(metric, fid)] = column
            if fid == self._present[metric][-1]:
                self._mean[(metric, None)] = column
        return column

    # ------------------------------------------------------------ properties
    @property
    def metrics(self) -> list[str]:
        return list(self.table.metrics)

    @property
    def fidelities(self) -> tuple[int, ...]:
        return self.table.fidelities

    def metric_fidelities(self, metric: str) -> tuple[int, ...]:
        """Fidelities at which ``metric`` has at least one value."""
        self._metric(metric)
        return self._present[metric]

    # ---------------------------------------------------------------- query
    def query(self, archs: object, metric: str, fidelity: int | None = None,
              seed: SeedChoice = "mean") -> np.ndarray | float:
        """Values of ``metric`` at ``fidelity`` (default: the highest with data).

        ``seed="mean"`` averages over the seeds present; an int picks that seed (NaN where a
        cell lacks it); a Generator draws one present seed per architecture. Metrics that the
        source gives only as a mean over seeds return that mean for every seed choice.
        """
        try:
            column = self._mean.get((metric, fidelity)) if seed == "mean" and isinstance(seed, str) else None
        except TypeError:  # an unhashable metric or fidelity (a list): the slow path names the problem
            column = None
        if column is not None:
            idx = self.space.index(archs)
            value = column[idx]
            return float(value) if isinstance(idx, int) else value
        return self._query_slow(archs, metric, fidelity, seed)

    def data_sha256(self) -> str:
        """The checksums the conversion recorded for the source files (checked against the files whenever the table
        is loaded); a table without recorded sources: a hash of its values."""
        digest = hashlib.sha256()
        if self.sources:
            for sha in sorted(s.sha256 for s in self.sources):
                digest.update(sha.encode())
            return digest.hexdigest()
        if not self.table.metrics:
            return ""
        digest.update(json.dumps([self.table.name, list(self.table.fidelities)]).encode())
        for name in sorted(self.table.metrics):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(self.table.metrics[name].values).tobytes())
        return digest.hexdigest()

    def query_index(self, indices: object, metric: str, fidelity: int | None = None,
                    seed: SeedChoice = "mean") -> np.ndarray:
        """Values by official indices, straight from the table (skips the architecture -> index step)."""
        idx = self.space.check_indices(indices)
        return self._values(idx, metric, fidelity, seed)

    def _query_slow(self, archs: object, metric: str, fidelity: int | None, seed: SeedChoice):
        idx = self.space.index(archs)
        single = isinstance(idx, int)
        values = self._values(np.atleast_1d(np.asarray(idx, dtype=np.int64)), metric, fidelity, seed)
        return float(values[0]) if single else values

    def _values(self, idx: np.ndarray, metric: str, fidelity: int | None, seed: SeedChoice) -> np.ndarray:
        check_seed_choice(seed)
        mt = self._metric(metric)
        fid = self._resolve_fidelity(metric, fidelity)
        pos = self._fid_pos[fid]
        if isinstance(seed, str) or not mt.per_seed[pos] or mt.values.shape[1] == 1:
            return self._column(metric, fid)[idx]
        if isinstance(seed, np.random.Generator):
            packed = self._seed_packed(metric)
            n_present = packed.n_present[idx, pos]
            draw = (seed.random(len(idx)) * np.maximum(n_present, 1)).astype(np.int64)
            return packed.values[idx, draw, pos]
        n_seeds = mt.values.shape[1]
        if seed >= n_seeds:
            raise ConfigError(f"{self.name}/{self.dataset}: seed index {seed} out of range for {metric}; "
                              f"accepted: 'mean', a Generator, or 0..{n_seeds - 1}")
        return mt.values[idx, int(seed), pos]

    def _seed_packed(self, metric: str) -> _SeedPacked:
        packed = self._packed.get(metric)
        if packed is None:
            packed = self._packed[metric] = _SeedPacked(self.table.metrics[metric].values)
        return packed

    def search_lookup(self, metric: str, fidelity: int, seed: str) -> SearchLookup | None:
        """The columns ``query`` reads, as float64 by official index (see Benchmark.search_lookup)."""
        if not isinstance(self.space, EnumerableSpace) or seed not in ("mean", "random"):
            return None
        mt = self._metric(metric)
        pos = self._fid_pos[self._resolve_fidelity(metric, fidelity)]
        if seed == "mean" or not mt.per_seed[pos] or mt.values.shape[1] == 1:
            return SearchLookup(column=self.query_batch(self.space.all(), metric, fidelity))
        packed = self._seed_packed(metric)
        return SearchLookup(packed=packed.values[:, :, pos].astype(np.float64),
                            n_present=np.maximum(packed.n_present[:, pos], 1).astype(np.float64))

    def _metric(self, metric: str) -> MetricTable:
        if not isinstance(metric, str):
            raise UnknownNameError(f"metric of {self.name}/{self.dataset} (one name, a str)", metric, self.metrics)
        try:
            return self.table.metrics[metric]
        except KeyError:
            raise UnknownNameError(f"metric of {self.name}/{self.dataset}", metric, self.metrics) from None

    def _resolve_fidelity(self, metric: str, fidelity: int | None) -> int:
        self._metric(metric)  # an unknown name fails with the accepted ones listed
        if fidelity is None:
            present = self._present[metric]
            if not present:
                raise ConfigError(f"{self.name}/{self.dataset}: metric {metric} has no values at any fidelity")
            if present[-1] != self.max_fidelity and metric not in self._noted_fidelity:
                self._noted_fidelity.add(metric)  # once per metric: a search asks thousands of times
                warnings.warn(f"{self.name}/{self.dataset}: {metric} has no values at the table's main fidelity "
                              f"{self.max_fidelity}; answered with its {present[-1]}-epoch values (pass fidelity= "
                              "to choose)", DataNote, stacklevel=4)
            return present[-1]
        if isinstance(fidelity, bool) or not isinstance(fidelity, (int, np.integer)):
            raise UnknownNameError(f"fidelity (epochs, one int) of {self.name}/{self.dataset}", fidelity,
                                   self.fidelities)
        if fidelity not in self._fid_pos:
            raise UnknownNameError(f"fidelity (epochs) of {self.name}/{self.dataset}", fidelity, self.fidelities)
        if fidelity not in self._present[metric]:
            raise ConfigError(
                f"{self.name}/{self.dataset}: metric {metric} has no values at fidelity {fidelity}; "
                f"fidelities with values: {', '.join(map(str, self.metric_fidelities(metric))) or 'none'}"
            )
        return int(fidelity)

    # ----------------------------------------------------------------- cost
    @cached_property
    def _time_fidelities(self) -> tuple[int, ...]:
        return self.metric_fidelities("train_time") if "train_time" in self.table.metrics else ()

    def cost(self, archs: object, fidelity: int | None = None, seed: SeedChoice = "mean") -> np.ndarray | float:
        """Training seconds at ``fidelity``; where the source times only a longer schedule,
        its time is scaled by the ratio of epochs (see ``describe()['notes']``)."""
        if not self._time_fidelities:
            raise ConfigError(f"{self.name}/{self.dataset} has no train_time metric, so no cost; "
                              "use a budget counted in queries")
        fid = self.max_fidelity if fidelity is None else fidelity
        if isinstance(fid, bool) or not isinstance(fid, (int, np.integer)) or fid not in self._fid_pos:
            raise UnknownNameError(f"fidelity (epochs) of {self.name}/{self.dataset}", fid, self.fidelities)
        if fid in self._time_fidelities:
            return self.query(archs, "train_time", fid, seed)
        longer = [f for f in self._time_fidelities if f > fid] or list(self._time_fidelities)
        ref = longer[0]
        return self.query(archs, "train_time", ref, seed) * (fid / ref)

    # ------------------------------------------------------------- coverage
    def indices_with_data(self, metric: str | None = None, fidelity: int | None = None) -> np.ndarray:
        """Official indices of the cells that have a value for ``metric``."""
        metric = metric or self.search_metric
        fid = self._resolve_fidelity(metric, fidelity)
        return np.flatnonzero(np.isfinite(self._column(metric, fid)))

    # ------------------------------------------------------------- describe
    def describe(self) -> dict:
        metrics = {}
        for name, mt in self.table.metrics.items():
            info = metric_info(name)
            fids = self.metric_fidelities(name)
            coverage = float(np.isfinite(self._column(name, fids[-1])).mean()) if fids else 0.0
            metrics[name] = {
                "kind": info.kind.value,
                "unit": mt.unit or info.unit,
                "seeds": {str(f): (mt.values.shape[1] if mt.per_seed[self._fid_pos[f]] else "mean only") for f in fids},
                "fidelities": list(fids),
                "coverage": round(coverage, 6),
                "source": mt.source,
                "description": info.description,
            }
        return {
            "benchmark": self.name,
            "dataset": self.dataset,
            "space": self.space.name,
            "architectures": self.space.size,
            "fidelities": list(self.fidelities),
            "search_metric": self.search_metric,
            "report_metric": self.report_metric,
            "metrics": metrics,
            "notes": self.notes,
        }
