"""Many live training runs: a process pool or a Dask cluster, each finished run saved at once (resumable).

Runs are keyed by (official index, seed) and saved as one small JSON file each in a work folder,
next to a ``config.json`` that pins the settings; a rerun with the same settings skips the runs
on disk. No PyTorch import here: workers import it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError, DataFileError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.live.records import RunResult
from nasbench_lab.workers import check_jobs, progress_bar, run_tasks

CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class TrainJob:
    """Settings shared by every run of a batch of live trainings (what makes results comparable)."""

    space: str
    epochs: int = 12
    data: str = "digits"
    preset: str | None = None
    macro: dict[str, Any] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)
    split_seed: int = 0
    device: str = "cpu"

    def check(self) -> TrainJob:
        """Refuses the recipe and macro options training would refuse, before anything is written (a refused
        ``build-table`` leaves no table or runs folder behind to block the corrected rerun)."""
        from nasbench_lab.live.networks import NETWORKS
        from nasbench_lab.live.trainer import Recipe

        try:
            recipe = Recipe(**self.recipe)
        except TypeError:
            raise ConfigError(f"unknown training setting(s) {', '.join(sorted(self.recipe))}; accepted: "
                              f"{', '.join(Recipe.__dataclass_fields__)}") from None
        recipe.check()
        NETWORKS.get(self.space).macro(self.preset or "official", **self.macro)
        return self

    def fingerprint(self) -> dict:
        """Everything that changes results (not the device or thread count)."""
        d = asdict(self)
        d.pop("device")
        return d




class RunStore:
    """A folder of finished runs, one JSON per (index, seed), tied to one TrainJob."""

    def __init__(self, folder: str | os.PathLike, job: TrainJob):
        self.folder = Path(folder)
        self.job = job

    def open(self) -> RunStore:
        """Creates the folder or checks that it holds runs of the same settings."""
        self.folder.mkdir(parents=True, exist_ok=True)
        cfg = self.folder / CONFIG_FILE
        want = self.job.fingerprint()
        if cfg.is_file():
            try:
                have = json.loads(cfg.read_text())
            except (OSError, json.JSONDecodeError, RecursionError) as exc:
                raise DataFileError(f"{cfg} is damaged ({exc}); delete the folder {self.folder} to start over") \
                    from None
            if have != want:
                diff = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
                raise ConfigError(f"{self.folder} holds runs made with other settings (differing: {', '.join(diff)}); "
                                  "use another output or delete that folder (same settings resume)")
        else:
            atomic_write(cfg, json.dumps(want, indent=2, sort_keys=True))
        return self

    def path(self, index: int, seed: int) -> Path:
        return self.folder / f"{int(index)}_{int(seed)}.json"

    def has(self, index: int, seed: int) -> bool:
        return self.path(index, seed).is_file()

    def save(self, index: int, result: RunResult) -> None:
        atomic_write(self.path(index, result.seed), json.dumps(result.to_dict()))

    def load(self, index: int, seed: int) -> RunResult:
        try:
            return RunResult.from_dict(json.loads(self.path(index, seed).read_text()))
        except (OSError, ValueError, TypeError, RecursionError) as exc:
            raise DataFileError(f"{self.path(index, seed)} is damaged ({exc}); delete it to rerun that run") from None

    def finished(self) -> dict[tuple[int, int], RunResult]:
        """Every run on disk, keyed by (index, seed)."""
        out = {}
        for p in self.folder.glob("*_*.json"):
            stem = p.stem.split("_")
            if len(stem) == 2 and all(s.isdigit() for s in stem):
                out[(int(stem[0]), int(stem[1]))] = self.load(int(stem[0]), int(stem[1]))
        return out


def train_one(job: TrainJob, index: int, seed: int, threads: int | None = None) -> tuple[int, RunResult]:
    """Trains cell ``index`` of ``job.space`` with ``seed`` (runs in a worker process)."""
    from nasbench_lab.live.networks import _registered_space
    from nasbench_lab.live.trainer import train

    sp = _registered_space(job.space)
    arch = sp.from_index(int(index))
    result = train(job.space, arch, job.data, job.epochs, seed, preset=job.preset, macro=dict(job.macro),
                   device=job.device, num_threads=threads, split_seed=job.split_seed, **job.recipe)
    return int(index), result


def run_trainings(job: TrainJob, indices: Iterable[int], seeds: Iterable[int], *, store: RunStore | None = None,
                  workers: int = 1, threads: int | None = None, scheduler: str | None = None,
                  progress: bool = False, on_result: Callable[[int, RunResult], None] | None = None
                  ) -> dict[tuple[int, int], RunResult]:
    """Trains every (index, seed) not already in ``store``; returns all results, old and new.

    ``workers`` processes (``threads`` PyTorch threads each, default 1) or a Dask ``scheduler``
    address. Each run is saved as soon as it finishes.
    """
    check_jobs(workers, "--workers", every_core=False)
    indices = [int(i) for i in np.atleast_1d(np.asarray(list(indices), dtype=np.int64))]
    seeds = [int(s) for s in seeds]
    results = store.finished() if store is not None else {}
    tasks = [(i, s) for i in indices for s in seeds if (i, s) not in results]
    total = len(indices) * len(seeds)
    bar = progress_bar(total, initial=total - len(tasks), enabled=progress, desc=f"train {job.space}")
    threads = 1 if threads is None else threads
    try:
        import multiprocessing

        stream = run_tasks(train_one, [(job, i, s, threads) for i, s in tasks], jobs=workers, scheduler=scheduler,
                           mp_context=multiprocessing.get_context("spawn"))  # torch's threads do not survive fork
        for _, (index, result) in stream:
            results[(index, result.seed)] = result
            if store is not None:
                store.save(index, result)
            if on_result is not None:
                on_result(index, result)
            bar.update(1)
    finally:
        bar.close()
    return results
