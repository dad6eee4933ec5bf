"""The exact Pareto front of a listed table for a set of objectives, computed once and cached beside its tables.

Every listed architecture's objectives are looked up as the **mean over training seeds** (the table's values, not
one noisy seed draw, so the front is that of the table and the same in every run and paper); test metrics never
enter (search never sees them). With constraints, the front, the range used for normalization and the reference
point check are those of the architectures that satisfy every constraint (what a run may be credited for). The
reference-point rule is :mod:`nasbench_lab.analysis.pareto`'s: by default 1.1 in every objective normalized by the
table's range; a user's point, in the objectives' own units, must be no better than every architecture.

The result is cached on disk in the folder of converted tables (``paths.cache_dir()``, under ``fronts/``) keyed by
the table's ``data_sha256()``, the benchmark and dataset, the objectives with their directions, the constraints,
the reference point and the fidelity; a cache file is checked (its key, a digest of its arrays and its
hypervolume recomputed) before it is used, and recomputed when anything is off.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import moocore
import numpy as np

from nasbench_lab.analysis.pareto import (
    REFERENCE_POINT,
    ParetoReference,
    from_minimization,
    pareto_reference,
    to_minimization,
)
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError, DataNote
from nasbench_lab.fileio import atomic_write
from nasbench_lab.metrics import MetricKind, metric_info
from nasbench_lab.paths import cache_dir as default_cache_dir
from nasbench_lab.results.objectives import Objectives
from nasbench_lab.spaces.base import EnumerableSpace

#: version of the cache file layout (part of its key: a new layout never reads an old file)
CACHE_FORMAT = "nasbench_lab.front/1"
#: folder under the cache folder that holds the fronts
FRONTS_DIR = "fronts"
_ARRAYS = ("higher", "best", "worst", "reference", "front", "front_points", "hypervolume")


def _metric_fidelity(bench: Benchmark, name: str, fidelity: int | None) -> int | None:
    """``fidelity`` where ``name`` has values there, else None (its highest), as the runner looks objectives up."""
    return fidelity if fidelity is not None and fidelity in bench.metric_fidelities(name) else None


def _check_searchable(objectives: Objectives) -> None:
    _refuse_test_metrics((*objectives.names, *(c.metric for c in objectives.constraints)))


def _refuse_test_metrics(names: Sequence[str]) -> None:
    for name in names:
        if metric_info(name).kind is MetricKind.TEST:
            raise ConfigError(f"{name!r} holds test data: exact fronts are of search metrics (validation, cost, "
                              "size), never of test data")


#: architectures -> their ``(n, m)`` objective values in the metrics' own units
ValuesFn = Callable[[np.ndarray], np.ndarray]


def table_values(bench: Benchmark, names: Sequence[str], fidelity: int | None = None) -> ValuesFn:
    """A function giving the table's values of ``names`` for a batch of architectures: the seed mean, each metric at
    ``fidelity`` where it has values there, else at its highest. Scoring a run's architectures with these (rather
    than the one seed draw it saw) measures what it found against the table's front on the same footing."""
    names = list(names)
    _refuse_test_metrics(names)

    def values(archs: np.ndarray) -> np.ndarray:
        if not len(archs):
            return np.empty((0, len(names)))
        return np.column_stack([bench.query_batch(archs, n, _metric_fidelity(bench, n, fidelity), "mean")
                                for n in names])

    return values


def objective_values(bench: Benchmark, objectives: Objectives, archs: np.ndarray,
                     fidelity: int | None = None) -> np.ndarray:
    """``(n, m)`` table values (seed mean, own units) of ``archs`` for ``objectives`` (see :func:`table_values`)."""
    _check_searchable(objectives)
    return table_values(bench, objectives.names, fidelity)(archs)


def _listed_indices(bench: Benchmark, metric: str, fidelity: int | None) -> np.ndarray:
    where = f"{bench.name}/{bench.dataset}"
    if not bench.tabulated or not isinstance(bench.space, EnumerableSpace):
        raise ConfigError(f"{where} is not a listed table (a surrogate or model covers its space without listing "
                          "it): exact Pareto fronts need a listed table such as nb201, nbgraph or a CSV table")
    try:
        return np.asarray(bench.indices_with_data(metric, _metric_fidelity(bench, metric, fidelity)), dtype=np.int64)
    except ConfigError:
        raise ConfigError(f"{where} lists no architectures: exact Pareto fronts need a listed table such as "
                          "nb201, nbgraph or a CSV table") from None


