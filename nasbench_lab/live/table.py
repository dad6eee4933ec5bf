"""A user's own small benchmark: train a sample of a space live and write it as a nasbench_lab HDF5 table.

The table spans the whole enumerable space (NaN where a cell was not trained), with fidelities
1..epochs and one seed axis, so ``nasbench_lab.load(FILE.h5)`` and every command accept it.
Finished runs live in ``FILE.h5.runs/`` and a rerun resumes from them. No PyTorch import here.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.live.jobs import RunStore, TrainJob, run_trainings
from nasbench_lab.live.records import METRIC_UNITS, RECORD_METRICS, RunResult
from nasbench_lab.rng import as_generator
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.tables.hdf5 import check_table_target, write_table
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable


def benchmark_name(space_name: str) -> str:
    """Name recorded in a live table's file (``live-<space>``)."""
    return f"live-{space_name}"


def enumerable_space(space_name: str) -> EnumerableSpace:
    """The space, which must be enumerable for a table over it."""
    from nasbench_lab.live.networks import _registered_space

    sp = _registered_space(space_name)
    if sp is None:
        from nasbench_lab.errors import UnknownNameError
        from nasbench_lab.spaces.registry import SPACES

        raise UnknownNameError("search space", space_name, SPACES.names())
    if not isinstance(sp, EnumerableSpace):
        raise ConfigError(f"build-table needs an enumerable space (cells with an official index); {space_name} "
                          "is not one: train its architectures with live.train instead")
    return sp


def sample_indices(space: EnumerableSpace, n: int, seed: int = 0) -> np.ndarray:
    """``n`` distinct official indices drawn uniformly with ``seed``, sorted."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= space.size:
        raise ConfigError(f"sample size must be 1..{space.size}, got {n!r}")
    return np.sort(as_generator(seed).choice(space.size, size=int(n), replace=False))


def results_to_table(job: TrainJob, results: dict[tuple[int, int], RunResult], size: int,
                     seeds: Sequence[int]) -> BenchmarkTable:
    """A BenchmarkTable over ``size`` cells from finished runs (NaN where no run or after a divergence)."""
    seed_pos = {int(s): k for k, s in enumerate(seeds)}
    fidelities = tuple(range(1, job.epochs + 1))
    arrays = {m: np.full((size, len(seeds), job.epochs), np.nan, dtype=np.float32) for m in RECORD_METRICS}
    params = np.full((size, 1, job.epochs), np.nan, dtype=np.float32)
    diverged = []
    macros = set()
    for (index, seed), r in results.items():
        if seed not in seed_pos:
            continue
        for m in RECORD_METRICS:
            arrays[m][index, seed_pos[seed]] = r.metric(m)
        params[index, 0, :] = r.params
        macros.add(json.dumps(r.macro, sort_keys=True))
        if r.status != "ok":
            diverged.append(r.message)
    source = (f"live training on {job.data} with nasbench_lab {job.space} networks (macro {sorted(macros)}), "
              f"{job.epochs} epochs, SGD + cosine")
    metrics = {m: MetricTable(arrays[m], per_seed=True, unit=METRIC_UNITS[m], source=source) for m in RECORD_METRICS}
    metrics["params"] = MetricTable(params, per_seed=False, unit="M", source=source)
    notes = {
        "search": "valid_acc: accuracy on a stratified validation split of the training data (same split for "
                  "every cell and seed)",
        "report": "test_acc: accuracy on a held-out test split; never search on it",
        "cost": "train_time: measured seconds of training (evaluation excluded) up to each epoch on the machine "
                "that built the table",
        "data": f"{job.data}: trained live by nasbench-lab build-table; a small stand-in, not CIFAR",
    }
    if diverged:
        notes["diverged"] = f"{len(diverged)} run(s) stopped on a non-finite loss; NaN after that epoch"
    dataset = DatasetTable(name=job.data, space=job.space, fidelities=fidelities, metrics=metrics, notes=notes)
    attrs = {"created_by": "nasbench-lab build-table", "job": json.dumps(job.fingerprint(), sort_keys=True),
             "seeds": json.dumps([int(s) for s in seeds]), "runs": str(len(results)),
             "diverged": json.dumps(diverged)}
    return BenchmarkTable(benchmark=benchmark_name(job.space), datasets={job.data: dataset}, attrs=attrs)


def runs_folder(out: str | os.PathLike) -> Path:
    """Where the finished runs of table ``out`` are kept (``out`` + ``.runs``)."""
    out = Path(out)
    return out.with_name(out.name + ".runs")


def build_table(job: TrainJob, indices: Sequence[int], seeds: Sequence[int], out: str | os.PathLike, *,
                workers: int = 1, threads: int | None = None, scheduler: str | None = None,
                progress: bool = False, checkpoint_s: float = 60.0) -> tuple[Path, dict[tuple[int, int], RunResult]]:
    """Trains every (index, seed) not done yet and writes the table to ``out`` (also every ``checkpoint_s``).

    Returns the table path and all runs. Interrupting keeps every finished run on disk, and the
    table is written with what finished; a rerun with the same settings resumes.
    """
    space = enumerable_space(job.space)
    space.check_indices(np.asarray(indices))
    seeds = [int(s) for s in seeds]
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds must be distinct non-negative integers, got {seeds}")
    out = Path(out)
    if out.suffix not in (".h5", ".hdf5"):
        raise ConfigError(f"the table file must end in .h5 or .hdf5 (so `load` recognises it), got {out.name}")
    check_table_target(out)
    job.check()  # settings training would refuse are refused before the runs folder is created
    store = RunStore(runs_folder(out), job).open()
    last = [time.monotonic()]
    results: dict[tuple[int, int], RunResult] = {}

    def checkpoint(index: int, result: RunResult) -> None:
        results[(index, result.seed)] = result
        if time.monotonic() - last[0] >= checkpoint_s:
            write_table(results_to_table(job, {**store.finished(), **results}, space.size, seeds), out)
            last[0] = time.monotonic()

    try:
        results = run_trainings(job, indices, seeds, store=store, workers=workers, threads=threads,
                                scheduler=scheduler, progress=progress, on_result=checkpoint)
    finally:
        write_table(results_to_table(job, store.finished(), space.size, seeds), out)
    return out, results
