"""Reference values of a benchmark for analysis: the best report value (for regret) and a random architecture's."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.benchmarks.metric_choice import resolve_metrics
from nasbench_lab.metrics import higher_is_better, metric_info
from nasbench_lab.spaces.base import EnumerableSpace

#: random architectures drawn when the space cannot be listed
N_RANDOM = 10_000


def benchmark_reference(bench: Benchmark, seed: int = 0, search_metric: str | None = None,
                        report_metric: str | None = None, directions: Mapping[str, str] | None = None) -> dict:
    """Optimum and mean of the report metric (over the whole space when enumerable, else a random sample), its
    unit, and the optimum of the search metric (seed mean at the default fidelity) for validation regret.

    The optimum is ``None`` for spaces that cannot be listed (regret is then measured against
    the best value any run of the study found, and says so). Metrics and directions as in ``search.run``.
    """
    space = bench.space
    enumerable = isinstance(space, EnumerableSpace)
    search, report = resolve_metrics(bench, search_metric, report_metric)
    if report is None:  # e.g. a surrogate fitted on validation values only: the search metric is reported
        return {"benchmark": bench.name, "dataset": bench.dataset, "space": space.name,
                "search_metric": search, "report_metric": None,
                "report_higher_is_better": higher_is_better(search, directions),
                "missing_report_metric": report_metric or bench.report_metric, "unit": metric_info(search).unit,
                "enumerable": enumerable, "optimum": None, "random_mean": None, "random_from": None}
    archs = space.all() if isinstance(space, EnumerableSpace) else space.sample(np.random.default_rng(seed), N_RANDOM)
    values = bench.query_batch(archs, report)
    values = values[np.isfinite(values)]
    higher = higher_is_better(report, directions)
    best = (values.max() if higher else values.min()) if len(values) else float("nan")
    searched = bench.query_batch(archs, search)
    searched = searched[np.isfinite(searched)]
    search_higher = higher_is_better(search, directions)
    search_best = (searched.max() if search_higher else searched.min()) if len(searched) else None
    return {
        "benchmark": bench.name, "dataset": bench.dataset, "space": space.name,
        "search_metric": search, "report_metric": report,
        "report_higher_is_better": higher, "enumerable": enumerable, "unit": metric_info(report).unit,
        "optimum": float(best) if enumerable else None,
        "search_optimum": float(search_best) if enumerable and search_best is not None else None,
        "random_mean": float(values.mean()) if len(values) else None,
        "random_from": "all architectures" if enumerable else f"{N_RANDOM} random architectures (seed {seed})",
    }
