"""The predictor evaluation protocol of White et al. 2021 ("How powerful are performance predictors?").

A fixed held-out test set is drawn once from every architecture with data; for each seed a training
order is drawn from the rest and the first ``n`` of it is the training set of size ``n`` (nested sets,
so sizes are comparable within a seed). Any metric can be the target: one where lower is better (a
device's latency, ``latency_<device>``) is scored with precision@k over the k lowest values (scoring.py).
Every (predictor, size, seed) result is one JSON file written atomically under ``out_dir/runs``: an
interrupted evaluation resumes where it stopped.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np

from nasbench_lab.errors import ConfigError, DataFileError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.metrics import higher_is_better
from nasbench_lab.predictors.registry import PREDICTORS, make_predictor
from nasbench_lab.predictors.scoring import ranking_scores
from nasbench_lab.rng import child_seeds
from nasbench_lab.workers import check_jobs, progress_bar, run_tasks

DEFAULT_SIZES = (10, 20, 50, 100, 200, 500, 1000)
#: baselines that need only the architecture encoding
ENCODING_BASELINES = ("xgb", "gbr", "rf", "mlp_ens", "gp", "blr", "knn", "svr")
#: baselines that read lower fidelities from the benchmark
LOWFI_BASELINES = ("lcurve", "lc_xgb", "lc_svr")
#: baselines that read zero-cost proxies (a benchmark with ``zc_*`` metrics)
PROXY_BASELINES = ("zc_xgb",)
#: the score lists that summary.json keeps per (predictor, size)
SUMMARY_FIELDS = ("kendall_tau", "spearman", "pearson", "precision_at_k", "top_overlap", "fit_s", "predict_s")


@dataclass(frozen=True)
class Protocol:
    """Training sizes, repeats, test-set size and target of an evaluation."""

    sizes: tuple[int, ...] = DEFAULT_SIZES
    seeds: int = 10
    test_size: int = 5000
    metric: str | None = None
    fidelity: int | None = None
    seed: int = 0
    k: int = 50
    top_fraction: float = 0.1
    #: metric whose presence defines the pool of architectures (e.g. a ``zc_*`` proxy, so that every
    #: predictor sees the same proxy-covered cells); default: the target metric
    pool_metric: str | None = None

    def __post_init__(self) -> None:
        sizes = tuple(int(s) for s in self.sizes)
        if not sizes or min(sizes) < 0:
            raise ConfigError(f"training sizes must be integers >= 0 (0: zero-label predictors only, such as "
                              f"supernet or zc_score), got {list(self.sizes)}")
        object.__setattr__(self, "sizes", tuple(sorted(set(sizes))))
        if int(self.seeds) < 1:
            raise ConfigError(f"seeds (repeats) must be >= 1, got {self.seeds}")
        if int(self.test_size) < 2:
            raise ConfigError(f"test_size must be >= 2, got {self.test_size}")
        if not 0 < self.top_fraction <= 1:
            raise ConfigError(f"top_fraction must be in (0, 1], got {self.top_fraction}")


@dataclass(frozen=True)
class PredictorSpec:
    """A predictor to evaluate: registry ``name``, constructor ``params``, and the ``label`` results use."""

    name: str
    params: Mapping = field(default_factory=dict)
    label: str = ""

    @property
    def key(self) -> str:
        return self.label or self.name


@dataclass
class EvalRecord:
    """One (predictor, training size, seed) result."""

    predictor: str
    size: int
    seed: int
    kendall_tau: float
    spearman: float
    pearson: float
    precision_at_k: float
    top_overlap: float
    fit_s: float
    predict_s: float
    n_test: int
    #: training epochs the fit cost, for predictors that train a network (a supernet); None otherwise
    fit_epochs: float | None = None


@dataclass
class EvalData:
    """The fixed split: test architectures and targets, and one training order per seed."""

    test_archs: np.ndarray
    test_y: np.ndarray
    train_archs: list[np.ndarray]
    train_y: list[np.ndarray]
    metric: str
    fidelity: int | None
    #: the target's direction (``metrics.higher_is_better``): which end precision@k counts as the best
    higher_is_better: bool = True


def spec_sizes(spec: PredictorSpec, sizes: Sequence[int]) -> tuple[int, ...]:
    """The training sizes ``spec`` runs at: size 0 only for zero-label predictors (``uses_labels`` False)."""
    if PREDICTORS.get(spec.name).uses_labels:
        return tuple(s for s in sizes if s > 0)
    return tuple(sizes)


def as_specs(predictors: Sequence[str | PredictorSpec]) -> list[PredictorSpec]:
    """Names or specs -> specs (unknown names raise UnknownNameError listing the registered ones)."""
    specs = [p if isinstance(p, PredictorSpec) else PredictorSpec(str(p)) for p in predictors]
    for spec in specs:
        PREDICTORS.get(spec.name)
    keys = [s.key for s in specs]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"predictor labels must be unique, got {keys}")
    return specs


def make_split(benchmark, protocol: Protocol) -> EvalData:
    """Draws the test set and the per-seed training orders (clear errors when sizes exceed the data)."""
    metric = protocol.metric or benchmark.search_metric
    pool = benchmark.archs_with_data(protocol.pool_metric or metric)
    y = benchmark.query_batch(pool, metric, protocol.fidelity)
    ok = np.isfinite(y)
    pool, y = pool[ok], y[ok]
    n = len(pool)
    if protocol.test_size >= n:
        raise ConfigError(f"test_size {protocol.test_size} leaves no training data: {benchmark.name}/"
                          f"{benchmark.dataset} has {n} architectures with {metric}")
    rest = n - protocol.test_size
    if max(protocol.sizes) > rest:
        raise ConfigError(f"training size {max(protocol.sizes)} is larger than the {rest} architectures left after "
                          f"the {protocol.test_size} test architectures ({n} with {metric} in {benchmark.name}/"
                          f"{benchmark.dataset}); use smaller --sizes or --test-size")
    split_seed, *seed_seeds = child_seeds(protocol.seed, protocol.seeds + 1)
    perm = np.random.default_rng(split_seed).permutation(n)
    test, others = perm[: protocol.test_size], perm[protocol.test_size:]
    largest = max(protocol.sizes)
    orders = [others[np.random.default_rng(s).permutation(rest)[:largest]] for s in seed_seeds]
    return EvalData(pool[test], y[test], [pool[o] for o in orders], [y[o] for o in orders], metric, protocol.fidelity,
                    higher_is_better(metric))


def run_one(benchmark, spec: PredictorSpec, data: EvalData, size: int, seed: int,
            protocol: Protocol) -> tuple[EvalRecord, np.ndarray]:
    """Fits ``spec`` on the first ``size`` training architectures of ``seed``; scores it on the test set."""
    cls = PREDICTORS.get(spec.name)
    params = dict(spec.params)
    if cls.needs_benchmark:
        params.setdefault("benchmark", benchmark)
    random_state = child_seeds(protocol.seed + 1_000_003 * (seed + 1), 1)[0]
    predictor = make_predictor(spec.name, benchmark.space, random_state=random_state, **params)
    start = time.perf_counter()
    predictor.fit(data.train_archs[seed][:size], data.train_y[seed][:size])
    fit_s = time.perf_counter() - start
    if predictor.fit_cost_s_ is not None:  # e.g. a supernet's training seconds, also when loaded from its folder
        fit_s = float(predictor.fit_cost_s_)
    start = time.perf_counter()
    pred = predictor.predict(data.test_archs)
    predict_s = time.perf_counter() - start
    scores = ranking_scores(data.test_y, pred, k=protocol.k, top_fraction=protocol.top_fraction,
                            higher_is_better=data.higher_is_better, predictor=spec.key)
    record = EvalRecord(spec.key, int(size), int(seed), **scores, fit_s=fit_s, predict_s=predict_s,
                        n_test=len(data.test_y), fit_epochs=predictor.fit_epochs_)
    return record, pred


class Evaluation:
    """Runs a protocol for several predictors on one benchmark, resuming from ``out_dir`` when given."""

    def __init__(self, benchmark, predictors: Sequence[str | PredictorSpec], protocol: Protocol = Protocol(),
                 out_dir: str | os.PathLike | None = None):
        self.benchmark = benchmark
        self.specs = as_specs(predictors)
        self.protocol = protocol
        for spec in self.specs:
            if not spec_sizes(spec, protocol.sizes):
                raise ConfigError(f"predictor {spec.key} learns from labels, so training size 0 means nothing for it; "
                                  "give a size >= 1 as well (size 0 is for zero-label predictors such as supernet "
                                  "or zc_score)")
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.data = make_split(benchmark, protocol)
        self.records: dict[tuple[str, int, int], EvalRecord] = {}
        self.predictions: dict[tuple[str, int], np.ndarray] = {}  # seed 0 only, for scatter plots
        if self.out_dir is not None:
            self._open_dir(self.out_dir)

    # -------------------------------------------------------------- on disk
    def _identity(self) -> dict:
        return {"benchmark": self.benchmark.name, "dataset": self.benchmark.dataset, "space": self.benchmark.space.name,
                "metric": self.data.metric, "fidelity": self.data.fidelity,
                "higher_is_better": self.data.higher_is_better, "protocol": asdict(self.protocol)}

    def _open_dir(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        ident_path = out_dir / "protocol.json"
        ident = json.loads(json.dumps(self._identity()))
        if ident_path.exists():
            old = _read_json(ident_path, "delete the folder or choose another --out")
            if isinstance(old, dict) and "higher_is_better" not in old:
                # written before the direction was recorded, when precision@k took every target as higher-is-better:
                # its records hold for such a target only (a latency folder of then counted the slowest as best)
                old = {**old, "higher_is_better": True}
            if old != ident:
                raise ConfigError(f"{out_dir} holds an evaluation with a different protocol or benchmark "
                                  f"({old}); use another output folder")
        else:
            atomic_write(ident_path, json.dumps(ident, indent=2).encode())
        for spec in self.specs:
            spec_path = out_dir / "runs" / _safe(spec.key) / "predictor.json"
            described = {"name": spec.name, "params": {k: repr(v) for k, v in sorted(dict(spec.params).items())}}
            if spec_path.exists() and _read_json(spec_path, _REDO) != described:
                raise ConfigError(f"{out_dir}: results labelled {spec.key!r} were made by "
                                  f"{spec_path.read_text().strip()}, not {described}; use another label or folder")
            atomic_write(spec_path, json.dumps(described).encode())
            for size in spec_sizes(spec, self.protocol.sizes):
                for seed in range(self.protocol.seeds):
                    path = _record_path(out_dir, spec.key, size, seed)
                    if path.exists():
                        self.records[(spec.key, size, seed)] = _read_record(path)
                pred_path = _pred_path(out_dir, spec.key, size)
                if pred_path.exists():
                    self.predictions[(spec.key, size)] = _read_predictions(pred_path)
        test_path = out_dir / "test_set.npz"
        if not test_path.exists():
            atomic_write(test_path, _npz_bytes(archs=self.data.test_archs, y=self.data.test_y))

    def _store(self, record: EvalRecord, pred: np.ndarray | None) -> None:
        key = (record.predictor, record.size, record.seed)
        self.records[key] = record
        if pred is not None and record.seed == 0:
            self.predictions[(record.predictor, record.size)] = pred.astype(np.float32)
        if self.out_dir is None:
            return
        if pred is not None and record.seed == 0:
            atomic_write(_pred_path(self.out_dir, record.predictor, record.size), _npy_bytes(pred.astype(np.float32)))
        atomic_write(_record_path(self.out_dir, record.predictor, record.size, record.seed),
                      json.dumps(asdict(record), indent=1).encode())

    # ------------------------------------------------------------------ run
    def pending(self) -> list[tuple[PredictorSpec, int]]:
        """(predictor, seed) tasks with at least one size not yet done."""
        out = []
        for spec in self.specs:
            for seed in range(self.protocol.seeds):
                if any((spec.key, s, seed) not in self.records for s in spec_sizes(spec, self.protocol.sizes)):
                    out.append((spec, seed))
        return out

    def run(self, n_jobs: int = 1, progress: bool = False) -> Evaluation:
        """Runs every missing (predictor, size, seed) on ``n_jobs`` worker processes (1: in this process),
        storing each (predictor, seed) task's records as it finishes: an interrupted run keeps every finished
        one. Records are keyed, so the order tasks finish in changes no stored number."""
        check_jobs(n_jobs, "n_jobs", every_core=False)
        tasks = [(spec, seed, self._done(spec, seed)) for spec, seed in self.pending()]
        state = (self.benchmark, self.data, self.protocol)
        jobs = n_jobs if len(tasks) > 1 else 1
        # pool workers receive the benchmark and split once, from the initializer; in this process, directly
        fn = _worker_task if jobs > 1 else partial(_task, *state)
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        bar = progress_bar(len(tasks), enabled=progress and bool(tasks), desc="predictor runs", leave=True)
        try:
            for _, results in run_tasks(fn, tasks, jobs=jobs, mp_context=ctx, initializer=_init_worker,
                                        initargs=(state,)):
                for record, pred in results:
                    self._store(record, pred)
                bar.update(1)
        finally:
            bar.close()
        return self

    def _done(self, spec: PredictorSpec, seed: int) -> set[int]:
        return {s for s in spec_sizes(spec, self.protocol.sizes) if (spec.key, s, seed) in self.records}

    # -------------------------------------------------------------- results
    def summary(self) -> dict:
        """``{predictor: {str(size): {field: [per seed]}}}`` over finished results, seeds in order."""
        out: dict = {}
        for spec in self.specs:
            per_size = {}
            for size in self.protocol.sizes:
                recs = [self.records[(spec.key, size, s)] for s in range(self.protocol.seeds)
                        if (spec.key, size, s) in self.records]
                if recs:
                    per_size[str(size)] = {f: [float(getattr(r, f)) for r in recs] for f in SUMMARY_FIELDS}
                    if all(r.fit_epochs is not None for r in recs):
                        per_size[str(size)]["fit_epochs"] = [float(r.fit_epochs or 0.0) for r in recs]
            out[spec.key] = per_size
        return out


def evaluate_predictors(benchmark, predictors: Sequence[str | PredictorSpec], protocol: Protocol = Protocol(), *,
                        out_dir: str | os.PathLike | None = None, n_jobs: int = 1,
                        progress: bool = False) -> Evaluation:
    """Runs (or resumes) the protocol for ``predictors`` on ``benchmark``; returns the finished Evaluation."""
    return Evaluation(benchmark, predictors, protocol, out_dir).run(n_jobs=n_jobs, progress=progress)


# ---------------------------------------------------------------------------- workers
def _task(benchmark, data: EvalData, protocol: Protocol, spec: PredictorSpec, seed: int,
          done: set[int]) -> list[tuple[EvalRecord, np.ndarray | None]]:
    out: list[tuple[EvalRecord, np.ndarray | None]] = []
    todo = [s for s in spec_sizes(spec, protocol.sizes) if s not in done]
    if not todo:
        return out
    if not PREDICTORS.get(spec.name).uses_labels:
        # labels unused: one fit (a supernet's training) serves every size; its numbers are recorded at each
        record, pred = run_one(benchmark, spec, data, todo[0], seed, protocol)
        return [(replace(record, size=int(size)), pred if seed == 0 else None) for size in todo]
    # untimed warm-up: the first fit in a process pays for importing xgboost / scikit-learn modules
    _warm_up(benchmark, spec, data, seed)
    for size in todo:
        record, pred = run_one(benchmark, spec, data, size, seed, protocol)
        out.append((record, pred if seed == 0 else None))
    return out


def _warm_up(benchmark, spec: PredictorSpec, data: EvalData, seed: int) -> None:
    cls = PREDICTORS.get(spec.name)
    params = dict(spec.params)
    if cls.needs_benchmark:
        params.setdefault("benchmark", benchmark)
    n = min(len(data.train_y[seed]), 8)
    try:
        make_predictor(spec.name, benchmark.space, random_state=0, **params).fit(
            data.train_archs[seed][:n], data.train_y[seed][:n])
    except Exception:  # noqa: BLE001  (the timed fit reports any real failure with its own message)
        pass


_WORKER_STATE: dict = {}  # per worker process only: the benchmark and split, set once by the initializer


def _init_worker(state) -> None:
    _WORKER_STATE["state"] = state


def _worker_task(spec: PredictorSpec, seed: int, done: set[int]):
    benchmark, data, protocol = _WORKER_STATE["state"]
    return _task(benchmark, data, protocol, spec, seed, done)


# ----------------------------------------------------------------------------- helpers
#: what to do about a damaged file of a finished run: it is redone on the next run of the command
_REDO = "delete it and rerun the same command to redo that run"


def _damaged(path: Path, exc: Exception, todo: str) -> DataFileError:
    detail = " ".join(str(exc).split())[:200]
    return DataFileError(f"{path} is damaged ({type(exc).__name__}: {detail}); {todo}")


def _read_json(path: Path, todo: str) -> object:
    """A saved JSON file; a damaged one (bad bytes, cut short) is one DataFileError naming it and ``todo``."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _damaged(path, exc, todo) from None


