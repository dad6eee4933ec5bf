"""Reference values of a benchmark for analysis: the best report value (for regret) and a random architecture's."""

from __future__ import annotations

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.metrics import metric_info
from nasbench_lab.spaces.base import EnumerableSpace

#: random architectures drawn when the space cannot be listed
N_RANDOM = 10_000


def benchmark_reference(bench: Benchmark, seed: int = 0) -> dict:
    """Optimum and mean of the report metric (over the whole space when enumerable, else a random sample), its
    unit, and the optimum of the search metric (seed mean at the default fidelity) for validation regret.

    The optimum is ``None`` for spaces that cannot be listed (regret is then measured against
    the best value any run of the study found, and says so).
    """
    space = bench.space
    enumerable = isinstance(space, EnumerableSpace)
    if bench.report_metric not in bench.metrics:  # e.g. a surrogate fitted on validation values only
        return {"benchmark": bench.name, "dataset": bench.dataset, "space": space.name,
                "search_metric": bench.search_metric, "report_metric": None, "report_higher_is_better": True,
                "enumerable": enumerable, "optimum": None, "random_mean": None, "random_from": None}
    archs = space.all() if enumerable else space.sample(np.random.default_rng(seed), N_RANDOM)
    values = np.asarray(bench.query(archs, bench.report_metric), dtype=np.float64)
    values = values[np.isfinite(values)]
    higher = metric_info(bench.report_metric).higher_is_better
    best = (values.max() if higher else values.min()) if len(values) else float("nan")
    search = np.asarray(bench.query(archs, bench.search_metric), dtype=np.float64)
    search = search[np.isfinite(search)]
    search_higher = metric_info(bench.search_metric).higher_is_better
    search_best = (search.max() if search_higher else search.min()) if len(search) else None
    return {
        "benchmark": bench.name, "dataset": bench.dataset, "space": space.name,
        "search_metric": bench.search_metric, "report_metric": bench.report_metric,
        "report_higher_is_better": higher, "enumerable": enumerable, "unit": metric_info(bench.report_metric).unit,
        "optimum": float(best) if enumerable else None,
        "search_optimum": float(search_best) if enumerable and search_best is not None else None,
        "random_mean": float(values.mean()) if len(values) else None,
        "random_from": "all architectures" if enumerable else f"{N_RANDOM} random architectures (seed {seed})",
    }
