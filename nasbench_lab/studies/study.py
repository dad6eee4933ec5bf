"""Studies: a grid of benchmarks x algorithms x seeds, run on a process pool or a Dask cluster, resumable.

Each finished run is written atomically to ``OUT/runs/<benchmark>/<algorithm>/seed_NNNNN.npz``;
a rerun skips the runs already on disk, so an interrupted study loses nothing and, since a
run depends only on its settings and seed, completes with exactly the results of an
uninterrupted one. ``OUT/study.json`` records the settings; a folder holding another study's
results is refused.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from nasbench_lab.errors import ConfigError, DataFileError, UnknownNameError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.metrics import check_direction
from nasbench_lab.plugins import load_plugins, normalize_plugin
from nasbench_lab.search.base import OPTIMIZERS, optimizer_params
from nasbench_lab.search.runner import VALID_SEEDS, Budget, resolve_metrics, run
from nasbench_lab.search.trajectory import Trajectory
from nasbench_lab.workers import check_jobs, progress_bar, run_tasks

STUDY_FILE = "study.json"
RUNS_DIR = "runs"
FORMAT = "nasbench_lab.study/1"


@dataclass(frozen=True)
class BenchmarkEntry:
    """A benchmark of the grid: registry name (None: the embedded default), dataset and data file."""

    name: str | None = None
    dataset: str | None = None
    path: str | None = None

    def load(self):
        return _load_benchmark(self.name, self.dataset, self.path)

    def key(self) -> str:
        """Folder name of this benchmark's runs, e.g. ``nb201-cifar10``."""
        bench = self.load()
        return f"{bench.name}-{bench.dataset}"