def feasible_rows(bench: Benchmark, objectives: Objectives,
                  fidelity: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Official indices and seed-mean objective values of every listed, feasible architecture with all values: what
    the exact front is taken over (a ConfigError when none remain or the table cannot be listed)."""
    _check_searchable(objectives)
    where = f"{bench.name}/{bench.dataset}"
    idx = _listed_indices(bench, objectives.names[0], fidelity)
    values = np.column_stack([bench.query_index(idx, n, _metric_fidelity(bench, n, fidelity), "mean")
                              for n in objectives.names]) if len(idx) else np.empty((0, objectives.n))
    keep = np.isfinite(values).all(axis=1)
    if objectives.constraints:
        columns = {c.metric: bench.query_index(idx, c.metric, _metric_fidelity(bench, c.metric, fidelity), "mean")
                   for c in objectives.constraints}
        keep &= objectives.violation(columns) == 0
    if not keep.any():
        what = " and ".join(map(str, objectives.constraints)) if objectives.constraints else "values"
        raise ConfigError(f"no architecture of {where} has every objective ({', '.join(objectives.names)}) and "
                          f"satisfies {what}: there is no front")
    return idx[keep], values[keep]


def _check_reference(bench: Benchmark, objectives: Objectives, idx: np.ndarray, values: np.ndarray,
                     reference: Sequence[float]) -> np.ndarray:
    """The user's reference point as floats; a one-line error when it is better than some listed architecture."""
    raw = np.asarray([float(r) for r in reference], dtype=np.float64) if _numbers(reference) else None
    if raw is None or raw.size != objectives.n or not np.isfinite(raw).all():
        raise ConfigError(f"a reference point needs {objectives.n} finite numbers, one per objective "
                          f"({', '.join(objectives.names)}), got {list(reference)!r}")
    z = to_minimization(values, objectives.higher)
    ref = to_minimization(raw[None], objectives.higher)[0]
    for j, name in enumerate(objectives.names):
        row = int(np.argmax(z[:, j]))
        if ref[j] < z[row, j]:
            better = "above" if objectives.higher[j] else "below"
            raise ConfigError(
                f"reference point {name}={raw[j]:g} is {better} the value of architecture {int(idx[row])} of "
                f"{bench.name}/{bench.dataset} ({name}={values[row, j]:g}): it must be no better than every "
                f"{'feasible ' if objectives.constraints else ''}architecture of the table in each objective")
    return raw


def _numbers(values: object) -> bool:
    return isinstance(values, (list, tuple, np.ndarray)) and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in values)


def cache_key(bench: Benchmark, objectives: Objectives, reference: Sequence[float] | None,
              fidelity: int | None) -> str | None:
    """What identifies a table front (None when the benchmark cannot name its data: nothing is cached then)."""
    sha = bench.data_sha256()
    if not sha:
        return None
    material = {"format": CACHE_FORMAT, "benchmark": bench.name, "dataset": bench.dataset, "data_sha256": sha,
                "objectives": list(objectives.names), "higher": list(objectives.higher),
                "constraints": [str(c) for c in objectives.constraints], "values": "seed mean",
                "reference": None if reference is None else [float(r) for r in reference], "fidelity": fidelity}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def cache_path(bench: Benchmark, key: str, folder: str | os.PathLike | None = None) -> Path:
    """The cache file of the front with ``key`` (under ``fronts/`` of the folder of converted tables)."""
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{Path(str(bench.name)).name}-{bench.dataset}")[:80]
    return Path(folder if folder is not None else default_cache_dir()) / FRONTS_DIR / f"{label}-{key[:24]}.npz"


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in _ARRAYS:
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _to_bytes(ref: ParetoReference, key: str) -> bytes:
    arrays = {"higher": np.asarray(ref.higher, dtype=bool), "best": ref.best, "worst": ref.worst,
              "reference": ref.reference, "front": np.asarray(ref.front, dtype=np.int64),
              "front_points": ref.front_points, "hypervolume": np.float64(ref.hypervolume)}
    buffer = io.BytesIO()
    np.savez(buffer, key=np.str_(key), digest=np.str_(_digest(arrays)), **arrays)
    return buffer.getvalue()


