"""Benchmarks over NAS-Bench-Suite-Zero proxy records: the listed cells alone, or a benchmark with proxies added.

The files are read by :mod:`nasbench_lab.loaders.suite_zero`; this module answers queries over what it read.
"""

from __future__ import annotations

import hashlib
import os
from functools import cached_property

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark, SearchLookup, SeedChoice, check_seed_choice
from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.loaders.suite_zero import EPOCHS, PROXY_PREFIX, ProxyRecords, read_suite_zero
from nasbench_lab.metrics import metric_info
from nasbench_lab.spaces.registry import space as get_space


class ProxyBenchmark(Benchmark):
    """The cells of one Suite-Zero dataset: ``valid_acc`` and ``zc_<proxy>`` metrics, NaN elsewhere."""

    def __init__(self, records: ProxyRecords):
        self.records = records
        self.name = f"{records.benchmark}-zc"
        self.dataset = records.dataset
        self.space = get_space(records.space)
        self._keys = self.space.keys(records.archs)  # sorted by construction
        self._values = {"valid_acc": records.val_acc.astype(np.float64),
                        **{PROXY_PREFIX + p: v.astype(np.float64) for p, v in records.scores.items()}}

    @property
    def metrics(self) -> list[str]:
        return list(self._values)

    @property
    def proxies(self) -> list[str]:
        return [m for m in self._values if m.startswith(PROXY_PREFIX)]

    @property
    def fidelities(self) -> tuple[int, ...]:
        return (EPOCHS[self.records.benchmark],)

    def metric_fidelities(self, metric: str) -> tuple[int, ...]:
        self._check_metric(metric)
        return self.fidelities

    def data_sha256(self) -> str:
        """A hash of the listed cells and every value read from the file (what its answers depend on)."""
        digest = hashlib.sha256(np.ascontiguousarray(self._keys).tobytes())
        for name in sorted(self._values):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(self._values[name]).tobytes())
        return digest.hexdigest()

    def _check_metric(self, metric: str) -> np.ndarray:
        if metric not in self._values:
            raise UnknownNameError(f"metric of {self.name}/{self.dataset}", metric, self.metrics)
        return self._values[metric]

    def rows(self, archs: object) -> tuple[np.ndarray, bool]:
        """Row of each architecture in the file (-1 where the file does not list it)."""
        batch, single = self.space.as_batch(archs)
        keys = self.space.keys(batch)
        pos = np.searchsorted(self._keys, keys)
        pos = np.minimum(pos, len(self._keys) - 1)
        return np.where(self._keys[pos] == keys, pos, -1), single

    def query(self, archs: object, metric: str, fidelity: int | None = None,
              seed: SeedChoice = "mean") -> np.ndarray | float:
        """Values of ``metric`` (NaN for cells the file does not list); one value per cell, so every
        seed choice returns it."""
        check_seed_choice(seed)
        values = self._check_metric(metric)
        if fidelity is not None and fidelity not in self.fidelities:
            raise UnknownNameError(f"fidelity (epochs) of {self.name}/{self.dataset}", fidelity, self.fidelities)
        rows, single = self.rows(archs)
        out = np.where(rows >= 0, values[np.maximum(rows, 0)], np.nan)
        return float(out[0]) if single else out

    def cost(self, archs: object, fidelity: int | None = None, seed: SeedChoice = "mean") -> np.ndarray | float:
        raise ConfigError(f"{self.name}/{self.dataset} has no training times, so no cost; "
                          "use a budget counted in queries")

    def proxy_time(self, archs: object, proxy: str) -> np.ndarray:
        """Seconds that computing ``proxy`` took for each architecture (NaN where not recorded)."""
        name = proxy[len(PROXY_PREFIX):] if proxy.startswith(PROXY_PREFIX) else proxy
        if name not in self.records.times:
            raise UnknownNameError(f"proxy with recorded times in {self.name}/{self.dataset}", proxy,
                                   sorted(self.records.times))
        rows, _ = self.rows(archs)
        return np.where(rows >= 0, self.records.times[name][np.maximum(rows, 0)], np.nan)

    def archs_with_data(self, metric: str | None = None) -> np.ndarray:
        """Every architecture the file lists (all have every metric)."""
        return self.records.archs.copy()

    def describe(self) -> dict:
        return {"benchmark": self.name, "dataset": self.dataset, "space": self.space.name,
                "architectures": len(self.records), "fidelities": list(self.fidelities),
                "search_metric": self.search_metric, "report_metric": None,
                "metrics": {m: {"kind": metric_info(m).kind.value, "coverage_cells": len(self.records)}
                            for m in self.metrics},
                "notes": {"source": "NAS-Bench-Suite-Zero precomputed proxies (NASLib format)",
                          "valid_acc": f"the file's val_accuracy ({self.fidelities[0]} epochs)",
                          "duplicates": f"{self.records.duplicates} keys named an already listed (isomorphic) "
                                        "cell; their values were averaged"}}


