"""Studies: a grid of benchmarks x algorithms x seeds, run on a process pool or a Dask cluster, resumable.

Each finished run is written atomically to ``OUT/runs/<benchmark>/<algorithm>/seed_NNNNN.npz``;
a rerun skips the runs already on disk, so an interrupted study loses nothing and, since a
run depends only on its settings and seed, completes with exactly the results of an
uninterrupted one. Results are keyed per run (benchmark, dataset, algorithm, parameters, seed and
the checksum of the data), so a rerun with algorithms, seeds or benchmarks added or dropped reuses
every run already there. ``OUT/study.json`` records the settings shared by every run (budget,
workers, fidelity, metrics): a folder whose runs were made with other shared settings, or on data
that has changed since, is refused with the setting named, and each run file is checked against the
run it should hold before it is reused or reported (see ``identity``). A multi-objective or constrained study
(``objectives``, ``constraints``, ``reference_point``) is checked on every benchmark before its first run.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import numbers
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from nasbench_lab.benchmarks.metric_choice import resolve_metrics
from nasbench_lab.errors import ConfigError, DataFileError, NasbenchLabError, UnknownNameError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.metrics import check_direction
from nasbench_lab.plugins import load_plugins, normalize_plugin
from nasbench_lab.results.objective_choice import resolve_objectives
from nasbench_lab.results.objectives import Constraint, Objectives, parse_list, split_direction
from nasbench_lab.results.trajectory import Trajectory
from nasbench_lab.search.base import OPTIMIZERS, check_requirements, multi_objective_names, optimizer_params
from nasbench_lab.search.runner import VALID_SEEDS, Budget, run
from nasbench_lab.studies.identity import (
    check_folder_name,
    data_checksum,
    read_run_meta,
    run_differences,
    settings_differences,
)
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
    #: a table that lacks rows on purpose (a user's subset of a space) is loaded as it is (``--allow-partial``)
    allow_partial: bool = False

    def load(self):
        return _load_benchmark(self.name, self.dataset, self.path, self.allow_partial)

    def to_dict(self) -> dict:
        """The entry as study.json records it (``allow_partial`` only when set: older folders read the same)."""
        out = asdict(self)
        if not self.allow_partial:
            out.pop("allow_partial")
        return out

    def key(self) -> str:
        """Folder name of this benchmark's runs, e.g. ``nb201-cifar10``."""
        bench = self.load()
        return check_folder_name(f"{bench.name}-{bench.dataset}", "benchmark folder")

    def data_sha256(self) -> str:
        """Checksum of the data this benchmark answers from (``identity.data_checksum``)."""
        return data_checksum(self.load(), self.path or (self.name if self.name and os.path.exists(self.name)
                                                         else None))


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
            check_requirements(OPTIMIZERS.get(self.name))  # unknown names fail with the accepted ones listed
            accepted = optimizer_params(self.name)
            for key in self.params:
                if key not in accepted:
                    raise UnknownNameError(f"parameter of algorithm {self.name}", key, sorted(accepted))
        if not self.label:
            object.__setattr__(self, "label", self.name)
        check_folder_name(self.label, "algorithm label")
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
    #: wall-clock seconds after which a run ends, recorded as stopped "timeout" (None: no limit); not part of
    #: the study's identity: a rerun with another limit keeps the runs already on disk
    run_timeout: float | None = None
    #: objectives of a multi-objective study (``"valid_acc"``, ``"latency_gold_6226:min"``; the first is searched
    #: on); constraints (``"latency_pixel3<=20"``); empty: the search metric alone, unconstrained
    objectives: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    #: reference point for hypervolumes, one number per objective in its own units (None: the documented default,
    #: 1.1 in every objective normalized by the table's range; analysis/pareto.py)
    reference_point: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        check_folder_name(self.name, "study name")
        if self.run_timeout is not None and (isinstance(self.run_timeout, bool)
                                             or not isinstance(self.run_timeout, (int, float))
                                             or not self.run_timeout > 0 or self.run_timeout == float("inf")):
            raise ConfigError(f"run_timeout must be a number of seconds > 0, got {self.run_timeout!r}")
        seeds = self.seeds
        if isinstance(seeds, (str, bytes, Mapping)) or not isinstance(seeds, Iterable) or not all(
                isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in tuple(seeds)):
            raise ConfigError(f"seeds must be a count or a list of distinct integers >= 0 (e.g. seeds = 10 or "
                              f"seeds = [0, 5, 7]), got {_show(self.seeds)}")
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
        self._check_objectives()

    def _check_objectives(self) -> None:
        """Objectives, constraints and reference point in their normal form; checks that need no benchmark (those
        that do run in ``Study.prepare``, before any run)."""
        objectives = tuple(parse_list(self.objectives, "objectives"))
        names = [split_direction(o)[0] for o in objectives]
        twice = [n for i, n in enumerate(names) if n in names[:i]]
        if twice:
            raise ConfigError(f"objective {twice[0]!r} is named twice; name each objective once")
        object.__setattr__(self, "objectives", objectives)
        object.__setattr__(self, "constraints", tuple(str(Constraint.parse(c))
                                                      for c in parse_list(self.constraints, "constraints")))
        ref = self.reference_point
        if ref is not None:
            if len(objectives) < 2:
                raise ConfigError("reference_point needs two or more objectives (a hypervolume's reference point), "
                                  f"got objectives {list(objectives)}")
            if isinstance(ref, (str, bytes)) or not isinstance(ref, (list, tuple)) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in ref) \
                    or len(ref) != len(objectives):
                raise ConfigError(f"reference_point must be {len(objectives)} finite numbers, one per objective "
                                  f"({', '.join(names)}) in its own units, got {_show(ref)}")
            object.__setattr__(self, "reference_point", tuple(float(v) for v in ref))
        if len(objectives) > 1:
            single = list(dict.fromkeys(a.name for a in self.algorithms
                                        if a.check and not OPTIMIZERS.get(a.name).multi_objective))
            if single:
                raise ConfigError(f"this study has {len(objectives)} objectives ({', '.join(names)}) and "
                                  f"{', '.join(single)} {'optimizes' if len(single) == 1 else 'optimize'} one "
                                  f"objective; use multi-objective algorithms: {', '.join(multi_objective_names())}")

    def settings(self) -> dict:
        """What determines each run's result (everything but the seed list, the name and data paths)."""
        out = {"benchmarks": [[b.name, b.dataset] for b in self.benchmarks],
               "algorithms": [[a.name, a.label, a.params] for a in self.algorithms],
               "budget": self.budget, "budget_seconds": self.budget_seconds, "workers": self.workers,
               "valid_seed": self.valid_seed, "fidelity": self.fidelity}
        # only when set, so that folders written before these settings existed keep their fingerprint
        out.update({k: v for k, v in self.metric_settings().items() if v})
        out.update(self.objective_settings())
        return out

    def objective_settings(self) -> dict:
        """Objectives, constraints and reference point, each only when set (older folders keep their fingerprint)."""
        out: dict = {}
        if self.objectives:
            out["objectives"] = list(self.objectives)
        if self.constraints:
            out["constraints"] = list(self.constraints)
        if self.reference_point is not None:
            out["reference_point"] = list(self.reference_point)
        return out

    def run_settings(self) -> dict:
        """Keyword arguments of ``search.run`` choosing metrics, directions, objectives and constraints."""
        out = self.metric_settings()
        if self.objectives:
            out["objectives"] = list(self.objectives)
        if self.constraints:
            out["constraints"] = list(self.constraints)
        return out

    def resolve_objectives(self, bench) -> Objectives | None:
        """The study's objectives and constraints checked against ``bench`` (None for a plain single-objective
        study): unknown or test metrics, contradictory directions and unsatisfiable constraints fail here."""
        if not self.objectives and not self.constraints:
            return None
        return resolve_objectives(bench, list(self.objectives) or None, list(self.constraints), self.directions,
                                  self.search_metric)

    def metric_settings(self) -> dict:
        """Keyword arguments of ``search.run`` choosing the metrics and their directions."""
        return {"search_metric": self.search_metric, "report_metric": self.report_metric,
                "directions": dict(self.directions)}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.settings(), sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {"format": FORMAT, "name": self.name, "fingerprint": self.fingerprint(),
                "benchmarks": [b.to_dict() for b in self.benchmarks],
                "algorithms": [{"name": a.name, "label": a.label, "params": a.params} for a in self.algorithms],
                "seeds": list(self.seeds), "budget": self.budget, "budget_seconds": self.budget_seconds,
                "workers": self.workers, "valid_seed": self.valid_seed, "fidelity": self.fidelity,
                **self.metric_settings(), **self.objective_settings(), "plugins": list(self.plugins),
                "run_timeout": self.run_timeout}

    @classmethod
    def from_dict(cls, data: Mapping, base_dir: Path | None = None, check_algorithms: bool = True) -> StudySpec:
        """Builds a spec from a mapping (a parsed TOML file or study.json); unknown keys are errors.

        ``plugins`` are imported first (their algorithms may be in the grid); ``check_algorithms=False``
        reads saved results whose algorithms are not registered here.
        """
        accepted = {"format", "fingerprint", "name", "benchmarks", "benchmark", "algorithms", "algorithm", "seeds",
                    "budget", "budget_seconds", "workers", "valid_seed", "fidelity", "benchmark_keys",
                    "search_metric", "report_metric", "directions", "plugins", "run_timeout", "data_sha256",
                    "objectives", "constraints", "reference_point"}
        _check_keys("study", data, accepted)
        seeds = data.get("seeds", 10)
        seeds = range(seeds) if isinstance(seeds, int) and not isinstance(seeds, bool) else seeds
        if not isinstance(seeds, (range, list, tuple)):
            raise ConfigError(f"seeds must be a count or a list of distinct integers >= 0 (e.g. seeds = 10 or "
                              f"seeds = [0, 5, 7]), got {_show(seeds)}")
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
            directions=data.get("directions") or {}, plugins=tuple(plugins), run_timeout=data.get("run_timeout"),
            objectives=_strings(data.get("objectives"), "objectives"),
            constraints=_strings(data.get("constraints"), "constraints"),
            reference_point=data.get("reference_point"))

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
    #: checksum of the benchmark's data when the study was prepared, recorded in the run file
    data_sha256: str = ""
    #: wall-clock limit of the run in seconds (``search.run``'s ``timeout_s``)
    timeout_s: float | None = None
    #: the study's reference point (recorded in the run file for analysis; runs do not depend on it)
    reference_point: tuple[float, ...] | None = None

    def expected_meta(self, key: str) -> dict:
        """What the run file of this run must say (``identity.run_differences``); ``key``: the benchmark folder."""
        return {"benchmark_key": key, "study_algorithm": self.algorithm.name, "seed": self.seed,
                "params": self.algorithm.params, "budget_queries": self.budget, "budget_seconds": self.budget_seconds,
                "workers": self.workers, "valid_seed": self.valid_seed, "search_fidelity": self.fidelity,
                "search_metric": self.metrics.get("search_metric"),
                "report_metric": self.metrics.get("report_metric"), "data_sha256": self.data_sha256 or None,
                "objectives": ([split_direction(o)[0] for o in self.metrics["objectives"]]
                               if self.metrics.get("objectives") else None),
                "constraints": list(self.metrics.get("constraints") or [])}


