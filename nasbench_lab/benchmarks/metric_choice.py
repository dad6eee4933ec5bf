"""Which metrics a search on a benchmark uses: the search metric (never test data) and the report metric.

Shared by the runner (what the optimizer sees) and analysis (what regret is measured on), so it lives with the
benchmark interface it checks against, below both.
"""

from __future__ import annotations

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.metrics import MetricKind, metric_info


def resolve_metrics(benchmark: Benchmark, search_metric: str | None = None,
                    report_metric: str | None = None) -> tuple[str, str | None]:
    """(search metric, report metric or None when the benchmark lacks it), checked against the benchmark.

    Defaults: the benchmark's own (``valid_acc`` / ``test_acc``). The search metric must exist and must
    not hold test data; a report metric asked for explicitly must exist.
    """
    where = f"{benchmark.name}/{benchmark.dataset}"
    search = search_metric or benchmark.search_metric
    if search not in benchmark.metrics and not _answers(benchmark, search):
        how = "" if search_metric else "; name the metric to search with --search-metric (search_metric=)"
        raise UnknownNameError(f"search metric of {where}{how}", search, benchmark.metrics)
    if metric_info(search).kind is MetricKind.TEST:
        raise ConfigError(f"{search!r} holds test data and cannot be searched on; search on a validation metric "
                          f"(metrics of {where}: {', '.join(benchmark.metrics)})")
    report = report_metric or benchmark.report_metric
    if report not in benchmark.metrics:
        if report_metric:
            raise UnknownNameError(f"report metric of {where}", report_metric, benchmark.metrics)
        return search, None
    return search, report


def _answers(benchmark: Benchmark, metric: str) -> bool:
    """Whether the benchmark answers ``metric`` though its ``metrics`` does not list it (e.g. a derived view)."""
    try:
        benchmark.query(benchmark.space.sample(np.random.default_rng(0), 1), metric)
        return True
    except UnknownNameError:
        return False