class ProxyAugmentedBenchmark(Benchmark):
    """A benchmark plus Suite-Zero proxies: ``zc_*`` metrics come from the file, everything else from
    ``base``. The file's own accuracy is ``suite_valid_acc``. It answers the Benchmark interface only
    (no forwarding of other attributes): the base's own extras, such as a table's ``table``, are on
    ``.base``."""

    def __init__(self, base: Benchmark, proxies: ProxyBenchmark):
        if base.space.name != proxies.space.name:
            raise ConfigError(f"proxies are for space {proxies.space.name}, benchmark {base.name} uses "
                              f"{base.space.name}")
        self.base, self.proxy_bench = base, proxies
        self.name, self.dataset, self.space = base.name, base.dataset, base.space
        self.search_metric, self.report_metric = base.search_metric, base.report_metric

    @cached_property
    def _routes(self) -> dict[str, str]:
        routes = {m: m for m in self.proxy_bench.proxies}
        routes["suite_valid_acc"] = "valid_acc"
        return routes

    @property
    def metrics(self) -> list[str]:
        return list(self.base.metrics) + list(self._routes)

    @property
    def proxies(self) -> list[str]:
        return self.proxy_bench.proxies

    @property
    def fidelities(self) -> tuple[int, ...]:
        return self.base.fidelities

    def metric_fidelities(self, metric: str) -> tuple[int, ...]:
        if metric in self._routes:
            return self.proxy_bench.fidelities
        return self.base.metric_fidelities(metric)

    def query(self, archs: object, metric: str, fidelity: int | None = None,
              seed: SeedChoice = "mean") -> np.ndarray | float:
        if metric in self._routes:
            return self.proxy_bench.query(archs, self._routes[metric], None, seed)
        return self.base.query(archs, metric, fidelity, seed)

    def data_sha256(self) -> str:
        """The wrapped benchmark's data identity combined with the proxies' (a search guided by a proxy, or a
        front with a proxy objective, depends on them); the base's alone where it cannot say ("")."""
        base = self.base.data_sha256()
        if not base:
            return ""
        return hashlib.sha256(f"{base}+{self.proxy_bench.data_sha256()}".encode()).hexdigest()

    def query_index(self, indices: object, metric: str, fidelity: int | None = None,
                    seed: SeedChoice = "mean") -> np.ndarray:
        if metric in self._routes:
            return super().query_index(indices, metric, fidelity, seed)
        return self.base.query_index(indices, metric, fidelity, seed)

    def search_lookup(self, metric: str, fidelity: int, seed: str) -> SearchLookup | None:
        """The base's fast lookup for its own metrics (proxy metrics have none)."""
        return None if metric in self._routes else self.base.search_lookup(metric, fidelity, seed)

    def cost(self, archs: object, fidelity: int | None = None, seed: SeedChoice = "mean") -> np.ndarray | float:
        return self.base.cost(archs, fidelity, seed)

    def archs_with_data(self, metric: str | None = None) -> np.ndarray:
        """Cells with a value of ``metric``; for proxy metrics, the file's cells where the base has the
        search metric too."""
        metric = metric or self.search_metric
        if metric in self._routes:
            archs = self.proxy_bench.archs_with_data()
            return archs[np.isfinite(self.base.query_batch(archs, self.search_metric))]
        return self.base.archs_with_data(metric)

    @property
    def tabulated(self) -> bool:  # type: ignore[override]
        return self.base.tabulated

    def indices_with_data(self, metric: str | None = None, fidelity: int | None = None) -> np.ndarray:
        return self.base.indices_with_data(metric, fidelity)

    def describe(self) -> dict:
        info = self.base.describe()
        info["proxies"] = self.proxy_bench.describe()
        return info


def load_proxies(path: str | os.PathLike, dataset: str | None = None, *,
                 benchmark: str | None = None) -> ProxyBenchmark:
    """A benchmark over the cells of one dataset of a Suite-Zero file (the only one, or ``dataset``)."""
    records = read_suite_zero(path, benchmark)
    if dataset is None:
        if len(records) > 1:
            raise ConfigError(f"{path} holds datasets {', '.join(records)}: pass dataset=...")
        dataset = next(iter(records))
    if dataset not in records:
        raise UnknownNameError(f"dataset of {path}", dataset, list(records))
    return ProxyBenchmark(records[dataset])


def with_proxies(benchmark: Benchmark, path: str | os.PathLike) -> ProxyAugmentedBenchmark:
    """``benchmark`` with the proxies of its dataset from a Suite-Zero file added as ``zc_*`` metrics."""
    records = read_suite_zero(path)
    if benchmark.dataset not in records:
        raise UnknownNameError(f"dataset of {path} (for {benchmark.name}/{benchmark.dataset})", benchmark.dataset,
                               list(records))
    return ProxyAugmentedBenchmark(benchmark, ProxyBenchmark(records[benchmark.dataset]))