@dataclass(frozen=True)
class AlgorithmEntry:
    """An algorithm of the grid: registry name, a unique label, and its parameters."""

    name: str
    label: str = ""
    params: Mapping = field(default_factory=dict)
    #: check the name and parameters against the registry (off when reading saved results: plotting them
    #: needs no registered algorithm)
    check: bool = field(default=True, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.check:
            OPTIMIZERS.get(self.name)  # unknown names fail with the accepted ones listed
            accepted = optimizer_params(self.name)
            for key in self.params:
                if key not in accepted:
                    raise UnknownNameError(f"parameter of algorithm {self.name}", key, sorted(accepted))
        if not self.label:
            object.__setattr__(self, "label", self.name)
        object.__setattr__(self, "params", dict(self.params))


@dataclass(frozen=True)
class StudySpec:
    """The grid and the settings shared by every run."""

    benchmarks: tuple[BenchmarkEntry, ...]
    algorithms: tuple[AlgorithmEntry, ...]
    seeds: tuple[int, ...] = tuple(range(10))
    budget: int | None = 150
    budget_seconds: float | None = None
    workers: int = 1
    valid_seed: str = "random"
    name: str = "study"
    #: fidelity (epochs) the search sees; None: the highest with search-metric values
    fidelity: int | None = None
    #: metric searched and metric reported (None: the benchmark's, valid_acc / test_acc)
    search_metric: str | None = None
    report_metric: str | None = None
    #: metric -> "min" or "max" where the name does not tell (names ending in loss/error/err are minimized)
    directions: Mapping[str, str] = field(default_factory=dict)
    #: plug-in modules (or .py files) imported in every worker before running
    plugins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "plugins", tuple(normalize_plugin(p) for p in self.plugins))
        if not isinstance(self.directions, Mapping):
            raise ConfigError(f"directions must map metric names to min or max, got {self.directions!r}")
        object.__setattr__(self, "directions", {str(m): check_direction(m, d) for m, d in self.directions.items()})
        for key in ("search_metric", "report_metric"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(f"{key} must be a metric name, got {value!r}")
        object.__setattr__(self, "benchmarks", tuple(self.benchmarks))
        object.__setattr__(self, "algorithms", tuple(self.algorithms))
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        if not self.benchmarks or not self.algorithms or not self.seeds:
            raise ConfigError("a study needs at least one benchmark, one algorithm and one seed")
        if any(s < 0 for s in self.seeds) or len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"seeds must be distinct integers >= 0, got {list(self.seeds)}")
        labels = [a.label for a in self.algorithms]
        if len(set(labels)) != len(labels):
            raise ConfigError(f"algorithm labels must be unique (give repeated algorithms a label), got {labels}")
        Budget(self.budget, self.budget_seconds)
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ConfigError(f"workers must be an integer >= 1, got {self.workers!r}")
        if self.valid_seed not in VALID_SEEDS:
            raise ConfigError(f"valid_seed must be one of {', '.join(VALID_SEEDS)}, got {self.valid_seed!r}")
        if self.fidelity is not None and (isinstance(self.fidelity, bool) or not isinstance(self.fidelity, int)):
            raise ConfigError(f"fidelity must be an integer (epochs) or absent, got {self.fidelity!r}")

    def settings(self) -> dict:
        """What determines each run's result (everything but the seed list, the name and data paths)."""
        out = {"benchmarks": [[b.name, b.dataset] for b in self.benchmarks],
               "algorithms": [[a.name, a.label, a.params] for a in self.algorithms],
               "budget": self.budget, "budget_seconds": self.budget_seconds, "workers": self.workers,
               "valid_seed": self.valid_seed, "fidelity": self.fidelity}
        # only when set, so that folders written before these settings existed keep their fingerprint
        out.update({k: v for k, v in self.metric_settings().items() if v})
        return out

    def metric_settings(self) -> dict:
        """Keyword arguments of ``search.run`` choosing the metrics and their directions."""
        return {"search_metric": self.search_metric, "report_metric": self.report_metric,
                "directions": dict(self.directions)}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.settings(), sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {"format": FORMAT, "name": self.name, "fingerprint": self.fingerprint(),
                "benchmarks": [asdict(b) for b in self.benchmarks],
                "algorithms": [{"name": a.name, "label": a.label, "params": a.params} for a in self.algorithms],
                "seeds": list(self.seeds), "budget": self.budget, "budget_seconds": self.budget_seconds,
                "workers": self.workers, "valid_seed": self.valid_seed, "fidelity": self.fidelity,
                **self.metric_settings(), "plugins": list(self.plugins)}

    @classmethod
    def from_dict(cls, data: Mapping, base_dir: Path | None = None, check_algorithms: bool = True) -> StudySpec:
        """Builds a spec from a mapping (a parsed TOML file or study.json); unknown keys are errors.

        ``plugins`` are imported first (their algorithms may be in the grid); ``check_algorithms=False``
        reads saved results whose algorithms are not registered here.
        """
        accepted = {"format", "fingerprint", "name", "benchmarks", "benchmark", "algorithms", "algorithm", "seeds",
                    "budget", "budget_seconds", "workers", "valid_seed", "fidelity", "benchmark_keys",
                    "search_metric", "report_metric", "directions", "plugins"}
        _check_keys("study", data, accepted)
        seeds = data.get("seeds", 10)
        seeds = range(seeds) if isinstance(seeds, int) and not isinstance(seeds, bool) else seeds
        if not isinstance(seeds, (range, list, tuple)):
            raise ConfigError(f"seeds must be a count or a list of integers, got {seeds!r}")
        plugins = data.get("plugins", [])
        if not isinstance(plugins, (list, tuple)) or not all(isinstance(p, str) for p in plugins):
            raise ConfigError(f"plugins must be a list of module names or .py paths, got {plugins!r}")
        plugins = [_relative_to(p, base_dir) if p.endswith(".py") else p for p in plugins]
        if check_algorithms:
            load_plugins(plugins)
        return cls(
            benchmarks=tuple(_benchmark_entry(b, base_dir) for b in _as_list(data, "benchmarks", "benchmark")
                             or [{}]),
            algorithms=tuple(_algorithm_entry(a, check_algorithms)
                             for a in _as_list(data, "algorithms", "algorithm")),
            seeds=tuple(seeds), budget=data.get("budget", None if "budget_seconds" in data else 150),
            budget_seconds=data.get("budget_seconds"),
            workers=data.get("workers", 1), valid_seed=data.get("valid_seed", "random"),
            name=str(data.get("name", "study")), fidelity=data.get("fidelity"),
            search_metric=data.get("search_metric"), report_metric=data.get("report_metric"),
            directions=data.get("directions") or {}, plugins=tuple(plugins))

    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> StudySpec:
        """Reads a study file such as ``experiments/nb201_cifar10.toml`` (paths relative to the file)."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"study file not found: {path}")
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # Python 3.10
            try:
                import tomli as tomllib
            except ModuleNotFoundError:
                raise ConfigError("reading TOML study files needs Python 3.11+ or the tomli package") from None
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        return cls.from_dict(data, base_dir=path.resolve().parent)


@dataclass(frozen=True)
class RunSpec:
    """One cell of the grid: what to run and where its result goes."""

    benchmark: BenchmarkEntry
    algorithm: AlgorithmEntry
    seed: int
    budget: int | None
    budget_seconds: float | None
    workers: int
    valid_seed: str
    fidelity: int | None
    relpath: str
    #: ``search.run`` keyword arguments choosing metrics and directions
    metrics: Mapping = field(default_factory=dict)
    plugins: tuple[str, ...] = ()


def run_one(spec: RunSpec) -> bytes:
    """Executes one run (in any process: its plug-ins are imported first) and returns its trajectory file's bytes."""
    load_plugins(spec.plugins)
    traj = run(spec.benchmark.load(), spec.algorithm.name, spec.seed, budget=spec.budget,
               budget_seconds=spec.budget_seconds, workers=spec.workers, params=spec.algorithm.params,
               valid_seed=spec.valid_seed, fidelity=spec.fidelity, **spec.metrics)
    traj.meta["label"] = spec.algorithm.label
    return traj.to_bytes()


