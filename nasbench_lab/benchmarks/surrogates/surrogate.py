"""SurrogateBenchmark: a fitted model answers ``query``/``cost`` for every architecture of a space.

A surrogate is an ensemble of xgboost regressors over an encoding of the canonical form of
architectures, fitted from (architectures, values) of any benchmark. ``seed="mean"`` gives the
ensemble mean; an int seed adds noise ``std * z`` where ``std`` is the members' spread and ``z``
a standard normal that is a pure function of (seed, architecture, metric), so the same query
with the same seed always gives the same value (NAS-Bench-301's noisy "training run" semantics,
made reproducible). A Generator draws fresh noise per call.

Folder layout (``save``/``load_surrogate``): ``surrogate.json`` (format, space, encoding,
metrics, fidelity, training summary, member file names with sha256) and one xgboost UBJ file per
ensemble member, e.g. ``valid_acc_member_00.ubj``.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark, SeedChoice, check_seed_choice
from nasbench_lab.benchmarks.spec import DIRECT_LOADERS
from nasbench_lab.benchmarks.surrogates.noise import standard_normal
from nasbench_lab.benchmarks.surrogates.xgb_ensemble import EnsembleParams, XGBEnsemble
from nasbench_lab.errors import ConfigError, DataFileError, UnknownNameError
from nasbench_lab.fileio import atomic_write, json_default
from nasbench_lab.metrics import metric_info
from nasbench_lab.spaces.base import SearchSpace
from nasbench_lab.spaces.features import encoding_parts, featurize, first_offered
from nasbench_lab.spaces.registry import SPACES
from nasbench_lab.spaces.registry import space as get_space
from nasbench_lab.spaces.table_space import TableSpace

FORMAT = "nasbench_lab.surrogate"
FORMAT_VERSION = 1
META_FILE = "surrogate.json"
#: preferred default encodings, first one a space offers wins
DEFAULT_ENCODINGS = ("adjacency", "onehot")
#: per-space defaults (encoding, ensemble parameters), chosen on the real-data checks in docs/surrogates.md:
#: DARTS accuracy is close to additive in op choices, so shallow trees over counts, edges and paths do best
SPACE_DEFAULTS: dict[str, tuple[str, EnsembleParams]] = {
    "darts": ("counts+adjacency+path", EnsembleParams(max_depth=3, rounds=150, eta=0.1, colsample_bytree=0.5)),
    "nb201": ("onehot", EnsembleParams()),
}


@dataclass
class FittedMetric:
    """One metric's ensemble with what it was fitted on."""

    metric: str
    ensemble: XGBEnsemble
    unit: str = ""
    n_train: int = 0
    target_range: tuple[float, float] = (float("nan"), float("nan"))


def default_encoding(space: SearchSpace) -> str:
    """The encoding a surrogate uses when none is named."""
    if space.name in SPACE_DEFAULTS:
        return SPACE_DEFAULTS[space.name][0]
    return first_offered(space, DEFAULT_ENCODINGS)


def default_params(space: SearchSpace) -> EnsembleParams:
    """The ensemble parameters a surrogate uses when none are given."""
    return SPACE_DEFAULTS[space.name][1] if space.name in SPACE_DEFAULTS else EnsembleParams()


def encode(space: SearchSpace, archs: np.ndarray, encoding: str) -> np.ndarray:
    """Features of the canonical form (isomorphic architectures get equal rows); ``"a+b"`` concatenates."""
    canon = space.canonical(archs)
    if canon.ndim == len(space.arch_shape):
        canon = canon[None]
    return featurize(space, canon, encoding)


