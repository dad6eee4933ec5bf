"""The exact front of a listed table for a run's objectives, and the table's values of the architectures a run found.

Every indicator of a multi-objective or constrained study is measured against the table itself: every
architecture is queried (validation at the mean over training seeds, every metric at its default fidelity),
infeasible architectures are left out, and :func:`~nasbench_lab.analysis.pareto.pareto_reference` gives the
exact front, the normalization and the reference point. A run's found architectures are scored with the same
values (:func:`table_values`), so a run holding the whole front has regret exactly 0 whatever seed noise its
search saw. ``table_reference_uncached`` queries the table on every call; a cached version belongs with the
table (the report takes any callable of the same signature).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nasbench_lab.analysis.pareto import ParetoReference, from_minimization, pareto_reference
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError
from nasbench_lab.results.objectives import Objectives
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace

#: what builds the exact reference of a benchmark for a run's objectives (the report's injectable default)
ReferenceFn = Callable[[Benchmark, Objectives], ParetoReference]
#: architectures -> their ``(n, m)`` objective values in the metrics' own units
ValuesFn = Callable[[np.ndarray], np.ndarray]


def table_values(bench: Benchmark, names: Sequence[str]) -> ValuesFn:
    """A function giving the table's values of ``names`` for a batch of architectures (seed mean, default
    fidelity): how found architectures are scored against the exact front."""
    names = list(names)

    def values(archs: np.ndarray) -> np.ndarray:
        if not len(archs):
            return np.empty((0, len(names)))
        return np.column_stack([bench.query_batch(archs, n) for n in names])

    return values


def feasible_table(bench: Benchmark, objectives: Objectives) -> tuple[np.ndarray, np.ndarray]:
    """Every architecture of a listed table that satisfies the constraints and has every objective's value, with
    those values (seed mean, own units): what the exact front is taken over.

    A ConfigError says so when none remain or the table cannot be listed.
    """
    archs = bench.archs_with_data(objectives.names[0])  # ConfigError for a table that cannot be listed
    values = table_values(bench, objectives.names)(archs)
    keep = np.isfinite(values).all(axis=1)
    if objectives.constraints:
        columns = {c.metric: bench.query_batch(archs, c.metric) for c in objectives.constraints}
        keep &= objectives.violation(columns) == 0
    if not keep.any():
        raise ConfigError(f"no architecture of {bench.name}/{bench.dataset} has every objective "
                          f"({', '.join(objectives.names)}) and satisfies "
                          f"{' and '.join(map(str, objectives.constraints)) or 'no constraint'}: no exact front")
    return archs[keep], values[keep]


def table_reference_uncached(bench: Benchmark, objectives: Objectives) -> ParetoReference:
    """The exact front of ``objectives`` over every feasible architecture of a listed table (queried on each call;
    see :func:`feasible_table`)."""
    return pareto_reference(feasible_table(bench, objectives)[1], objectives.higher, names=objectives.names)


def front_values(ref: ParetoReference) -> np.ndarray:
    """The exact front's distinct points in the objectives' own units, sorted by the first objective (best first)."""
    span = np.where(ref.worst > ref.best, ref.worst - ref.best, 1.0)
    return from_minimization(ref.front_points * span + ref.best, np.asarray(ref.higher))


def reference_values(ref: ParetoReference) -> np.ndarray:
    """The reference point in the objectives' own units (what a run that found nothing feasible attains)."""
    span = np.where(ref.worst > ref.best, ref.worst - ref.best, 1.0)
    return from_minimization(ref.reference * span + ref.best, np.asarray(ref.higher))


def optimum(ref: ParetoReference) -> float:
    """The exact (constrained) optimum of a single-objective reference, in the objective's own units."""
    if ref.n_objectives != 1:
        raise ConfigError(f"an optimum needs one objective, this reference has {ref.n_objectives}")
    return float(from_minimization(ref.best, np.asarray(ref.higher))[0])


def describe_archs(space: SearchSpace, archs: np.ndarray) -> list[tuple[int | None, str]]:
    """Each architecture's official index (listed spaces; None otherwise) and its string form, for tables."""
    indices = np.atleast_1d(space.index(archs)) if isinstance(space, EnumerableSpace) and len(archs) else None
    return [(int(indices[i]) if indices is not None else None, space.to_string(a)) for i, a in enumerate(archs)]