class Study:
    """A StudySpec bound to a results folder: which runs exist, which remain, and how to run them."""

    def __init__(self, spec: StudySpec, out: str | os.PathLike, keys: Sequence[str] | None = None):
        self.spec = spec
        self.out = Path(out)
        keys = keys if keys is not None else [b.key() for b in spec.benchmarks]  # loads each benchmark
        self._keys = dict(zip(spec.benchmarks, keys))

    def runs(self) -> list[RunSpec]:
        s = self.spec
        return [RunSpec(b, a, seed, s.budget, s.budget_seconds, s.workers, s.valid_seed, s.fidelity,
                        f"{RUNS_DIR}/{self._keys[b]}/{a.label}/seed_{seed:05d}.npz", s.metric_settings(), s.plugins)
                for b in s.benchmarks for a in s.algorithms for seed in s.seeds]

    def pending(self) -> list[RunSpec]:
        return [r for r in self.runs() if not (self.out / r.relpath).is_file()]

    def prepare(self) -> None:
        """Creates the folder and study.json, or checks that an existing folder holds this same study.

        Temporary files left by a write that crashed (``.*.tmp``) are removed.
        """
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"{self.out} is a file, not a results folder: choose another --out")
        for bench in self.spec.benchmarks:  # a metric a benchmark lacks fails before anything is written
            resolve_metrics(bench.load(), self.spec.search_metric, self.spec.report_metric)
        file = self.out / STUDY_FILE
        if file.is_file():
            try:
                old = json.loads(file.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise DataFileError(f"{file} is damaged ({exc}); remove it or choose another results folder") from None
            if old.get("fingerprint") != self.spec.fingerprint():
                raise ConfigError(
                    f"{self.out} holds results of another study ({old.get('name', '?')}, settings "
                    f"{old.get('fingerprint')}) and this one has settings {self.spec.fingerprint()}; choose another "
                    "results folder or delete that one (a rerun with the same settings resumes)")
        elif self.out.exists() and any(self.out.iterdir()):
            raise ConfigError(f"{self.out} is not empty and holds no {STUDY_FILE}: choose an empty or new "
                              "results folder")
        for leftover in self.out.rglob(".*.tmp") if self.out.is_dir() else ():
            leftover.unlink(missing_ok=True)  # from a write that crashed: atomic_write's rename never happened
        record = {**self.spec.to_dict(), "benchmark_keys": [self._keys[b] for b in self.spec.benchmarks]}
        atomic_write(file, json.dumps(record, indent=2).encode())
        bench_file = self.out / "benchmarks.json"
        if not bench_file.is_file():
            from nasbench_lab.analysis.reference import benchmark_reference

            refs = {self._keys[b]: benchmark_reference(b.load(), **self.spec.metric_settings())
                    for b in self.spec.benchmarks}
            atomic_write(bench_file, json.dumps(refs, indent=2).encode())

    def execute(self, *, jobs: int | None = None, scheduler: str | None = None, progress: bool = True,
                on_result: Callable[[RunSpec], None] | None = None, start_method: str | None = None) -> int:
        """Runs every pending run and writes each as it finishes; returns how many ran.

        ``start_method`` (``fork``, ``spawn``, ``forkserver``) picks how pool workers start (default:
        the platform's); every worker imports the study's plug-ins before its first run.
        """
        jobs = check_jobs(jobs)
        self.prepare()
        todo = self.pending()
        if not todo:
            return 0
        bar = progress_bar(len(self.runs()), initial=len(self.runs()) - len(todo), enabled=progress,
                           desc=self.spec.name)
        try:
            results = run_tasks(run_one, [(r,) for r in todo], jobs=jobs or os.cpu_count() or 1, scheduler=scheduler,
                                mp_context=_start_context(start_method), initializer=_limit_threads)
            for (spec,), data in results:
                atomic_write(self.out / spec.relpath, data)
                bar.update(1)
                if on_result is not None:
                    on_result(spec)
        finally:
            bar.close()
        return len(todo)

    def trajectories(self) -> dict[str, dict[str, list[Trajectory]]]:
        """Loaded runs: benchmark key -> algorithm label -> trajectories in seed order (missing runs skipped)."""
        out: dict[str, dict[str, list[Trajectory]]] = {}
        for r in self.runs():
            path = self.out / r.relpath
            if path.is_file():
                out.setdefault(self._keys[r.benchmark], {}).setdefault(r.algorithm.label, []).append(
                    Trajectory.load(path))
        return out


def load_study(out: str | os.PathLike) -> Study:
    """The study whose results are in folder ``out`` (for ``nasbench-lab plot``)."""
    file = Path(out) / STUDY_FILE
    if not file.is_file():
        raise DataFileError(f"{out} is not a study results folder (no {STUDY_FILE}); run `nasbench-lab compare` first")
    try:
        data = json.loads(file.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{file} is damaged ({exc}); rerun `nasbench-lab compare` with the same settings to "
                            "rewrite it") from None
    return Study(StudySpec.from_dict(data, check_algorithms=False), out, keys=data.get("benchmark_keys"))


# ------------------------------------------------------------------ execution back ends
def _limit_threads() -> None:
    """One BLAS/OpenMP thread per worker process: the pool already uses every core."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, leave the defaults
        pass


def _start_context(start_method: str | None):
    """The multiprocessing context of ``start_method`` (None: the platform's default)."""
    if start_method is None:
        return None
    if start_method not in multiprocessing.get_all_start_methods():
        raise UnknownNameError("process start method", start_method, multiprocessing.get_all_start_methods())
    return multiprocessing.get_context(start_method)



# ------------------------------------------------------------------ parsing helpers
@lru_cache(maxsize=8)
def _load_benchmark(name: str | None, dataset: str | None, path: str | None):
    """Loads a benchmark once per process (each worker keeps its own)."""
    import nasbench_lab

    return nasbench_lab.load(name or nasbench_lab.api.DEFAULT_BENCHMARK, dataset=dataset, path=path)


def _as_list(data: Mapping, plural: str, singular: str) -> list:
    """Entries under either key (``algorithms = [...]`` and ``[[algorithm]]`` tables may be mixed)."""
    out: list = []
    for key in (plural, singular):
        value = data.get(key, [])
        out.extend(value if isinstance(value, (list, tuple)) else [value])
    return out


def _check_keys(what: str, data: object, accepted: set[str]) -> Mapping:
    """``data`` itself once it is a table whose keys are all accepted, else an error naming the first bad one."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{what} must be a table, got {data!r}")
    from nasbench_lab.errors import UnknownNameError

    for key in data:
        if key not in accepted:
            raise UnknownNameError(f"key of a {what} entry", key, sorted(accepted))
    return data


def _benchmark_entry(item: object, base_dir: Path | None) -> BenchmarkEntry:
    if isinstance(item, str):
        return BenchmarkEntry(name=item)
    entry = _check_keys("benchmark", item, {"name", "dataset", "path"})
    path = entry.get("path")
    if path is not None:
        path = os.path.expandvars(os.path.expanduser(str(path)))
        if base_dir is not None and not os.path.isabs(path):
            path = str((base_dir / path).resolve())
    return BenchmarkEntry(entry.get("name"), entry.get("dataset"), path)


def _algorithm_entry(item: object, check: bool = True) -> AlgorithmEntry:
    if isinstance(item, str):
        return AlgorithmEntry(item, check=check)
    entry = _check_keys("algorithm", item, {"name", "label", "params"})
    if "name" not in entry:
        raise ConfigError(f"an algorithm entry needs a name (one of {', '.join(OPTIMIZERS.names())}), got {item!r}")
    return AlgorithmEntry(entry["name"], entry.get("label", ""), entry.get("params", {}), check=check)


def _relative_to(path: str, base_dir: Path | None) -> str:
    """``path`` with ``~``/variables expanded, relative to ``base_dir`` (the study file's folder)."""
    path = os.path.expandvars(os.path.expanduser(path))
    return str((base_dir / path).resolve()) if base_dir is not None and not os.path.isabs(path) else path