class SurrogateBenchmark(Benchmark):
    """A benchmark whose values come from a fitted model; queries work for any architecture of the space."""

    def __init__(self, name: str, dataset: str, space: SearchSpace, encoding: str, fidelity: int,
                 models: dict[str, FittedMetric], info: dict | None = None, notes: dict | None = None):
        if not models:
            raise ConfigError("a surrogate benchmark needs at least one fitted metric")
        self.name = name
        self.dataset = dataset
        self.space = space
        self.encoding = encoding
        self.fidelity = int(fidelity)
        self.models = dict(models)
        self.info = dict(info or {})
        self.notes = dict(notes or {})
        self._streams = {m: zlib.crc32(m.encode()) for m in self.models}
        if "valid_acc" not in self.models:
            self.search_metric = next(iter(self.models))
        # a surrogate of validation accuracy has nothing to report on test data
        self.report_metric = "test_acc" if "test_acc" in self.models else None

    # ------------------------------------------------------------ properties
    @property
    def metrics(self) -> list[str]:
        return list(self.models)

    @property
    def fidelities(self) -> tuple[int, ...]:
        return (self.fidelity,)

    def metric_fidelities(self, metric: str) -> tuple[int, ...]:
        """Fidelities at which ``metric`` has values: the one the surrogate was fitted at."""
        self._fitted(metric)
        return self.fidelities

    # ---------------------------------------------------------------- query
    def features(self, archs: object) -> np.ndarray:
        """The surrogate's feature matrix for a batch (validated, canonicalised, encoded)."""
        batch, _ = self.space.as_batch(archs)
        return encode(self.space, batch, self.encoding)

    def predict(self, archs: object, metric: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and spread (std over members) per architecture."""
        fitted = self._fitted(metric or self.search_metric)
        return fitted.ensemble.predict(self.features(archs))

    def query(self, archs: object, metric: str, fidelity: int | None = None,
              seed: SeedChoice = "mean") -> np.ndarray | float:
        """Surrogate values: the ensemble mean for ``seed="mean"``, else mean + spread * noise.

        An int seed gives noise that depends only on (seed, architecture, metric); a Generator
        draws new noise on every call.
        """
        batch, single = self.space.as_batch(archs)
        values = self.query_validated(batch, metric, fidelity, seed)
        return float(values[0]) if single else values

    def check_query(self, metric: str, fidelity: int | None = None, seed: SeedChoice = "mean") -> None:
        """Raises the error ``query`` would for an unknown metric, fidelity or seed choice."""
        check_seed_choice(seed)
        self._fitted(metric)
        self._check_fidelity(fidelity)

    def query_validated(self, batch: np.ndarray, metric: str, fidelity: int | None = None,
                        seed: SeedChoice = "mean") -> np.ndarray:
        """``query`` for a batch already validated by the space (``space.as_batch``): a float32 array."""
        self.check_query(metric, fidelity, seed)
        return self._values(batch, self._fitted(metric), seed)

    def _values(self, batch: np.ndarray, fitted: FittedMetric, seed: SeedChoice) -> np.ndarray:
        members = fitted.ensemble.predict_members(encode(self.space, batch, self.encoding))
        mean = members.mean(axis=0, dtype=np.float64)
        if isinstance(seed, str):
            return mean.astype(np.float32)
        std = members.std(axis=0, dtype=np.float64)
        if isinstance(seed, np.random.Generator):
            z = seed.standard_normal(len(batch))
        else:
            z = standard_normal(self.space.keys(batch), int(seed), self._streams[fitted.metric])
        return (mean + std * z).astype(np.float32)

    def cost(self, archs: object, fidelity: int | None = None, seed: SeedChoice = "mean") -> np.ndarray | float:
        """Predicted training seconds, from the surrogate's ``train_time`` model."""
        if "train_time" not in self.models:
            raise ConfigError(f"surrogate {self.name}/{self.dataset} has no train_time model (its source had no "
                              "training times), so no cost; use a budget counted in queries")
        values = self.query(archs, "train_time", fidelity, seed)
        return np.maximum(values, 0.0) if isinstance(values, np.ndarray) else max(values, 0.0)

    def _fitted(self, metric: str) -> FittedMetric:
        try:
            return self.models[metric]
        except (KeyError, TypeError):
            raise UnknownNameError(f"metric of surrogate {self.name}/{self.dataset}", metric, self.metrics) from None

    def _check_fidelity(self, fidelity: int | None) -> None:
        if fidelity is not None and fidelity != self.fidelity:
            raise UnknownNameError(f"fidelity (epochs) of surrogate {self.name}/{self.dataset}", fidelity,
                                   self.fidelities)

    # ------------------------------------------------------------- describe
    def describe(self) -> dict:
        metrics = {}
        for name, fitted in self.models.items():
            info = metric_info(name)
            metrics[name] = {"kind": info.kind.value, "unit": fitted.unit or info.unit, "fidelities": [self.fidelity],
                             "members": len(fitted.ensemble.boosters), "n_train": fitted.n_train,
                             "target_range": list(fitted.target_range), "description": info.description}
        return {
            "benchmark": self.name,
            "kind": "surrogate",
            "dataset": self.dataset,
            "space": self.space.name,
            "architectures": self.space.size,
            "encoding": self.encoding,
            "fidelities": list(self.fidelities),
            "search_metric": self.search_metric,
            "report_metric": self.report_metric,
            "metrics": metrics,
            "training": self.info,
            "notes": self.notes,
        }

    # ---------------------------------------------------------------- files
    def save(self, folder: str | os.PathLike) -> Path:
        """Writes the member models (xgboost UBJ) and ``surrogate.json`` into ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        meta_models = {}
        for name, fitted in self.models.items():
            meta_models[name] = {"unit": fitted.unit, "n_train": fitted.n_train,
                                 "target_range": list(fitted.target_range),
                                 "n_features": fitted.ensemble.n_features,
                                 "members": fitted.ensemble.save(out, name)}
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": self.name, "dataset": self.dataset,
                "space": self.space.name, "encoding": self.encoding, "fidelity": self.fidelity,
                "models": meta_models, "training": self.info, "notes": self.notes}
        if isinstance(self.space, TableSpace):  # a space read from a CSV: stored with the surrogate
            members = self.space.members()
            meta["space_definition"] = {**self.space.definition(),
                                        "members": None if members is None else members.tolist()}
        atomic_write(out / META_FILE, json.dumps(meta, indent=2, default=json_default))
        return out


# --------------------------------------------------------------------- fitting
def fit_surrogate(space: SearchSpace | str, archs: np.ndarray, values: np.ndarray, *, metric: str = "valid_acc",
                  fidelity: int, dataset: str = "", name: str = "surrogate", encoding: str | None = None,
                  params: EnsembleParams | None = None, seed: int = 0, train_time: np.ndarray | None = None,
                  unit: str = "", info: dict | None = None, notes: dict | None = None) -> SurrogateBenchmark:
    """Fits a surrogate of ``metric`` (and of ``train_time`` for ``cost`` when given) on ``archs``.

    ``values`` must be finite (NaN targets are an error: drop those architectures first); at
    least 20 points are needed. Deterministic for a given ``seed``.
    """
    sp = get_space(space) if isinstance(space, str) else space
    params = params or default_params(sp)
    encoding = encoding or default_encoding(sp)
    encoding_parts(sp, encoding)
    batch = sp.validate(archs)
    y = np.asarray(values, dtype=np.float64).ravel()
    if len(y) != len(batch):
        raise ConfigError(f"fit_surrogate: {len(batch)} architectures but {len(y)} values")
    x = encode(sp, batch, encoding)
    models = {metric: _fit_metric(metric, x, y, params, seed, unit or metric_info(metric).unit)}
    if train_time is not None:
        t = np.asarray(train_time, dtype=np.float64).ravel()
        if len(t) != len(batch):
            raise ConfigError(f"fit_surrogate: {len(batch)} architectures but {len(t)} training times")
        ok = np.isfinite(t)
        models["train_time"] = _fit_metric("train_time", x[ok], t[ok], params, seed + 1, "s")
    summary = {"n_train": int(len(y)), "seed": int(seed), "params": params.to_dict(), **(info or {})}
    return SurrogateBenchmark(name, dataset, sp, encoding, fidelity, models, summary, notes)


def _fit_metric(metric: str, x: np.ndarray, y: np.ndarray, params: EnsembleParams, seed: int,
                unit: str) -> FittedMetric:
    ens = XGBEnsemble.fit(x, y, params, seed, what=f"surrogate of {metric}")
    return FittedMetric(metric, ens, unit, int(len(y)), (float(np.min(y)), float(np.max(y))))


# --------------------------------------------------------------------- loading
def is_surrogate_folder(path: Path) -> bool:
    return path.is_dir() and (path / META_FILE).is_file()


def read_meta(folder: Path) -> dict:
    """The validated ``surrogate.json`` of a folder."""
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        raise DataFileError(f"{folder} is not a surrogate folder: {META_FILE} is missing")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise DataFileError(f"{meta_path} is not valid JSON (truncated?): {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DataFileError(f"{meta_path} is not a nasbench_lab surrogate description (format != {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise DataFileError(f"{meta_path} has surrogate format version {meta.get('format_version')}; "
                            f"this nasbench_lab reads version {FORMAT_VERSION}")
    missing = [k for k in ("space", "encoding", "fidelity", "models") if k not in meta]
    if missing or not isinstance(meta["models"], dict) or not meta["models"]:
        raise DataFileError(f"{meta_path} lacks {', '.join(missing) or 'fitted models'}")
    if meta["space"] not in SPACES and "space_definition" not in meta:
        raise DataFileError(f"{meta_path} is for search space {meta['space']!r}, which this nasbench_lab does not "
                            f"know; known: {', '.join(SPACES.names())}")
    return meta


def load_surrogate(folder: str | os.PathLike, expect_space: str | None = None) -> SurrogateBenchmark:
    """Loads a saved surrogate folder, checking member checksums and feature counts."""
    path = Path(folder)
    meta = read_meta(path)
    if "space_definition" in meta:
        d = meta["space_definition"]
        members = None if d.get("members") is None else np.asarray(d["members"], dtype=np.int16)
        sp: SearchSpace = TableSpace(d["name"], d["columns"], members)
    else:
        sp = get_space(meta["space"])
    if expect_space is not None and sp.name != expect_space:
        raise DataFileError(f"{path} holds a surrogate of space {sp.name!r}, not {expect_space!r}")
    encoding = str(meta["encoding"])
    try:
        encoding_parts(sp, encoding)
    except (UnknownNameError, ConfigError) as exc:
        raise DataFileError(f"{path}: {exc}") from None
    width = encode(sp, sp.sample(np.random.default_rng(0), 1), encoding).shape[1]
    models = {}
    for name, rec in meta["models"].items():
        members = rec.get("members") if isinstance(rec, dict) else None
        if not members:
            raise DataFileError(f"{path}: metric {name} lists no member files")
        if rec.get("n_features", width) != width:
            raise DataFileError(f"{path}: metric {name} was fitted on {rec.get('n_features')} features but encoding "
                                f"{encoding!r} of space {sp.name} has {width}")
        ens = XGBEnsemble.load(path, members, width)
        rng = rec.get("target_range") or [float("nan"), float("nan")]
        models[name] = FittedMetric(name, ens, rec.get("unit", ""), int(rec.get("n_train", 0)), tuple(rng))
    return SurrogateBenchmark(meta.get("name", "surrogate"), meta.get("dataset", ""), sp, encoding,
                              int(meta["fidelity"]), models, meta.get("training", {}), meta.get("notes", {}))


def open_folder(folder: str | os.PathLike) -> Benchmark:
    """A saved surrogate folder as a benchmark: a CompletedBenchmark when it completes a table."""
    from nasbench_lab.benchmarks.surrogates.completed import load_completed

    path = Path(folder)
    bench = load_surrogate(path)
    return load_completed(path, bench) if bench.info.get("completes") else bench


def _direct_loader(path: Path, dataset: str | None) -> Benchmark | None:
    """``nasbench_lab.load(folder)`` for a saved surrogate folder (None for other paths)."""
    if not is_surrogate_folder(path):
        return None
    bench = open_folder(path)
    if dataset is not None and bench.dataset and dataset != bench.dataset:
        raise UnknownNameError(f"dataset of surrogate {path}", dataset, [bench.dataset])
    return bench


DIRECT_LOADERS.add("surrogate", _direct_loader)
