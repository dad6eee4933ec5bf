"""NAS-Bench-Suite-Zero proxy files (NASLib's ``zc_<benchmark>.json``): precomputed zero-cost proxies.

Two layouts exist: ``{dataset: {key: {"val_accuracy": v, proxy: {"score": s, "time": t}}}}``
(NB201, NB301) and ``{"nasbench101": {dataset: {key: {"val_accuracy": v, proxy: s}}}}`` (NB101).
Keys name architectures in NASLib's notations; :data:`KEY_PARSERS` turns them into ours:

- NB201: a 6-tuple of op indices in NASLib's order (0 skip_connect, 1 none, 2 nor_conv_3x3,
  3 nor_conv_1x1, 4 avg_pool_3x3), edges in NASLib's order (1,2),(1,3),(1,4),(2,3),(2,4),(3,4) (1-based
  nodes), which swaps positions 2 and 3 of the official string's order (checked on real data);
- NB101: a flattened n x n adjacency followed by n op indices (0 input, 1 output, 2 maxpool3x3,
  3 conv1x1-bn-relu, 4 conv3x3-bn-relu), pruned and hashed like the official cells;
- NB301: NASLib's compact DARTS genotype, ``[[(input, op) x 8], [(input, op) x 8]]``.

Use :func:`load_proxies` for a benchmark over the listed cells (metrics ``valid_acc`` and
``zc_<proxy>``), or :func:`with_proxies` to add ``zc_<proxy>`` metrics to a loaded benchmark.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark, SeedChoice, check_seed_choice
from nasbench_lab.errors import ConfigError, DataFileError, InvalidArchitectureError, UnknownNameError
from nasbench_lab.loaders.naslib_nb201 import naslib_to_ops
from nasbench_lab.metrics import metric_info
from nasbench_lab.registry import Registry
from nasbench_lab.spaces.base import SearchSpace
from nasbench_lab.spaces.registry import space as get_space

#: prefix of proxy metrics: ``zc_synflow`` etc.
PROXY_PREFIX = "zc_"
#: the 13 proxies of NAS-Bench-Suite-Zero (a file may hold fewer)
SUITE_ZERO_PROXIES = ("epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "nwot", "params",
                      "plain", "snip", "synflow", "zen")
#: training epochs behind each benchmark's val_accuracy (the fidelity the proxies are compared with)
EPOCHS = {"nb201": 200, "nb101": 108, "nb301": 100}
_WRAPPERS = {"nasbench101": "nb101", "nasbench201": "nb201", "nasbench301": "nb301"}
_SPACE_OF = {"nb201": "nb201", "nb101": "nb101", "nb301": "darts"}
_NB101_NASLIB_OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")

#: benchmark name -> function (space, key texts) -> architecture batch
KEY_PARSERS: Registry[Callable[[SearchSpace, list[str]], np.ndarray]] = Registry("Suite-Zero key format")


@dataclass
class ProxyRecords:
    """One dataset of a Suite-Zero file: architectures, their validation accuracy and proxy scores."""

    benchmark: str
    dataset: str
    space: str
    archs: np.ndarray
    val_acc: np.ndarray
    scores: dict[str, np.ndarray]
    #: seconds each proxy took per architecture (NaN where the file gives none)
    times: dict[str, np.ndarray] = field(default_factory=dict)
    #: number of keys that named an architecture already listed (isomorphic cells); values averaged
    duplicates: int = 0
    #: keys averaged into each row (1 for a cell the file lists once)
    multiplicity: np.ndarray | None = None

    @property
    def proxies(self) -> list[str]:
        return sorted(self.scores)

    def __len__(self) -> int:
        return len(self.archs)


# ------------------------------------------------------------------------------- key parsing
def _int_tuple(text: str) -> tuple[int, ...]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise InvalidArchitectureError(f"Suite-Zero key {text!r} is not a tuple of integers") from None
    if not isinstance(value, tuple) or not all(isinstance(v, int) for v in value):
        raise InvalidArchitectureError(f"Suite-Zero key {text!r} is not a tuple of integers")
    return value


@KEY_PARSERS.register("nb201")
def parse_nb201_keys(space: SearchSpace, keys: list[str]) -> np.ndarray:
    """NASLib op-index 6-tuples (NASLib's op and edge order) -> official op codes in official edge order."""
    raw = np.array([_int_tuple(k) for k in keys], dtype=np.int64).reshape(len(keys), -1)
    if raw.shape[1] != 6 or raw.min(initial=0) < 0 or raw.max(initial=0) > 4:
        raise InvalidArchitectureError(f"nb201 Suite-Zero keys must be 6 op indices 0..4 in NASLib's order; "
                                       f"got e.g. {keys[0]!r}")
    return space.validate(naslib_to_ops(raw))


@KEY_PARSERS.register("nb101")
def parse_nb101_keys(space: SearchSpace, keys: list[str]) -> np.ndarray:
    """Flattened n x n adjacency + n NASLib op indices -> cells (pruned and hashed officially)."""
    out = []
    for key in keys:
        tup = _int_tuple(key)
        n = int(round((-1 + np.sqrt(1 + 4 * len(tup))) / 2))
        if n * n + n != len(tup) or not all(0 <= t < len(_NB101_NASLIB_OPS) for t in tup[n * n:]):
            raise InvalidArchitectureError(f"nb101 Suite-Zero key of length {len(tup)} is not an n x n adjacency "
                                           f"followed by n op indices 0..4: {key[:80]}...")
        matrix = np.array(tup[: n * n], dtype=np.int64).reshape(n, n)
        ops = [_NB101_NASLIB_OPS[t] for t in tup[n * n:]]
        out.append(np.asarray(space.from_spec(matrix, ops)))
    return np.stack(out) if out else np.zeros((0, *space.arch_shape), dtype=space.arch_dtype)


@KEY_PARSERS.register("nb301")
def parse_nb301_keys(space: SearchSpace, keys: list[str]) -> np.ndarray:
    """NASLib compact DARTS genotypes -> DARTS-space architectures."""
    out = []
    for key in keys:
        try:
            compact = ast.literal_eval(key)
        except (ValueError, SyntaxError):
            raise InvalidArchitectureError(f"nb301 Suite-Zero key {key[:80]!r} is not a compact genotype") from None
        out.append(space.from_compact(compact))
    return np.stack(out) if out else np.zeros((0, *space.arch_shape), dtype=space.arch_dtype)


# ---------------------------------------------------------------------------------- reading
def _detect_benchmark(first_key: str) -> str:
    text = first_key.strip()
    if text.startswith("["):
        return "nb301"
    try:
        n = len(_int_tuple(text))
    except InvalidArchitectureError:
        raise DataFileError(f"unrecognised Suite-Zero key {text[:80]!r}: expected an NB201 op tuple, an NB101 "
                            "adjacency+ops tuple or an NB301 compact genotype") from None
    return "nb201" if n == 6 else "nb101"


def read_suite_zero(path: str | os.PathLike, benchmark: str | None = None) -> dict[str, ProxyRecords]:
    """Every dataset of a Suite-Zero JSON file as ProxyRecords (``benchmark`` is detected from the keys
    when not given: nb201, nb101 or nb301)."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"Suite-Zero proxy file not found: {path} (NASLib's zc_<benchmark>.json)")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path} is not a JSON file: {exc}") from None
    if not isinstance(doc, dict) or not doc:
        raise DataFileError(f"{path}: expected a JSON object of datasets")
    if len(doc) == 1 and next(iter(doc)) in _WRAPPERS:  # NB101 layout: {"nasbench101": {dataset: ...}}
        wrapper = next(iter(doc))
        benchmark = benchmark or _WRAPPERS[wrapper]
        doc = doc[wrapper]
    out = {}
    for dataset, entries in doc.items():
        if not isinstance(entries, dict) or not entries:
            raise DataFileError(f"{path}: dataset {dataset!r} holds no architectures")
        out[dataset] = _records(path, dataset, entries, benchmark or _detect_benchmark(next(iter(entries))))
    return out


def _records(path: Path, dataset: str, entries: dict, benchmark: str) -> ProxyRecords:
    if benchmark not in _SPACE_OF:
        raise UnknownNameError("Suite-Zero benchmark", benchmark, list(_SPACE_OF))
    sp = get_space(_SPACE_OF[benchmark])
    keys = list(entries)
    archs = KEY_PARSERS.get(benchmark)(sp, keys)
    names = sorted({k for e in entries.values() for k in e if k not in ("val_accuracy", "idx", "arch")})
    n = len(keys)
    val = np.full(n, np.nan)
    scores = {p: np.full(n, np.nan) for p in names}
    times = {p: np.full(n, np.nan) for p in names}
    for i, key in enumerate(keys):
        entry = entries[key]
        if "val_accuracy" not in entry:
            raise DataFileError(f"{path}: {dataset} entry {key[:60]!r} has no val_accuracy")
        val[i] = float(entry["val_accuracy"])
        for p in names:
            item = entry.get(p)
            if isinstance(item, dict):
                scores[p][i] = float(item.get("score", np.nan))
                times[p][i] = float(item.get("time", np.nan))
            elif item is not None:
                scores[p][i] = float(item)
    # isomorphic keys (NB101 cells given in unpruned form) collapse onto one architecture: average them
    uniq_keys, first, inverse = np.unique(sp.keys(archs), return_index=True, return_inverse=True)
    dup = n - len(uniq_keys)
    multiplicity = np.bincount(inverse)
    if dup:
        def avg(v: np.ndarray) -> np.ndarray:
            ok = np.isfinite(v)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.bincount(inverse, weights=np.where(ok, v, 0.0)) / np.bincount(inverse, weights=ok)

        archs, val = archs[first], avg(val)  # rows now in sorted-key order, like multiplicity
        scores = {p: avg(v) for p, v in scores.items()}
        times = {p: avg(v) for p, v in times.items()}
    order = np.argsort(sp.keys(archs), kind="stable")
    return ProxyRecords(benchmark, dataset, sp.name, archs[order], val[order],
                        {p: v[order] for p, v in scores.items()},
                        {p: v[order] for p, v in times.items() if np.isfinite(v).any()}, dup,
                        multiplicity[order] if dup else np.ones(len(order), dtype=np.int64))


# ------------------------------------------------------------------------------ benchmarks
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
    ``base``. The file's own accuracy is ``suite_valid_acc``."""

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

    def cost(self, archs: object, fidelity: int | None = None, seed: SeedChoice = "mean") -> np.ndarray | float:
        return self.base.cost(archs, fidelity, seed)

    def archs_with_data(self, metric: str | None = None) -> np.ndarray:
        """Cells with a value of ``metric``; for proxy metrics, the file's cells where the base has the
        search metric too."""
        metric = metric or self.search_metric
        if metric in self._routes:
            archs = self.proxy_bench.archs_with_data()
            return archs[np.isfinite(np.asarray(self.base.query(archs, self.search_metric), dtype=float))]
        return archs_with_data(self.base, metric)

    def describe(self) -> dict:
        info = self.base.describe()
        info["proxies"] = self.proxy_bench.describe()
        return info

    def __getattr__(self, name: str):  # the base's own extras (query_index, has_data, ...)
        if name in ("base", "proxy_bench"):
            raise AttributeError(name)
        return getattr(self.base, name)


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


def archs_with_data(benchmark: Benchmark, metric: str | None = None) -> np.ndarray:
    """Every architecture of ``benchmark`` with a value of ``metric`` (default: the search metric)."""
    metric = metric or benchmark.search_metric
    if hasattr(type(benchmark), "archs_with_data"):
        return benchmark.archs_with_data(metric)
    if hasattr(benchmark, "indices_with_data"):
        return benchmark.space.from_index(benchmark.indices_with_data(metric))
    raise ConfigError(f"{benchmark.name}/{benchmark.dataset} cannot list its architectures with data "
                      "(a surrogate covers the whole space): pass the architectures to evaluate explicitly")
