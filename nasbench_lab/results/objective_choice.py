"""Objectives and constraints of a search, checked against a benchmark (the multi-objective ``resolve_metrics``).

Rules: every objective and constraint metric must exist; none may hold test data (search never sees it);
constraints must be on metrics known without training (cost, size or proxy metrics such as a device's latency
or the parameter count), so that an optimizer may check feasibility before it spends a query; each objective's
direction comes from the metric unless overridden (``"latency:min"`` or ``directions``), and two overrides that
disagree are an error; on a table whose architectures can be listed, a constraint set no architecture
satisfies is refused before any run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.benchmarks.metric_choice import resolve_metrics
from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.metrics import DIRECTIONS, MetricKind, higher_is_better, metric_info
from nasbench_lab.results.objectives import Constraint, Objectives, parse_list, split_direction

#: metric kinds a constraint may be on: known from the architecture alone, before any training
CONSTRAINT_KINDS = (MetricKind.COST, MetricKind.SIZE, MetricKind.PROXY)


def resolve_objectives(benchmark: Benchmark, objectives: str | Sequence[str] | None = None,
                       constraints: str | Sequence[str | Constraint] | None = None,
                       directions: Mapping[str, str] | None = None,
                       search_metric: str | None = None) -> Objectives:
    """The run's objectives and constraints, checked against ``benchmark``.

    ``objectives`` defaults to the search metric alone (``search_metric`` or the benchmark's). A search metric
    given beside objectives must be the first objective.
    """
    where = f"{benchmark.name}/{benchmark.dataset}"
    items = parse_list(objectives, "objectives")
    if not items:
        items = [resolve_metrics(benchmark, search_metric)[0]]
    names, higher = [], []
    for item in items:
        name, chosen = split_direction(item)
        if name in names:
            raise ConfigError(f"objective {name!r} is named twice; name each objective once")
        _check_metric(benchmark, name, "objective")
        if name == benchmark.report_metric and name != benchmark.search_metric:
            raise ConfigError(f"{name!r} is the report metric of {where}: what a run reports about the architectures "
                              f"it found is never searched on; use the search metric {benchmark.search_metric!r}")
        given = (directions or {}).get(name)
        if chosen is not None and given is not None and DIRECTIONS[given] != chosen:
            raise ConfigError(f"objective {name!r}: contradictory directions ({'max' if chosen else 'min'} in the "
                              f"objective, {given} in directions); give one")
        names.append(name)
        higher.append(chosen if chosen is not None else higher_is_better(name, directions))
    if search_metric is not None and search_metric != names[0]:
        raise ConfigError(f"search metric {search_metric!r} differs from the first objective {names[0]!r}; with "
                          f"objectives, the first one is searched on (leave the search metric out)")
    parsed = tuple(Constraint.parse(c) for c in parse_list(constraints, "constraints"))
    for c in parsed:
        _check_metric(benchmark, c.metric, "constraint")
        kind = metric_info(c.metric).kind
        if kind not in CONSTRAINT_KINDS:
            raise ConfigError(f"constraint {c} is on a {kind.value} metric of {where}; constraints must be on "
                              f"metrics known without training (cost, size or proxy: e.g. latency_<device>, params)")
    result = Objectives(tuple(names), tuple(higher), parsed)
    check_satisfiable(benchmark, result)
    return result


def _check_metric(benchmark: Benchmark, name: str, role: str) -> None:
    where = f"{benchmark.name}/{benchmark.dataset}"
    if name not in benchmark.metrics:
        accepted = [m for m in benchmark.metrics if metric_info(m).kind is not MetricKind.TEST]
        raise UnknownNameError(f"{role} metric of {where}", name, accepted)
    kind = metric_info(name).kind
    if kind is MetricKind.TEST:
        article = "an" if role[0] in "aeiou" else "a"
        raise ConfigError(f"{name!r} holds test data and cannot be {article} {role}: search never sees test data "
                          f"(it is only reported); use a validation, cost or size metric of {where}")


def check_satisfiable(benchmark: Benchmark, objectives: Objectives) -> None:
    """ConfigError when no architecture of a listed table satisfies every constraint (before any run)."""
    if not objectives.constraints:
        return
    try:
        archs = benchmark.archs_with_data(objectives.names[0])
    except ConfigError:
        return  # a surrogate over a space too large to list: feasibility is found out while searching
    columns = {c.metric: np.asarray(benchmark.query_batch(archs, c.metric), dtype=np.float64)
               for c in objectives.constraints}
    if len(archs) and not (objectives.violation(columns) == 0).any():
        ranges = ", ".join(f"{m} in [{np.nanmin(v):.4g}, {np.nanmax(v):.4g}]" for m, v in columns.items())
        raise ConfigError(f"no architecture of {benchmark.name}/{benchmark.dataset} satisfies "
                          f"{' and '.join(map(str, objectives.constraints))} ({ranges}); loosen the constraint")