def _from_file(path: Path, key: str, objectives: Objectives) -> ParetoReference | None:
    """The cached front if the file is whole and is the one asked for, else None."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: np.asarray(npz[name]) for name in _ARRAYS}
            stored_key, digest = str(npz["key"]), str(npz["digest"])
    except Exception:  # noqa: BLE001  (a damaged zip raises zipfile, zlib, OS or value errors)
        return None
    m = objectives.n
    shapes_ok = (arrays["higher"].shape == (m,) and arrays["best"].shape == arrays["worst"].shape
                 == arrays["reference"].shape == (m,) and arrays["front"].ndim == 1 and len(arrays["front"])
                 and arrays["front_points"].ndim == 2 and arrays["front_points"].shape[1] == m
                 and arrays["hypervolume"].shape == ())
    if stored_key != key or digest != _digest(arrays) or not shapes_ok \
            or tuple(bool(h) for h in arrays["higher"]) != tuple(objectives.higher):
        return None
    hv = float(moocore.hypervolume(arrays["front_points"], ref=arrays["reference"]))
    if not math.isclose(hv, float(arrays["hypervolume"]), rel_tol=1e-9, abs_tol=1e-12):
        return None
    for a in arrays.values():
        a.flags.writeable = False
    return ParetoReference(higher=tuple(bool(h) for h in arrays["higher"]), best=arrays["best"],
                           worst=arrays["worst"], reference=arrays["reference"], front=arrays["front"],
                           front_points=arrays["front_points"], hypervolume=float(arrays["hypervolume"]))


def compute_table_reference(bench: Benchmark, objectives: Objectives, reference: Sequence[float] | None = None,
                            fidelity: int | None = None) -> ParetoReference:
    """:func:`table_reference` without the cache."""
    idx, values = feasible_rows(bench, objectives, fidelity)
    raw = None if reference is None else _check_reference(bench, objectives, idx, values, reference)
    ref = pareto_reference(values, objectives.higher, None if raw is None else raw.tolist(), objectives.names)
    front = idx[ref.front]
    front.flags.writeable = False
    return ParetoReference(higher=ref.higher, best=ref.best, worst=ref.worst, reference=ref.reference, front=front,
                           front_points=ref.front_points, hypervolume=ref.hypervolume)


def table_reference(bench: Benchmark, objectives: Objectives, reference: Sequence[float] | None = None,
                    fidelity: int | None = None, cache_dir: str | os.PathLike | None = None) -> ParetoReference:
    """The exact front, range and reference point of ``bench``'s listed table for ``objectives`` (cached).

    Values are seed means (the front of the table, not of one noisy seed draw); ``front`` holds the official
    indices of the front's architectures. ``reference`` is an optional reference point in the objectives' own units
    (default: the documented 1.1 in every normalized objective). ``fidelity``: the epochs the search saw (each
    metric at its highest where it has none there). A benchmark that lists no architectures raises a ConfigError.
    """
    key = cache_key(bench, objectives, reference, fidelity)
    path = cache_path(bench, key, cache_dir) if key is not None else None
    if path is not None and path.is_file():
        cached = _from_file(path, key or "", objectives)
        if cached is not None:
            return cached
        warnings.warn(f"the cached Pareto front {path} is damaged or of other data; computing it again",
                      DataNote, stacklevel=2)
    ref = compute_table_reference(bench, objectives, reference, fidelity)
    if path is not None:
        try:
            atomic_write(path, _to_bytes(ref, key or ""))
        except OSError:  # a read-only cache folder: the front is still right, only computed again next time
            pass
    return ref


def reference_point_in_units(reference: ParetoReference) -> np.ndarray:
    """A reference's reference point in the objectives' own units and directions (what a user would give)."""
    span = np.where(reference.worst > reference.best, reference.worst - reference.best, 1.0)
    return from_minimization(reference.best + reference.reference * span, np.asarray(reference.higher)) + 0.0  # no -0


def front_summary(objectives: Objectives, reference: ParetoReference, user_point: bool) -> dict:
    """What ``info`` shows of a table front: objectives, constraints, size, official indices, reference point."""
    rule = ("given by the user, in the objectives' own units" if user_point else
            f"the default: 10% of the table's range beyond its worst value in each objective ({REFERENCE_POINT:g} "
            "normalized)")
    return {"objectives": list(objectives.names), "higher_is_better": list(objectives.higher),
            "constraints": [str(c) for c in objectives.constraints], "values": "seed mean",
            "size": int(len(reference.front)), "front_indices": [int(i) for i in reference.front],
            "reference_point": [float(v) for v in reference_point_in_units(reference)], "reference_rule": rule,
            "hypervolume_normalized": reference.hypervolume}