def _read_record(path: Path) -> EvalRecord:
    """A finished run's record, checked to hold the record's fields."""
    data = _read_json(path, _REDO)
    try:
        if not isinstance(data, dict):
            raise TypeError(f"a JSON {type(data).__name__}, not an object")
        return EvalRecord(**data)
    except TypeError as exc:
        raise _damaged(path, exc, _REDO) from None


def _read_predictions(path: Path) -> np.ndarray:
    """The saved predictions of seed 0 (a float array); a damaged file is one DataFileError naming it."""
    try:
        pred = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise _damaged(path, exc, _REDO) from None
    if not isinstance(pred, np.ndarray) or pred.dtype.kind != "f":
        raise _damaged(path, TypeError(f"holds {type(pred).__name__}, not a float array"), _REDO)
    return pred


def _safe(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label)




def _record_path(out_dir: Path, label: str, size: int, seed: int) -> Path:
    return out_dir / "runs" / _safe(label) / f"n{size}_s{seed}.json"


def _pred_path(out_dir: Path, label: str, size: int) -> Path:
    return out_dir / "runs" / _safe(label) / f"n{size}_s0_pred.npy"


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez(buf, allow_pickle=True, **arrays)  # the default, said: an "allow_pickle" array key cannot then clash
    return buf.getvalue()