def run_one(spec: RunSpec) -> bytes:
    """Executes one run (in any process: its plug-ins are imported first) and returns its trajectory file's bytes."""
    load_plugins(spec.plugins)
    bench = spec.benchmark.load()
    traj = run(bench, spec.algorithm.name, spec.seed, budget=spec.budget,
               budget_seconds=spec.budget_seconds, workers=spec.workers, params=spec.algorithm.params,
               valid_seed=spec.valid_seed, fidelity=spec.fidelity, timeout_s=spec.timeout_s, **spec.metrics)
    traj.meta.update({"label": spec.algorithm.label, "study_algorithm": spec.algorithm.name,
                      "benchmark_key": spec.relpath.split("/")[1], "data_sha256": spec.data_sha256})
    if spec.reference_point is not None:
        traj.meta["reference_point"] = list(spec.reference_point)
    return traj.to_bytes()


class Study:
    """A StudySpec bound to a results folder: which runs exist, which remain, and how to run them."""

    def __init__(self, spec: StudySpec, out: str | os.PathLike, keys: Sequence[str] | None = None,
                 data: Sequence[str] | None = None):
        self.spec = spec
        self.out = Path(out)
        keys = keys if keys is not None else [b.key() for b in spec.benchmarks]  # loads each benchmark
        for key in keys:
            check_folder_name(key, "benchmark folder")
        self._keys = dict(zip(spec.benchmarks, keys))
        #: benchmark -> checksum of its data (computed when the study is prepared, or read from study.json)
        self._data: dict[BenchmarkEntry, str] = dict(zip(spec.benchmarks, data)) if data is not None else {}

    def runs(self) -> list[RunSpec]:
        s = self.spec
        return [RunSpec(b, a, seed, s.budget, s.budget_seconds, s.workers, s.valid_seed, s.fidelity,
                        f"{RUNS_DIR}/{self._keys[b]}/{a.label}/seed_{seed:05d}.npz", s.run_settings(), s.plugins,
                        self._data.get(b, ""), s.run_timeout, s.reference_point)
                for b in s.benchmarks for a in s.algorithms for seed in s.seeds]

    def pending(self) -> list[RunSpec]:
        return [r for r in self.runs() if not (self.out / r.relpath).is_file()]

    def check_run_file(self, spec: RunSpec) -> None:
        """Refuses a run file that holds another run than ``spec`` (another budget, data, parameters...), naming
        the settings that differ: results of different studies never mix."""
        path = self.out / spec.relpath
        diffs = run_differences(read_run_meta(path), spec.expected_meta(self._keys[spec.benchmark]))
        if diffs:
            raise ConfigError(f"{path} holds a run of another study ({'; '.join(diffs)}: the file's first, this "
                              f"study's second); delete it to redo that run, or choose another results folder")

    def prepare(self) -> None:
        """Creates the folder and study.json, or checks that an existing folder's runs are runs of this study.

        Shared settings that differ, a benchmark whose data changed, and any run file on disk that holds
        another run are refused, naming the setting. Temporary files left by a write that crashed (``.*.tmp``
        of a process no longer running) are removed.
        """
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"{self.out} is a file, not a results folder: choose another --out")
        _load_benchmark.cache_clear()  # a data file edited since this process loaded it is loaded again
        references = {}
        for bench in self.spec.benchmarks:  # a metric a benchmark lacks fails before anything is written
            loaded = bench.load()
            resolve_metrics(loaded, self.spec.search_metric, self.spec.report_metric)
            references[bench] = self._reference_settings(loaded)
        self._data = {b: b.data_sha256() for b in self.spec.benchmarks}
        file = self.out / STUDY_FILE
        record = {**self.spec.to_dict(), "benchmark_keys": [self._keys[b] for b in self.spec.benchmarks],
                  "data_sha256": [self._data[b] for b in self.spec.benchmarks]}
        if file.is_file():
            try:
                old = json.loads(file.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise DataFileError(f"{file} is damaged ({exc}); remove it or choose another results folder") from None
            self._check_against(old if isinstance(old, dict) else {}, record)
        elif self.out.exists() and any(self.out.iterdir()):
            raise ConfigError(f"{self.out} is not empty and holds no {STUDY_FILE}: choose an empty or new "
                              "results folder")
        for r in self.runs():
            if (self.out / r.relpath).is_file():
                self.check_run_file(r)
        for leftover in self.out.rglob(".*.tmp") if self.out.is_dir() else ():
            if stale_temporary(leftover):
                leftover.unlink(missing_ok=True)  # from a write that crashed: atomic_write's rename never happened
        atomic_write(file, json.dumps(record, indent=2).encode())
        bench_file = self.out / "benchmarks.json"
        refs = {}
        if bench_file.is_file():
            try:
                refs = json.loads(bench_file.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                refs = {}  # rewritten below
        missing = [b for b in self.spec.benchmarks if self._keys[b] not in refs]
        if missing or not bench_file.is_file():
            from nasbench_lab.analysis.reference import benchmark_reference

            refs.update({self._keys[b]: benchmark_reference(b.load(), **references[b]) for b in missing})
            atomic_write(bench_file, json.dumps(refs, indent=2).encode())

    def _reference_settings(self, bench) -> dict:
        """Checks the study's objectives on ``bench`` (before any run: unknown or test metrics, unsatisfiable
        constraints, a reference point better than a listed architecture) and returns the metric settings of its
        single-objective reference values (the first objective is the search metric)."""
        settings = self.spec.metric_settings()
        objectives = self.spec.resolve_objectives(bench)
        if objectives is None:
            return settings
        if self.spec.reference_point is not None and bench.tabulated:
            from nasbench_lab.analysis.table_front import table_reference

            table_reference(bench, objectives, self.spec.reference_point, self.spec.fidelity)  # checks and caches
        directions = {**settings["directions"], objectives.names[0]: "max" if objectives.higher[0] else "min"}
        return {**settings, "search_metric": objectives.names[0], "directions": directions}

    def _check_against(self, old: Mapping, new: Mapping) -> None:
        """Refuses a folder whose study.json says its runs were made with other shared settings or data."""
        diffs = settings_differences(old, new)
        if diffs:
            raise ConfigError(
                f"{self.out} holds results of another study ({old.get('name', '?')}: {'; '.join(diffs)}, that "
                "folder's first); choose another results folder or delete that one (a rerun with the same "
                "settings resumes, and algorithms, seeds or benchmarks may be added or dropped)")
        old_data = dict(zip(old.get("benchmark_keys") or [], old.get("data_sha256") or []))
        for key, sha in zip(new["benchmark_keys"], new["data_sha256"]):
            if old_data.get(key) and sha and old_data[key] != sha:
                raise ConfigError(
                    f"the data of benchmark {key} changed since the runs in {self.out} were made (sha256 "
                    f"{old_data[key][:12]}... then, {sha[:12]}... now), and results on the two must not mix: "
                    f"choose a new --out, or delete {self.out} to redo every run on the new data")

    def execute(self, *, jobs: int | None = None, scheduler: str | None = None, progress: bool = True,
                on_result: Callable[[RunSpec], None] | None = None, start_method: str | None = None) -> int:
        """Runs every pending run and writes each as it finishes; returns how many ran.

        ``start_method`` (``fork``, ``spawn``, ``forkserver``) picks how pool workers start (default:
        the platform's); every worker imports the study's plug-ins before its first run.
        """
        jobs = check_jobs(jobs)
        fresh = not self.out.exists()
        self.prepare()
        todo = self.pending()
        if not todo:
            return 0
        try:
            self._build_each_algorithm(todo)
            return self._execute(todo, jobs, scheduler, progress, on_result, start_method)
        except NasbenchLabError as exc:
            ran = any((self.out / r.relpath).is_file() for r in self.runs())
            if fresh and not ran and not isinstance(exc, StudyAbortedError):
                shutil.rmtree(self.out, ignore_errors=True)  # bad input (e.g. a parameter's value): nothing is left
            raise

    def _build_each_algorithm(self, todo: list[RunSpec]) -> None:
        """Builds each pending algorithm once on each benchmark it runs on, so that a parameter's bad value or an
        algorithm a benchmark cannot run (e.g. Hyperband on one fidelity) fails before any run, not after others."""
        from nasbench_lab.search.base import make_optimizer
        from nasbench_lab.search.runner import search_problem

        built: set[tuple[BenchmarkEntry, str]] = set()
        for r in todo:
            if (r.benchmark, r.algorithm.label) in built or r.algorithm.name not in OPTIMIZERS \
                    or not OPTIMIZERS.get(r.algorithm.name).check_by_building:
                continue
            built.add((r.benchmark, r.algorithm.label))
            bench = r.benchmark.load()
            objectives = self.spec.resolve_objectives(bench)
            metric = objectives.names[0] if objectives is not None else \
                resolve_metrics(bench, self.spec.search_metric, self.spec.report_metric)[0]
            make_optimizer(r.algorithm.name, search_problem(bench, metric, objectives), np.random.default_rng(0),
                           **dict(r.algorithm.params))

    def _execute(self, todo: list[RunSpec], jobs: int | None, scheduler: str | None, progress: bool,
                 on_result: Callable[[RunSpec], None] | None, start_method: str | None) -> int:
        """Runs ``todo`` in the pool and writes each result as it arrives."""
        bar = progress_bar(len(self.runs()), initial=len(self.runs()) - len(todo), enabled=progress,
                           desc=self.spec.name)
        try:
            results = run_tasks(run_one, [(r,) for r in todo], jobs=jobs or os.cpu_count() or 1, scheduler=scheduler,
                                mp_context=_start_context(start_method), initializer=_limit_threads)
            for (spec,), data in results:
                atomic_write(self.out / spec.relpath, data)  # a concurrent identical compare may write it too
                bar.update(1)
                if on_result is not None:
                    on_result(spec)
        except BrokenProcessPool:
            raise StudyAbortedError(
                f"a worker process of study {self.spec.name} ended abruptly (an algorithm or plug-in exited its "
                "process, crashed, or ran out of memory); the runs finished so far are saved in "
                f"{self.out}; rerun with --jobs 1 to see the failing run's error") from None
        finally:
            bar.close()
        return len(todo)

    def trajectories(self) -> dict[str, dict[str, list[Trajectory]]]:
        """Loaded runs: benchmark key -> algorithm label -> trajectories in seed order (missing runs skipped; a
        run file holding another run is refused, naming the setting)."""
        out: dict[str, dict[str, list[Trajectory]]] = {}
        for r in self.runs():
            path = self.out / r.relpath
            if path.is_file():
                self.check_run_file(r)
                try:
                    trajectory = Trajectory.load(path)
                except DataFileError as exc:
                    raise DataFileError(f"{exc}; delete it and rerun the same compare to redo that run") \
                        from None
                out.setdefault(self._keys[r.benchmark], {}).setdefault(r.algorithm.label, []).append(trajectory)
        return out


class StudyAbortedError(ConfigError):
    """A study stopped because a worker process died (its finished runs are kept)."""


def stale_temporary(path: Path) -> bool:
    """Whether a ``.NAME.PID.SUFFIX.tmp`` file was left by a process that is no longer running (a file named
    otherwise, or by a live process such as a concurrent compare into the same folder, is kept)."""
    parts = path.name.split(".")
    pid = next((int(p) for p in reversed(parts[:-1]) if p.isdigit()), None)
    if pid is None:
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


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
    return Study(StudySpec.from_dict(data, check_algorithms=False), out, keys=data.get("benchmark_keys"),
                 data=data.get("data_sha256"))


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
def _load_benchmark(name: str | None, dataset: str | None, path: str | None, allow_partial: bool = False):
    """Loads a benchmark once per process (each worker keeps its own)."""
    import nasbench_lab

    return nasbench_lab.load(name or nasbench_lab.api.DEFAULT_BENCHMARK, dataset=dataset, path=path,
                             allow_partial=allow_partial)


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
    entry = _check_keys("benchmark", item, {"name", "dataset", "path", "allow_partial"})
    path = entry.get("path")
    if path is not None:
        path = os.path.expandvars(os.path.expanduser(str(path)))
        if base_dir is not None and not os.path.isabs(path):
            path = str((base_dir / path).resolve())
    partial = entry.get("allow_partial", False)
    if not isinstance(partial, bool):
        raise ConfigError(f"benchmark allow_partial must be true or false, got {partial!r}")
    return BenchmarkEntry(entry.get("name"), entry.get("dataset"), path, partial)


def _algorithm_entry(item: object, check: bool = True) -> AlgorithmEntry:
    if isinstance(item, str):
        return AlgorithmEntry(item, check=check)
    entry = _check_keys("algorithm", item, {"name", "label", "params"})
    if "name" not in entry:
        raise ConfigError(f"an algorithm entry needs a name (one of {', '.join(OPTIMIZERS.names())}), got {item!r}")
    return AlgorithmEntry(entry["name"], entry.get("label", ""), entry.get("params", {}), check=check)


def _strings(value: object, key: str) -> tuple:
    """A study file's list of strings (or one comma-separated string) as a tuple; anything else is refused."""
    if value is None:
        return ()
    if isinstance(value, str) or (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
        return tuple(parse_list(value, key))
    raise ConfigError(f"{key} must be a list of strings, got {_show(value)}")


def _show(value: object) -> str:
    """``value`` for an error message, cut short."""
    text = repr(list(value) if isinstance(value, (tuple, range)) else value)
    return text if len(text) <= 80 else text[:77] + "..."


def _relative_to(path: str, base_dir: Path | None) -> str:
    """``path`` with ``~``/variables expanded, relative to ``base_dir`` (the study file's folder)."""
    path = os.path.expandvars(os.path.expanduser(path))
    return str((base_dir / path).resolve()) if base_dir is not None and not os.path.isabs(path) else path
