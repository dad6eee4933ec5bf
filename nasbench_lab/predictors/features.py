"""Predictor-only feature columns: a :data:`FeatureFn` maps a validated batch to extra columns.

:func:`benchmark_features` builds one from a benchmark's metrics (lower-fidelity accuracy,
zero-cost proxies). Encodings of architectures are the spaces' own, joined by
:func:`nasbench_lab.spaces.features.featurize`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nasbench_lab.errors import UnknownNameError

#: batch of architectures -> (n, k) extra feature columns
FeatureFn = Callable[[np.ndarray], np.ndarray]


def benchmark_features(benchmark, columns: Sequence[tuple[str, int | None]], *, log: Sequence[str] = ()) -> FeatureFn:
    """A FeatureFn returning ``benchmark.query(batch, metric, fidelity)`` for each (metric, fidelity).

    Metrics named in ``log`` are passed through ``sign(x) * log1p(|x|)`` (proxy scores span
    orders of magnitude). Values missing in the benchmark come back NaN, which the predictor
    reports as an error naming the architectures' count.
    """
    cols = [(str(m), f) for m, f in columns]
    for metric, fid in cols:
        if metric not in benchmark.metrics:
            raise UnknownNameError(f"metric of {benchmark.name}/{benchmark.dataset}", metric, benchmark.metrics)
        if fid is not None and fid not in benchmark.fidelities:
            raise UnknownNameError(f"fidelity of {benchmark.name}/{benchmark.dataset}", fid, benchmark.fidelities)
    logged = set(log)

    def features(batch: np.ndarray) -> np.ndarray:
        out = np.empty((len(batch), len(cols)), dtype=np.float32)
        for j, (metric, fid) in enumerate(cols):
            v = np.asarray(benchmark.query(batch, metric, fid), dtype=np.float64)
            out[:, j] = np.sign(v) * np.log1p(np.abs(v)) if metric in logged else v
        return out

    features.__name__ = "benchmark[" + ",".join(f"{m}@{f}" if f else m for m, f in cols) + "]"
    features.columns = cols  # type: ignore[attr-defined]
    return features
